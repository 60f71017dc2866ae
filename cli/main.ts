#!/usr/bin/env node
/**
 * The `jobsys` command (package.json "bin"; also `node cli/main.ts`). Node 24 runs it as it is,
 * by type stripping; docs/cli.md.
 */
import { run } from './run.ts';

const interrupt = new AbortController();
// Only the first Ctrl-C is the command's to handle (watch prints where each job got to); with the
// listener gone, a second one ends the process at once, as it would without it.
process.once('SIGINT', () => interrupt.abort());

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: interrupt.signal });
