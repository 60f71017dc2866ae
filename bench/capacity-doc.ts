/**
 * Rewrites the measured parts of docs/capacity.md: runs bench/operation-counts.ts's measurement
 * and writes its counts, and the costs and limits that follow from them and the prices, between
 * the document's markers. Run it when the worker, the api or the dlq-lambda changes the calls
 * they make: `node bench/capacity-doc.ts`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { measureOperationCounts } from './operation-counts.ts';
import { renderSections, withSections } from './capacity/doc-sections.ts';

export const CAPACITY_DOC = fileURLToPath(new URL('../docs/capacity.md', import.meta.url));

if (import.meta.main) {
  const counts = await measureOperationCounts({ jobsPerKind: Number(process.env.CAPACITY_JOBS_PER_KIND ?? 10) });
  await writeFile(CAPACITY_DOC, withSections(await readFile(CAPACITY_DOC, 'utf8'), renderSections(counts)));
  console.log(`docs/capacity.md: operation counts of ${counts.jobsPerKind} jobs per kind written`);
}
