import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { CAPACITY_DOC } from '../bench/capacity-doc.ts';
import { CAPACITY_SECTIONS, renderSections, sectionOf, type SectionName } from '../bench/capacity/doc-sections.ts';
import { measureOperationCounts } from '../bench/operation-counts.ts';

/** A markdown table's rows as cells, for a diff that names the row and the figure that changed. */
const rowsOf = (text: string): string[][] =>
  text.split('\n').filter((line) => line.startsWith('|')).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));

test('docs/capacity.md holds the operation counts the system makes now, and the costs and limits that follow from them', { timeout: 60_000 }, async () => {
  const counts = await measureOperationCounts({ jobsPerKind: 10 });
  const expected = renderSections(counts);
  const doc = await readFile(CAPACITY_DOC, 'utf8');
  for (const name of Object.keys(CAPACITY_SECTIONS) as SectionName[]) {
    const written = sectionOf(doc, name);
    assert.ok(written !== undefined, `docs/capacity.md has no <!-- capacity:${name} --> section`);
    const hint = `docs/capacity.md's ${name} section is not what the measurement gives: run \`node bench/capacity-doc.ts\``;
    assert.deepEqual(rowsOf(written), rowsOf(expected[name]), hint);
    assert.equal(written, expected[name], hint);
  }
});
