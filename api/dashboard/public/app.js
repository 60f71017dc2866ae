import { ApiError, call, storedKey } from './api.js';
import { byId, h, renderIfChanged } from './dom.js';
import { instant } from './format.js';
import { attemptTable, jobFields, jobTable } from './jobs.js';
import { charts, deadLetters, queueFigures, runTimes, statusCounts } from './overview.js';

/**
 * The dashboard: sign-in, the three views (overview, jobs, one job) chosen by the URL's query, so
 * that a link to a filtered list or to a job can be shared (the key is never in it), and a refresh
 * of the view on show every few seconds.
 */

/** @typedef {import('./overview.js').Stats} Stats */
/** @typedef {import('./jobs.js').Job} Job */
/** @typedef {{ key: string | null, client: string, admin: boolean }} Session */

const REFRESH_MS = 5_000;
/** Statuses a cancel has nothing left to do in (409, or a cancelled job unchanged), and the only ones a retry is accepted from (docs/api.md). */
const ENDED = new Set(['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED']);
const RETRYABLE = new Set(['FAILED_FINAL', 'CANCELLED']);
const PAGE_SIZE = 20;

/** @type {Session | null} */
let session = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** The cursors of the pages before the one shown: Previous goes back through them. */
/** @type {Array<string | null>} */
let cursors = [null];
/** @type {string | null} */
let nextCursor = null;
/** The filters the cursors belong to. */
let listedQuery = '';

const elements = {
  signIn: byId('sign-in', HTMLElement),
  signInForm: byId('sign-in-form', HTMLFormElement),
  keyInput: byId('api-key', HTMLInputElement),
  signInError: byId('sign-in-error', HTMLElement),
  signedIn: byId('signed-in', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  who: byId('who', HTMLElement),
  views: byId('views', HTMLElement),
  notice: byId('notice', HTMLElement),
  scopeForm: byId('scope-form', HTMLFormElement),
  scopeOwner: byId('scope-owner', HTMLInputElement),
  overview: byId('overview-view', HTMLElement),
  jobs: byId('jobs-view', HTMLElement),
  job: byId('job-view', HTMLElement),
  filters: byId('filters', HTMLFormElement),
  filterStatus: byId('filter-status', HTMLSelectElement),
  filterType: byId('filter-type', HTMLSelectElement),
  filterId: byId('filter-id', HTMLInputElement),
  jobList: byId('job-list', HTMLElement),
  previous: byId('page-previous', HTMLButtonElement),
  next: byId('page-next', HTMLButtonElement),
  pageNumber: byId('page-number', HTMLElement),
  jobDetail: byId('job-detail', HTMLElement),
  jobHistory: byId('job-history', HTMLElement),
  jobOutcome: byId('job-outcome', HTMLElement),
  cancel: byId('job-cancel', HTMLButtonElement),
  retry: byId('job-retry', HTMLButtonElement),
  confirm: byId('confirm', HTMLDialogElement),
  confirmTitle: byId('confirm-title', HTMLElement),
  confirmText: byId('confirm-text', HTMLElement),
  confirmYes: byId('confirm-yes', HTMLButtonElement),
  confirmNo: byId('confirm-no', HTMLButtonElement),
};

/** @returns {URLSearchParams} */
const query = () => new URLSearchParams(location.search);

/** @returns {'overview' | 'jobs' | 'job'} */
function currentView() {
  const params = query();
  if (params.get('job')) return 'job';
  return params.get('view') === 'jobs' ? 'jobs' : 'overview';
}

/**
 * Goes to the dashboard URL with these parameters (the client scope kept), and shows its view.
 * @param {Record<string, string>} params
 */
function navigate(params) {
  const next = new URLSearchParams(params);
  const owner = query().get('owner');
  if (owner) next.set('owner', owner);
  for (const [name, value] of [...next]) if (!value) next.delete(name);
  history.pushState(null, '', `/dashboard${next.size ? `?${next}` : ''}`);
  show({ focus: true });
}

/** @param {string} text */
function notify(text) {
  elements.notice.textContent = text;
}

/**
 * What a failed call means here: a refused key signs out, everything else is said in the notice.
 * @param {unknown} err
 */
function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut('The api no longer accepts this key: sign in again.');
    return;
  }
  notify(err instanceof ApiError ? err.explanation : String(err));
}

