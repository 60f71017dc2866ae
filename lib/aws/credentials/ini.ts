/** Sections by their name as written between the brackets; keys lower-cased. */
export type IniSections = Map<string, Record<string, string>>;

/**
 * Parses the INI dialect of the AWS shared files. Comments start with `#` or `;` at the start of a
 * line or after whitespace (the SDKs' rule, so `key = a#b` keeps its `#`). Keys are lower-cased, as
 * the CLI's parser does. Indented lines under a key with an empty value are that key's
 * sub-properties (`s3 =` then `  max_concurrent_requests = 10`) and are skipped, so they cannot
 * shadow a top-level key. A section written twice is merged, later keys winning.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Record<string, string> | undefined;
  let inSubProperties = false;
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = rawLine.replace(/(^|\s)[#;].*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      const name = line.slice(1, -1).trim();
      current = sections.get(name) ?? {};
      sections.set(name, current);
      inSubProperties = false;
      continue;
    }
    if (inSubProperties && /^\s/.test(rawLine)) continue;
    inSubProperties = false;
    const eq = line.indexOf('=');
    if (eq <= 0 || !current) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (value) current[key] = value;
    else inSubProperties = true;
  }
  return sections;
}
