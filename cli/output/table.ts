/**
 * Rows as aligned columns, borderless as kubectl and docker print them: easy to read, and easy to
 * cut, grep and awk. Written here rather than taken from cli-table3, whose boxes would have to be
 * configured away, and which ships string-width and colour code the CLI has no use for.
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
