import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDrillTarget, submit, waitForStatus, type DrillClient, type DrillTarget } from '../support/drill-target.ts';

/**
 * The dashboard in a real browser: Debian's chromium, driven by playwright-core, against a whole
 * system (api, worker, dlq runner) on the local stack with authentication on. `make test-browser`
 * (run by .ci/run, not by make test, which needs only Node). Its screenshots go to a scratch
 * directory, so a run leaves the checkout as it was; `make screenshots` (SCREENSHOTS_DIR=docs)
 * writes them over the ones docs/ holds.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = process.env.SCREENSHOTS_DIR || mkdtempSync(join(tmpdir(), 'jobsys-screenshots-'));
const screenshot = (name: string) => join(SCREENSHOTS, name);
/** The page refreshes every 5 s: a change shows within two refreshes. */
const SHOWS_WITHIN_MS = 15_000;

let target: DrillTarget;
let browser: Browser;

before(async () => {
  target = await startDrillTarget();
  // As root (CI), Chromium's sandbox cannot start; the page is our own, served from 127.0.0.1.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
});

after(async () => {
  await browser?.close();
  await target?.stop();
});

interface Watched {
  page: Page;
  /** Console errors and warnings, uncaught errors and CSP violations, in the order they came. */
  problems: string[];
}

/** A fresh tab (its own sessionStorage) whose every console error, page error and CSP violation is kept. */
async function openTab(t: { after(fn: () => Promise<void>): void }, viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const context: BrowserContext = await browser.newContext({ viewport });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));" });
  return { page, problems };
}

async function signIn(page: Page, client: DrillClient): Promise<void> {
  await page.goto(`${target.apiUrl}/dashboard`);
  await page.fill('#api-key', client.key);
  await page.press('#api-key', 'Enter');
  await page.waitForSelector(`#who:has-text("Signed in as ${client.name}")`);
}

/** Presses Tab until `selector` has the focus; fails after `max` presses. */
async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  assert.fail(`Tab never reached ${selector}`);
}

async function noHorizontalScroll(page: Page, view: string): Promise<void> {
  const [scrollWidth, clientWidth] = await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]') as [number, number];
  assert.ok(scrollWidth <= clientWidth, `${view}: ${scrollWidth} px wide in ${clientWidth}`);
}

async function submitJob(client: DrillClient, payload: Record<string, unknown>): Promise<string> {
  const accepted = await submit(target, { type: 'transform', payload }, { as: client });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  return String(accepted.body.jobId);
}

