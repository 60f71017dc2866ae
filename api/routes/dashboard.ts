import type { ServerResponse } from 'node:http';
import { CONTENT_SECURITY_POLICY } from '../dashboard/content-security-policy.ts';
import { PAGE, type DashboardFile } from '../dashboard/files.ts';
import { HttpError } from '../errors.ts';
import { excerpt } from '../http/problem.ts';
import { exactRoute, paramRoute, type Route } from '../http/router.ts';

const HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidated each time: a new api version's page never runs an old script.
  'cache-control': 'no-cache',
};

function send(res: ServerResponse, file: DashboardFile): void {
  res.writeHead(200, { ...HEADERS, 'content-type': file.contentType, 'content-length': file.body.length });
  res.end(file.body);
}

/**
 * GET /dashboard, the page, and GET /dashboard/{file}, its scripts and style sheet. Open to all,
 * as the page holds nothing: it asks its user for a key and calls the guarded routes with it.
 */
export function dashboardRoutes(files: ReadonlyMap<string, DashboardFile>): Route[] {
  const page = files.get(PAGE)!;
  return [
    exactRoute('/dashboard', { GET: ({ res }) => send(res, page) }),
    paramRoute('/dashboard/', 'file', {
      GET({ res, params }) {
        const name = params.file ?? '';
        const file = name === PAGE ? undefined : files.get(name);
        if (file === undefined) throw new HttpError('not-found', `The dashboard has no file "${excerpt(name)}"`);
        send(res, file);
      },
    }),
  ];
}