/**
 * @param {string} method
 * @param {string} path
 * @returns {Promise<any>}
 */
const api = (method, path) => call(method, path, session?.key ?? null);

/**
 * The scope of the figures and lists: an admin's chosen client, if any.
 * @returns {string}
 */
function ownerQuery() {
  const owner = session?.admin ? query().get('owner') : null;
  return owner ? `owner=${encodeURIComponent(owner)}` : '';
}

async function refreshOverview() {
  const owner = ownerQuery();
  /** @type {[Stats, { items: import('./overview.js').Incident[] } | null]} */
  const [stats, incidents] = await Promise.all([
    api('GET', `/stats${owner ? `?${owner}` : ''}`),
    session?.admin ? api('GET', '/incidents?limit=10') : null,
  ]);
  const windowInput = document.querySelector('input[name="window"]:checked');
  const windowName = windowInput instanceof HTMLInputElement ? windowInput.value : '1h';
  const { generatedAt, ...figures } = stats;
  byId('overview-updated', HTMLElement).replaceChildren('Figures of ', stats.owner ? `client ${stats.owner}` : 'every client', ', computed at ', instant(generatedAt), `; refreshed every ${REFRESH_MS / 1000} s.`);
  renderIfChanged(byId('status-counts', HTMLElement), JSON.stringify([figures.windows, figures.coverage]), () => statusCounts(stats));
  renderIfChanged(byId('queue-figures', HTMLElement), JSON.stringify([figures.oldestWaiting, figures.waitSeconds, figures.queue]), () => queueFigures(stats));
  renderIfChanged(byId('charts', HTMLElement), JSON.stringify([windowName, figures.windows]), () => charts(stats, windowName));
  renderIfChanged(byId('run-times', HTMLElement), JSON.stringify(figures.runSeconds), () => runTimes(stats));
  renderIfChanged(byId('incidents', HTMLElement), JSON.stringify([figures.queue?.dlq, incidents]), () => deadLetters(stats, incidents?.items ?? null));
}

