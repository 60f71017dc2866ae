import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits; Lambda needs its files readable by every user. */
  mode?: number;
}

const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION_NEEDED = 20;
const MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED;
const REGULAR_FILE = 0o100000;
// 1980-01-01 00:00, the first MS-DOS date: a fixed time makes the same bundle give the same zip.
const DOS_TIME = 0;
const DOS_DATE = (1 << 5) | 1;

/** A zip archive of deflated files at its root: what Lambda takes as a function's code. */
export function zipFiles(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);

    // From "version needed" to the name's length, the local header and the central directory
    // entry hold the same fields in the same order.
    const fields = Buffer.alloc(26);
    fields.writeUInt16LE(VERSION_NEEDED, 0);
    fields.writeUInt16LE(UTF8_NAMES, 2);
    fields.writeUInt16LE(DEFLATE, 4);
    fields.writeUInt16LE(DOS_TIME, 6);
    fields.writeUInt16LE(DOS_DATE, 8);
    fields.writeUInt32LE(crc, 10);
    fields.writeUInt32LE(compressed.length, 14);
    fields.writeUInt32LE(entry.data.length, 18);
    fields.writeUInt16LE(name.length, 22);

    // The extra field's length (the last two bytes) stays zero.
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields.copy(local, 4);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    fields.copy(central, 6);
    // Extra field, comment, disk number and internal attributes stay zero.
    central.writeUInt32LE(((REGULAR_FILE | (entry.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
