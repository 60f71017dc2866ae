/**
 * Just enough XML reading for STS's small, fixed-shape documents, without an XML dependency.
 * Element names are matched whole (`Code` never matches `<CodeHint>`), attributes (xmlns) are
 * allowed, `<Name/>` is empty, and text is decoded of entities and CDATA.
 */

/** The raw content of the first element found by walking `path`, each name inside the previous. */
export function xmlInner(xml: string, path: readonly string[]): string | undefined {
  let scope: string | undefined = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const name of path) {
    if (scope === undefined) return undefined;
    scope = firstElement(scope, name);
  }
  return scope;
}

/** The decoded, trimmed text of the element at `path`; undefined when absent or empty. */
export function xmlText(xml: string, path: readonly string[]): string | undefined {
  const inner = xmlInner(xml, path);
  if (inner === undefined) return undefined;
  return decodeText(inner).trim() || undefined;
}

function firstElement(xml: string, name: string): string | undefined {
  const open = new RegExp(`<${name}(?:\\s[^>]*?)?(/?)>`, 'g').exec(xml);
  if (!open) return undefined;
  if (open[1] === '/') return '';
  const start = open.index + open[0].length;
  const close = new RegExp(`</${name}\\s*>`, 'g');
  close.lastIndex = start;
  const end = close.exec(xml);
  return end ? xml.slice(start, end.index) : undefined;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** One pass, so that CDATA content is kept verbatim and `&amp;lt;` becomes `&lt;`, not `<`. */
function decodeText(raw: string): string {
  return raw.replace(
    /<!\[CDATA\[([\s\S]*?)\]\]>|&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi,
    (match: string, cdata: string | undefined, entity: string | undefined) => {
      if (cdata !== undefined) return cdata;
      if (entity === undefined) return match;
      if (entity.startsWith('#')) {
        const code = entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number.parseInt(entity.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : match;
      }
      return NAMED_ENTITIES[entity] ?? match;
    },
  );
}