async function refreshJobs() {
  const params = query();
  const id = params.get('id');
  elements.filterStatus.value = params.get('status') ?? '';
  elements.filterType.value = params.get('type') ?? '';
  elements.filterId.value = id ?? '';
  /** @type {Job[]} */
  let jobs;
  if (id) {
    jobs = await api('GET', `/jobs/${encodeURIComponent(id)}`).then((job) => [job], (err) => {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    });
    nextCursor = null;
  } else {
    const list = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const name of ['status', 'type']) {
      const value = params.get(name);
      if (value) list.set(name, value);
    }
    const owner = ownerQuery();
    const listed = `${list}${owner ? `&${owner}` : ''}`;
    if (listed !== listedQuery) {
      cursors = [null];
      listedQuery = listed;
    }
    const cursor = cursors.at(-1);
    const page = await api('GET', `/jobs?${listed}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    jobs = page.items;
    nextCursor = page.nextCursor;
  }
  renderIfChanged(elements.jobList, JSON.stringify(jobs), () => [jobTable(jobs, session?.admin ?? false)]);
  elements.previous.disabled = cursors.length <= 1;
  elements.next.disabled = nextCursor === null;
  elements.pageNumber.textContent = id ? '' : `Page ${cursors.length}`;
}

async function refreshJob() {
  const jobId = query().get('job') ?? '';
  /** @type {Job} */
  const job = await api('GET', `/jobs/${encodeURIComponent(jobId)}`);
  byId('job-title', HTMLElement).textContent = `Job ${job.jobId}`;
  // The transitions docs/api.md gives clients; the api decides, and says why when it refuses.
  elements.cancel.hidden = ENDED.has(job.status);
  elements.retry.hidden = !RETRYABLE.has(job.status);
  renderIfChanged(elements.jobDetail, JSON.stringify({ ...job, history: undefined }), () => [jobFields(job)]);
  renderIfChanged(elements.jobHistory, JSON.stringify(job.history ?? []), () => [attemptTable(job.history ?? [])]);
}

const REFRESHERS = { overview: refreshOverview, jobs: refreshJobs, job: refreshJob };

/**
 * Fetches and draws the current view now, then again every REFRESH_MS while the tab is visible.
 */
async function refresh() {
  clearTimeout(timer);
  if (!session) return;
  try {
    await REFRESHERS[currentView()]();
    notify('');
  } catch (err) {
    failed(err);
  }
  if (session && !document.hidden) timer = setTimeout(refresh, REFRESH_MS);
}

/**
 * Shows the view the URL names and refreshes it.
 * @param {{ focus: boolean }} options focus the view's heading (after a navigation, for screen readers and keyboards)
 */
function show(options) {
  const view = currentView();
  elements.overview.hidden = view !== 'overview';
  elements.jobs.hidden = view !== 'jobs';
  elements.job.hidden = view !== 'job';
  for (const link of elements.views.querySelectorAll('a')) {
    if (link.dataset.view === (view === 'job' ? 'jobs' : view)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  elements.scopeOwner.value = query().get('owner') ?? '';
  elements.jobOutcome.textContent = '';
  if (options.focus) byId(`${view}-title`, HTMLElement).focus();
  void refresh();
}

/**
 * Signs in with `key` (none: authentication is off) if GET /stats accepts it.
 * @param {string | null} key
 */
async function signIn(key) {
  const stats = /** @type {Stats} */ (await call('GET', '/stats', key));
  session = { key, client: stats.caller.client, admin: stats.caller.admin };
  // An empty string keeps a session without a key (authentication off) across reloads.
  storedKey.set(key ?? '');
  elements.who.textContent = `${key ? 'Signed in as' : 'Authentication is off: you are'} ${session.client}${session.admin ? ' (admin: every client)' : ''}`;
  elements.signIn.hidden = true;
  elements.signedIn.hidden = false;
  elements.views.hidden = false;
  elements.signOut.hidden = key === null;
  elements.scopeForm.hidden = !session.admin;
}

/** @param {string} message */
function signOut(message) {
  clearTimeout(timer);
  session = null;
  storedKey.clear();
  elements.signedIn.hidden = true;
  elements.views.hidden = true;
  elements.signOut.hidden = true;
  elements.who.textContent = '';
  elements.signIn.hidden = false;
  elements.signInError.textContent = message;
  elements.keyInput.value = '';
  elements.keyInput.focus();
}

/**
 * Asks for a confirmation in a modal dialog (Escape or "Keep it" says no).
 * @param {string} title
 * @param {string} text
 * @param {string} yes
 * @returns {Promise<boolean>}
 */
function confirmAction(title, text, yes) {
  elements.confirmTitle.textContent = title;
  elements.confirmText.textContent = text;
  elements.confirmYes.textContent = yes;
  elements.confirm.returnValue = '';
  elements.confirm.showModal();
  elements.confirmNo.focus();
  return new Promise((resolve) => {
    elements.confirm.addEventListener('close', () => resolve(elements.confirm.returnValue === 'yes'), { once: true });
  });
}

/**
 * Cancels or retries the job on show, once confirmed, and says how it went.
 * @param {'cancel' | 'retry'} action
 */
async function control(action) {
  const jobId = query().get('job') ?? '';
  const confirmed = action === 'cancel'
    ? await confirmAction('Cancel this job?', `Job ${jobId} stops: at once if it waits, at its worker's next heartbeat if it runs. A cancelled job can be retried.`, 'Cancel the job')
    : await confirmAction('Retry this job?', `Job ${jobId} becomes PENDING again, with a new budget of attempts.`, 'Retry the job');
  if (!confirmed) return;
  try {
    /** @type {Job} */
    const job = await api('POST', `/jobs/${encodeURIComponent(jobId)}/${action}`);
    elements.jobOutcome.textContent = action === 'retry'
      ? `Retried: the job is ${job.status} again.`
      : job.cancelRequested ? 'Cancel asked for: the job is running, and its worker stops it at its next heartbeat.' : `Cancelled: the job is ${job.status}.`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return failed(err);
    elements.jobOutcome.textContent = err instanceof ApiError ? err.explanation : String(err);
  }
  await refresh();
}

/** Fills the filters' choices from the OpenAPI document: the statuses and types are defined there, once. */
async function loadChoices() {
  const doc = await call('GET', '/openapi.json', null);
  const schemas = doc.components.schemas;
  for (const [select, values] of /** @type {Array<[HTMLSelectElement, string[]]>} */ ([[elements.filterStatus, schemas.JobStatus.enum], [elements.filterType, schemas.JobType.enum]])) {
    select.append(...values.map((value) => h('option', { attrs: { value } }, value)));
  }
}

elements.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  // No key at all is a sign-in too: an api with authentication off (make dev) lets it in.
  const key = elements.keyInput.value.trim() || null;
  elements.signInError.textContent = 'Signing in…';
  signIn(key).then(() => {
    elements.signInError.textContent = '';
    elements.keyInput.value = '';
    show({ focus: true });
  }, (err) => {
    const refused = err instanceof ApiError && err.status === 401;
    elements.signInError.textContent = !refused ? (err instanceof ApiError ? err.explanation : String(err))
      : key ? 'This API key was not accepted: check that you copied all of it, and that it has not been revoked.'
        : 'This api needs an API key.';
    elements.keyInput.focus();
  });
});

