import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './support/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const COMMANDS = ['submit', 'get', 'list', 'watch', 'cancel', 'retry'];

test('jobsys --help lists every command and the options they all take, on stdout, exit 0', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const run = await runCli(args);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: jobsys <command> \[options\]$/m);
    for (const command of COMMANDS) assert.match(run.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'));
    for (const option of ['--url', '--api-key', '--json', '--help']) assert.ok(run.stdout.includes(option), option);
    assert.equal(run.stderr, '');
  }
});

test('each command has its --help: its usage, an example and its options; help <command> is the same', async () => {
  const runs = await Promise.all([...COMMANDS.map((command) => runCli([command, '--help'])), runCli(['help', 'watch'])]);
  COMMANDS.forEach((command, index) => {
    const run = runs[index]!;
    assert.equal(run.code, 0);
    assert.match(run.stdout, new RegExp(`^Usage: jobsys ${command}`));
    assert.match(run.stdout, /^Example:$/m);
    assert.match(run.stdout, /^ {6}--json +/m);
  });
  assert.match(runs[0]!.stdout, /--idempotency-key KEY/);
  assert.match(runs[2]!.stdout, /--created-after TIME/);
  assert.match(runs[3]!.stdout, /--interval MS/);
  assert.equal(runs[6]!.stdout, runs[3]!.stdout);
});

test('no command, an unknown command, an unknown option or a stray argument is a usage error: exit 2, the reason on stderr', async () => {
  for (const [args, message] of [
    [[], /name a command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['help', 'frobnicate'], /unknown command "frobnicate"/],
    [['--json', 'list'], /the command comes first, before --json/],
    [['list', '--verbose'], /Unknown option '--verbose'/],
    [['submit', 'extra', '--type', 'echo'], /Unexpected argument 'extra'/],
    [['list', '--url', 'not a url'], /the api URL "not a url" is not a URL/],
    [['list', '--url', 'http://user:pass@127.0.0.1:1'], /must not carry credentials/],
  ] as const) {
    const run = await runCli(args);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.match(run.stderr, /Run 'jobsys (\w+ )?--help' for usage\./);
    assert.equal(run.stdout, '');
  }
});

test('the package.json bin runs by its #! line where npm link puts it, and jobsys --help exits 0', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.bin), ['jobsys']);
  // npm link's layout: <prefix>/lib/node_modules/jobsys is a link to the checkout, and
  // <prefix>/bin/jobsys a link to the bin in it. Node resolves the main module to the checkout,
  // outside node_modules, where it strips types.
  const prefix = await mkdtemp(join(tmpdir(), 'jobsys-link-'));
  t.after(() => rm(prefix, { recursive: true, force: true }));
  await mkdir(join(prefix, 'lib', 'node_modules'), { recursive: true });
  await mkdir(join(prefix, 'bin'));
  await symlink(ROOT, join(prefix, 'lib', 'node_modules', 'jobsys'));
  const bin = join(prefix, 'bin', 'jobsys');
  await symlink(join('..', 'lib', 'node_modules', 'jobsys', pkg.bin.jobsys!), bin);
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(bin, ['--help'], { env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
    });
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: jobsys <command> \[options\]$/m);
});
