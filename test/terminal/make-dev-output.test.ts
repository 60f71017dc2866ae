import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

type Context = { after(fn: () => Promise<void>): void };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const ESCAPE = '\u001b[';
/** Every line a component prints starts with its name, padded to the longest one, and a bar. */
const PREFIX = /^(api|worker|dlq-lambda) +\| /;

interface Terminal {
  /** The pane as a person sees it: wrapped lines joined, colours stripped unless `colours`. */
  screen(options?: { colours?: boolean }): Promise<string>;
  /** Polls the screen until `pattern` is on it; the deadline only guards against a hang. */
  waitFor(pattern: RegExp): Promise<string>;
  keys(...keys: string[]): Promise<void>;
}

/**
 * `make dev` in a terminal of its own: a tmux server on a socket of its own, so that nothing else
 * using tmux is touched, killed after the test with everything it runs. The AWS settings of the
 * caller are dropped, as are its colour switches unless `env` sets them.
 */
async function makeDevInTerminal(t: Context, env: Record<string, string> = {}): Promise<Terminal> {
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-dev-terminal-'));
  const socket = join(dir, 'tmux');
  const dropped = (name: string) => name.startsWith('AWS_') || ['JOBSYS_DATA_DIR', 'JOBSYS_DEV_JSON_LOGS', 'NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS', 'TMUX'].includes(name);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped(name)));
  const tmux = async (...args: string[]) => (await run('tmux', ['-S', socket, ...args], { env: { ...clean, PORT: '0', ...env } })).stdout;
  let pane: number | undefined;
  t.after(async () => {
    // The pane's process leads the group of make, dev/main.ts and the components; a closed
    // terminal's SIGHUP does not reach them all.
    try {
      if (pane) process.kill(-pane, 'SIGKILL');
    } catch {
      // Gone already: Ctrl-C stopped it.
    }
    await tmux('kill-server').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  // -o: never reinstall node_modules from inside a test, whatever the stamp's age.
  const started = await tmux('new-session', '-d', '-P', '-F', '#{pane_pid}', '-x', '400', '-y', '200', '-c', ROOT,
    'make -o node_modules/.installed dev', ';', 'set-option', 'remain-on-exit', 'on').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') assert.fail('make test-terminal runs make dev in a terminal: it needs tmux (apt-get install tmux, brew install tmux)');
    throw err;
  });
  pane = Number(started.trim());
  const screen = async (options: { colours?: boolean } = {}) => tmux('capture-pane', '-p', '-J', '-S', '-', ...(options.colours ? ['-e'] : []));
  return {
    screen,
    async waitFor(pattern) {
      for (const deadline = Date.now() + 60_000; ;) {
        const text = await screen();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) assert.fail(`not on the screen within 60 s: ${pattern}\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async keys(...keys) { await tmux('send-keys', ...keys); },
  };
}

async function postJob(screen: string): Promise<string> {
  const apiUrl = /api on (http:\/\/\S+);/.exec(screen)?.[1];
  assert.ok(apiUrl, screen);
  const posted = await fetch(`${apiUrl}/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'transform', payload: { text: 'hello' } }),
  });
  assert.equal(posted.status, 202);
  return ((await posted.json()) as { jobId: string }).jobId;
}

const linesWith = (screen: string, text: string) => screen.split('\n').filter((line) => line.includes(text));

test('in a terminal, make dev prints each event of a POSTed job once, on one line, behind its component, in colour', async (t) => {
  const terminal = await makeDevInTerminal(t);
  const jobId = await postJob(await terminal.waitFor(/jobsys dev: ready/));
  const screen = await terminal.waitFor(new RegExp(`job succeeded.*${jobId}`));

  assert.doesNotMatch(screen, /\{"level"/, 'no raw JSON log line');
  const componentLines = screen.split('\n').filter((line) => PREFIX.test(line));
  assert.ok(componentLines.length >= 5, screen);
  for (const line of componentLines) assert.match(line, /^\S+ +\| \d\d:\d\d:\d\d (INFO |WARN |ERROR|DEBUG) \S/, 'time and level after the prefix');
  const job = linesWith(screen, jobId);
  assert.equal(job.length, 3, `one line per event (request, job started, job succeeded):\n${job.join('\n')}`);
  assert.match(job[0] ?? '', new RegExp(`^api +\\| \\S+ INFO  request POST /jobs 202 jobId=${jobId} traceId=[0-9a-f]{32} durationMs=`));
  assert.match(job[1] ?? '', new RegExp(`^worker +\\| \\S+ INFO  job started jobId=${jobId} traceId=[0-9a-f]{32} type=transform attempt=1`));
  assert.match(job[2] ?? '', new RegExp(`^worker +\\| \\S+ INFO  job succeeded jobId=${jobId} traceId=[0-9a-f]{32} attempt=1`));
  assert.ok((await terminal.screen({ colours: true })).includes(ESCAPE), 'a terminal gets colour');

  await terminal.keys('C-c');
  const stopped = await terminal.waitFor(/jobsys dev: stopped/);
  // Ctrl-C reaches every process of the terminal's group, then make dev asks each to stop: one request, a whole drain.
  assert.doesNotMatch(stopped, /second signal/, 'no component cut its drain short');
});

test('in a terminal with NO_COLOR set, make dev prints the same lines without colour', async (t) => {
  const terminal = await makeDevInTerminal(t, { NO_COLOR: '1' });
  await terminal.waitFor(/jobsys dev: ready/);
  const screen = await terminal.screen({ colours: true });
  assert.ok(screen.split('\n').some((line) => /^api +\| .* INFO  listening url=http/.test(line)), screen);
  assert.ok(!screen.includes(ESCAPE), JSON.stringify(screen));
});

test('with JOBSYS_DEV_JSON_LOGS=1, make dev prints every log line as the JSON it is, one per line', async (t) => {
  const terminal = await makeDevInTerminal(t, { JOBSYS_DEV_JSON_LOGS: '1' });
  const jobId = await postJob(await terminal.waitFor(/jobsys dev: ready/));
  const screen = await terminal.waitFor(new RegExp(`"jobId":"${jobId}".*"msg":"job succeeded"`));

  const logLines = screen.split('\n').filter((line) => line.includes('"level":'));
  assert.ok(logLines.length >= 5, screen);
  for (const line of logLines) {
    assert.ok(line.startsWith('{'), `a line of its own: ${line}`);
    const parsed = JSON.parse(line) as { component?: string; msg?: string };
    assert.ok(parsed.component && parsed.msg, line);
  }
  assert.deepEqual(logLines.map((line) => JSON.parse(line) as { jobId?: string; component: string; msg: string })
    .filter((line) => line.jobId === jobId).map((line) => `${line.component} ${line.msg}`), ['api request', 'worker job started', 'worker job succeeded']);
  assert.ok(!screen.split('\n').some((line) => PREFIX.test(line)), 'no prefix on JSON lines');
});