elements.signOut.addEventListener('click', () => signOut('Signed out.'));

elements.scopeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const params = query();
  const owner = elements.scopeOwner.value.trim();
  if (owner) params.set('owner', owner);
  else params.delete('owner');
  history.pushState(null, '', `/dashboard${params.size ? `?${params}` : ''}`);
  show({ focus: false });
});

elements.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  navigate({ view: 'jobs', status: elements.filterStatus.value, type: elements.filterType.value, id: elements.filterId.value.trim() });
});

byId('filters-clear', HTMLButtonElement).addEventListener('click', () => navigate({ view: 'jobs' }));

elements.previous.addEventListener('click', () => {
  if (cursors.length > 1) cursors.pop();
  void refresh();
});

elements.next.addEventListener('click', () => {
  if (nextCursor !== null) cursors.push(nextCursor);
  void refresh();
});

elements.cancel.addEventListener('click', () => void control('cancel'));
elements.retry.addEventListener('click', () => void control('retry'));
elements.confirmYes.addEventListener('click', () => elements.confirm.close('yes'));
elements.confirmNo.addEventListener('click', () => elements.confirm.close('no'));

for (const input of document.querySelectorAll('input[name="window"]')) input.addEventListener('change', () => void refresh());

// Links within the dashboard change the view without reloading the page (and the key with it).
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a') : null;
  if (!link || !session || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname !== '/dashboard') return;
  event.preventDefault();
  navigate(Object.fromEntries(url.searchParams));
});

window.addEventListener('popstate', () => show({ focus: true }));
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refresh();
});

/** At load: a session kept earlier in this tab, else the form (never a request bound to fail). */
async function start() {
  await loadChoices().catch(failed);
  const kept = storedKey.get();
  if (kept === null) {
    signOut('');
    return;
  }
  try {
    await signIn(kept || null);
    show({ focus: false });
  } catch (err) {
    signOut(err instanceof ApiError && err.status === 401 ? 'The api no longer accepts the key kept in this tab: sign in again.' : err instanceof ApiError ? err.explanation : String(err));
  }
}

void start();
