import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { CLI, runCli } from './support/cli.ts';

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

test('package.json names cli/main.ts as the jobsys bin, and it runs by its #! line', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, { jobsys: 'cli/main.ts' });
  assert.match(await readFile(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  assert.ok(((await stat(CLI)).mode & 0o111) !== 0, 'cli/main.ts is executable');
});
