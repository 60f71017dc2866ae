/**
 * Runs each top-level test of the given files alone, as `node --test --test-name-pattern` with its
 * exact, escaped name would, and reports every test that fails alone although it is meant to
 * stand alone: one that leans on state an earlier test left behind.
 *
 *   node test/support/each-test-alone.ts test/api-jobs.test.ts [more files…]
 *
 * Each file is run whole first, to list its tests and to tell "fails alone" from "fails anyway".
 * Exits 1 if any test fails alone or runs more or fewer than one test.
 */
import { run } from 'node:test';
import { resolve } from 'node:path';

interface Outcome { passed: string[]; failed: string[] }

/** The top-level tests of `file` that passed and failed, run with `namePattern` if given. */
async function runTests(file: string, namePattern?: RegExp): Promise<Outcome> {
  const outcome: Outcome = { passed: [], failed: [] };
  const stream = run({
    files: [file], concurrency: 1, timeout: 120_000, isolation: 'process',
    ...(namePattern === undefined ? {} : { testNamePatterns: [namePattern] }),
  });
  for await (const event of stream) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting } = event.data;
    // The file itself is reported as a test of nesting 0 named by its path.
    if (nesting !== 0 || name === file) {
      if (event.type === 'test:fail' && name === file) outcome.failed.push(`(the file: ${String(event.data.details.error)})`);
      continue;
    }
    (event.type === 'test:pass' ? outcome.passed : outcome.failed).push(name);
  }
  return outcome;
}

const exactly = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);

const files = process.argv.slice(2).map((file) => resolve(file));
if (files.length === 0) {
  console.error('usage: node test/support/each-test-alone.ts <test file>…');
  process.exit(2);
}

const problems: string[] = [];
const startedAll = performance.now();
for (const file of files) {
  const startedFile = performance.now();
  const whole = await runTests(file);
  const wholeMs = performance.now() - startedFile;
  for (const name of whole.failed) console.log(`  fails in the whole file too (not counted here): ${name}`);
  for (const name of whole.passed) {
    const alone = await runTests(file, exactly(name));
    const ran = alone.passed.length + alone.failed.length;
    if (alone.failed.length > 0) problems.push(`${file}: fails alone: ${name}`);
    else if (ran !== 1) problems.push(`${file}: the pattern for "${name}" ran ${ran} tests`);
  }
  const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;
  console.log(`${file}: ${whole.passed.length} tests, whole file ${seconds(wholeMs)}, each alone ${seconds(performance.now() - startedFile - wholeMs)}`);
}
console.log(`${files.length} files in ${((performance.now() - startedAll) / 1_000).toFixed(1)} s`);
for (const problem of problems) console.log(`✖ ${problem}`);
console.log(problems.length === 0 ? 'every test passed alone' : `${problems.length} tests did not pass alone`);
process.exitCode = problems.length === 0 ? 0 : 1;
