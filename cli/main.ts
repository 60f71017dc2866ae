#!/usr/bin/env node
/**
 * The `jobsys` command (package.json "bin"; also `node cli/main.ts`). Node 24 runs it as it is,
 * by type stripping; docs/cli.md.
 */
import { run } from './run.ts';

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
