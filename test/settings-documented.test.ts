import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ACCESS_SETTINGS, API_SETTINGS } from '../api/config.ts';
import { DLQ_LAMBDA_SETTINGS } from '../dlq-lambda/config.ts';
import type { Settings } from '../lib/config.ts';
import { WORKER_SETTINGS } from '../worker/config.ts';

const ROOT = new URL('..', import.meta.url);

/** Each component's settings table: the first table under the doc's "## Configuration" heading. */
const DOCUMENTED: Array<{ doc: string; settings: Settings }> = [
  { doc: 'docs/api.md', settings: { ...API_SETTINGS, ...ACCESS_SETTINGS } },
  { doc: 'docs/worker.md', settings: WORKER_SETTINGS },
  { doc: 'docs/dlq-lambda.md', settings: DLQ_LAMBDA_SETTINGS },
];

const REQUIRED = 'required';

/** Variable → default, as the table shows them: backticks dropped, `required` for none. */
function settingsTable(markdown: string, doc: string): Map<string, string> {
  const section = markdown.split(/^## Configuration\b.*$/m)[1];
  assert.ok(section !== undefined, `${doc} has no "## Configuration" section`);
  const lines = section.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  const rows = lines.slice(first, end === -1 ? undefined : end).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
  const [header = [], , ...body] = rows;
  const variable = header.findIndex((cell) => /^variable$/i.test(cell));
  const fallback = header.findIndex((cell) => /^default$/i.test(cell));
  assert.ok(variable >= 0 && fallback >= 0, `${doc}: the settings table has no Variable or no Default column`);
  return new Map(body.map((cells) => [cells[variable] ?? '', cells[fallback] ?? '']));
}

function declaredDefaults(settings: Settings): Map<string, string> {
  return new Map(Object.values(settings).map(({ variable, field }) => [variable, field.documentedDefault ?? REQUIRED]));
}

/** What is wrong with `table` as the documentation of `declared`; empty when it is true. */
function tableProblems(doc: string, table: Map<string, string>, declared: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, fallback] of declared) {
    const shown = table.get(name);
    if (shown === undefined) problems.push(`${doc} does not document ${name}`);
    else if (shown !== fallback) problems.push(`${doc} gives ${name} the default "${shown}"; its declaration says "${fallback}"`);
  }
  for (const name of table.keys()) if (!declared.has(name)) problems.push(`${doc} documents ${name}, which is not declared`);
  return problems;
}

for (const { doc, settings } of DOCUMENTED) {
  test(`${doc}'s settings table names every declared variable, no other, each with its declared default`, async () => {
    const table = settingsTable(await readFile(new URL(doc, ROOT), 'utf8'), doc);
    assert.deepEqual(tableProblems(doc, table, declaredDefaults(settings)), []);
  });
}

test('the table check fails on a variable left out, one not declared, and a default that differs', () => {
  const declared = new Map([['PORT', '8080'], ['DDB_TABLE', REQUIRED]]);
  assert.deepEqual(tableProblems('d.md', new Map([['PORT', '80'], ['HOST', '0.0.0.0']]), declared), [
    'd.md gives PORT the default "80"; its declaration says "8080"',
    'd.md does not document DDB_TABLE',
    'd.md documents HOST, which is not declared',
  ]);
  assert.deepEqual(settingsTable('# x\n## Configuration (`x.ts`)\n\n| Variable | Default | Meaning |\n| --- | --- | --- |\n| `PORT` | `8080` | the port |\n\n| file | role |\n| --- | --- |\n| `x.ts` | x |\n', 'd.md'), new Map([['PORT', '8080']]));
});
