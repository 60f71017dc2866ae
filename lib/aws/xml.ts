/**
 * The little XML the Query protocol's answers need read: the text of named elements whose content
 * is text. Not a parser: Publish's result and an error document are flat, so this is all it takes.
 */

const ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(ENTITY, (entity, hex: string | undefined, decimal: string | undefined, named: string | undefined) => {
    if (hex !== undefined) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (decimal !== undefined) return String.fromCodePoint(Number.parseInt(decimal, 10));
    return NAMED[named ?? ''] ?? entity;
  });
}

/** The text of the first `<name>` element that holds only text, its entities decoded; undefined when there is none. */
export function xmlElementText(xml: string, name: string): string | undefined {
  const text = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return text === undefined ? undefined : decode(text);
}

/** Every text-only element inside the first `<parent>`, by name; empty when there is no such parent. */
export function xmlTextChildren(xml: string, parent: string): Record<string, string> {
  const inner = new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>`).exec(xml)?.[1] ?? '';
  return Object.fromEntries([...inner.matchAll(/<([A-Za-z][\w.-]*)>([^<]*)<\/\1>/g)].map(([, name, text]) => [name, decode(text ?? '')]));
}