test('with the keyboard alone: Tab reaches the key field, Enter signs in, and a wrong key is told so', async (t) => {
  const { page, problems } = await openTab(t);
  await page.goto(`${target.apiUrl}/dashboard`);

  await tabTo(page, '#api-key');
  await page.keyboard.type(`${target.clients.first.key}x`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sign-in-error:has-text("This API key was not accepted")');
  assert.equal(await page.evaluate('document.activeElement?.id'), 'api-key', 'the field keeps the focus, to try again');

  await page.fill('#api-key', '');
  await page.keyboard.type(target.clients.first.key);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#who:has-text("Signed in as ${target.clients.first.name}")`);
  assert.equal(await page.evaluate("sessionStorage.getItem('jobsys.apiKey')"), target.clients.first.key);
  assert.doesNotMatch(page.url(), new RegExp(target.clients.first.key), 'the key is never in the URL');

  // The only problem is the wrong key's own 401, which the browser reports as a failed load.
  assert.deepEqual(problems.filter((problem) => !/Failed to load resource: the server responded with a status of 401/.test(problem)), []);
  assert.ok(problems.length <= 1, problems.join('\n'));
});

test('jobs move to SUCCEEDED on the page; a filter is in the URL, shared by a link; a job shows its attempts, trace and error', async (t) => {
  const { page, problems } = await openTab(t);
  const client = target.clients.first;
  await signIn(page, client);
  const jobs = await Promise.all([1, 2, 3].map((n) => submitJob(client, { text: `watched ${n}`, simulate: { sleepMs: 1_500 } })));
  const failing = await submitJob(client, { text: 'failing once', simulate: { failAttempts: 1 } });

  await page.click('nav#views a[data-view="jobs"]');
  await page.waitForSelector('#jobs-view:not([hidden])');
  for (const jobId of jobs) {
    await page.waitForSelector(`tr:has(a[data-job="${jobId}"]) .badge:has-text("SUCCEEDED")`, { timeout: SHOWS_WITHIN_MS + 5_000 });
  }

  await page.selectOption('#filter-status', 'SUCCEEDED');
  await page.click('#filters button[type="submit"]');
  await page.waitForURL(/status=SUCCEEDED/);
  const filtered = page.url();
  assert.match(filtered, /view=jobs/);
  await page.waitForSelector('#job-list tbody tr');
  const statuses = await page.$$eval('#job-list tbody .badge', (badges) => badges.map((badge) => badge.textContent));
  assert.ok(statuses.length >= 3 && statuses.every((status) => status === 'SUCCEEDED'), statuses.join(', '));

  // The link alone, in another tab signed in as the same client, shows the same filtered list.
  const other = await openTab(t);
  await signIn(other.page, client);
  await other.page.goto(filtered);
  await other.page.waitForSelector('#job-list tbody tr');
  assert.equal(await other.page.inputValue('#filter-status'), 'SUCCEEDED');

  assert.equal((await waitForStatus(target, failing, ['SUCCEEDED'], 30_000, client)).status, 'SUCCEEDED');
  await page.fill('#filter-id', failing);
  await page.selectOption('#filter-status', '');
  await page.click('#filters button[type="submit"]');
  await page.waitForURL(new RegExp(`id=${failing}`));
  await page.click(`a[data-job="${failing}"]`);
  await page.waitForSelector(`#job-title:has-text("Job ${failing}")`);
  await page.waitForSelector('#job-history tbody tr:nth-child(2)');
  const outcomes = await page.$$eval('#job-history tbody tr td[data-label="Outcome"]', (cells) => cells.map((cell) => cell.textContent));
  assert.deepEqual(outcomes, ['failed', 'succeeded']);
  const detail = await page.textContent('#job-detail');
  assert.match(detail ?? '', /Trace id[0-9a-f]{32}/);
  assert.match(await page.textContent('#job-history') ?? '', /JOBSYS_JOB_FAILED: transform: simulated failure/);

  assert.deepEqual([...problems, ...other.problems], []);
});

test('cancel and retry ask for a confirmation first, and the page shows what became of the job', async (t) => {
  const { page, problems } = await openTab(t);
  const client = target.clients.first;
  await signIn(page, client);
  const jobId = await submitJob(client, { text: 'long', simulate: { sleepMs: 60_000 } });
  await waitForStatus(target, jobId, ['RUNNING'], 30_000, client);

  await page.goto(`${target.apiUrl}/dashboard?job=${jobId}`);
  await page.waitForSelector('#job-detail .badge:has-text("RUNNING")');
  assert.equal(await page.isHidden('#job-retry'), true, 'a running job cannot be retried');

  // With the keyboard: Tab reaches the button, Enter opens the dialog, Escape keeps the job as it is.
  await page.focus('#back-to-jobs');
  await tabTo(page, '#job-cancel');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog#confirm[open]');
  assert.equal(await page.evaluate('document.activeElement?.id'), 'confirm-no', 'the safe answer has the focus');
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog#confirm', { state: 'hidden' });
  assert.equal((await waitForStatus(target, jobId, ['RUNNING'], 1_000, client)).status, 'RUNNING', 'nothing was sent');

  await page.click('#job-cancel');
  await page.click('#confirm-yes');
  await page.waitForSelector('#job-outcome:has-text("Cancel asked for")');
  await page.waitForSelector('#job-detail .badge:has-text("CANCELLED")', { timeout: SHOWS_WITHIN_MS + target.heartbeatMaxMs });

  await page.click('#job-retry');
  await page.waitForSelector('#confirm-title:has-text("Retry this job?")');
  await page.click('#confirm-yes');
  await page.waitForSelector('#job-outcome:has-text("Retried: the job is PENDING again.")');
  assert.equal((await waitForStatus(target, jobId, ['PENDING', 'RUNNING'], 5_000, client)).retries, 1);
  await target.store.cancel({ jobId, owner: client.name });

  assert.deepEqual(problems, []);
});

test('an admin sees every client, the queues and the incidents; at 375 px wide nothing scrolls sideways', async (t) => {
  const doomed = await submitJob(target.clients.other, { text: 'doomed', simulate: { failAlways: true } });
  await waitForStatus(target, doomed, ['FAILED_FINAL'], 60_000, target.clients.other);

  const { page, problems } = await openTab(t);
  await signIn(page, target.clients.admin);
  await page.waitForSelector('#who:has-text("admin: every client")');
  await page.waitForSelector(`#incidents a[data-job="${doomed}"]`, { timeout: SHOWS_WITHIN_MS });
  assert.match(await page.textContent('#queue-figures') ?? '', /Queue: waiting to be received/);
  assert.match(await page.textContent('#run-times') ?? '', /transform/);
  await page.screenshot({ path: screenshot('dashboard-overview.png'), fullPage: true });

  await page.click(`#incidents a[data-job="${doomed}"]`);
  await page.waitForSelector('#job-detail dt:has-text("Incident")');
  await page.waitForSelector('#job-history tbody tr:nth-child(3)');
  assert.equal(await page.isVisible('#job-retry'), true, 'a job that failed for good can be retried');
  await page.screenshot({ path: screenshot('dashboard-job.png'), fullPage: true });
  await page.click('nav#views a[data-view="overview"]');
  await page.waitForSelector('#overview-view:not([hidden])');

  await page.fill('#scope-owner', target.clients.other.name);
  await page.press('#scope-owner', 'Enter');
  await page.waitForURL(new RegExp(`owner=${target.clients.other.name}`));
  await page.waitForSelector(`#overview-updated:has-text("client ${target.clients.other.name}")`);

  const narrow = await openTab(t, { width: 375, height: 800 });
  await signIn(narrow.page, target.clients.admin);
  await narrow.page.waitForSelector('#status-counts table');
  await narrow.page.waitForSelector(`#incidents a[data-job="${doomed}"]`, { timeout: SHOWS_WITHIN_MS });
  await noHorizontalScroll(narrow.page, 'overview');
  await narrow.page.screenshot({ path: screenshot('dashboard-mobile.png'), fullPage: true });
  await narrow.page.click('nav#views a[data-view="jobs"]');
  await narrow.page.waitForSelector('#job-list tbody tr');
  await noHorizontalScroll(narrow.page, 'jobs');
  await narrow.page.click(`#job-list a[data-job]`);
  await narrow.page.waitForSelector('#job-history');
  await narrow.page.waitForSelector('#job-detail dl');
  await noHorizontalScroll(narrow.page, 'job');

  assert.deepEqual([...problems, ...narrow.problems], []);
});
