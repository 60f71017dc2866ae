import type { AttributeMap, AttributeValue } from '../lib/aws/index.ts';

/**
 * An item's size as DynamoDB bills it ("Item sizes and formats" in the DynamoDB developer guide):
 * each attribute's name in UTF-8 bytes plus its value; a string or binary its bytes, a number about
 * one byte per two significant digits plus one, a boolean or null one byte, a list or map three
 * bytes plus one per element plus its elements. Write units are this rounded up to 1 KB, read
 * units to 4 KB.
 */
export function dynamoDbItemBytes(item: AttributeMap): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/e.*$/i, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueBytes(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S);
  if ('N' in value) return numberBytes(value.N);
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('L' in value) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if ('M' in value) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element), 0);
  if ('SS' in value) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if ('NS' in value) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
}
