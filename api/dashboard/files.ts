import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';

/**
 * The dashboard's files (public/): its page, scripts, style sheet and icon, served as they are, with no
 * build step. Read once at start-up, from beside this module when the api runs from its sources
 * and from beside main.mjs in a bundle, where ops/build/bundle.ts copies them (public/ in both).
 */

/** The media type of each kind of file the dashboard may have; any other kind fails the start. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface DashboardFile {
  body: Buffer;
  contentType: string;
}

export const PAGE = 'index.html';

export function readDashboardFiles(dir: URL = new URL('./public/', import.meta.url)): ReadonlyMap<string, DashboardFile> {
  const files = new Map<string, DashboardFile>();
  for (const name of readdirSync(dir).sort()) {
    const contentType = MEDIA_TYPES[extname(name)];
    if (contentType === undefined) throw new Error(`api/dashboard/public/${name}: the dashboard serves only ${Object.keys(MEDIA_TYPES).join(', ')} files`);
    files.set(name, { body: readFileSync(new URL(name, dir)), contentType });
  }
  if (!files.has(PAGE)) throw new Error(`api/dashboard/public has no ${PAGE}`);
  return files;
}
