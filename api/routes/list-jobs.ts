import { publicJob, type JobStatus } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { HttpError } from '../errors.ts';
import { sendJson } from '../http/respond.ts';
import { queryOf, type RequestContext } from '../http/router.ts';
import type { Validators } from '../openapi/validation.ts';
import type { CursorCodec } from './list-cursor.ts';
import { callerOf, ownerScope } from './own-job.ts';

export interface ListJobsOptions {
  store: JobStore;
  validators: Validators;
  cursors: CursorCodec;
}

/** A leap second (hh:mm:60, fraction and all): RFC 3339 has them, Date.parse does not. */
const LEAP_SECOND = /(\d\d:\d\d):60(?:\.\d+)?/;

/**
 * An RFC 3339 instant as the list keys write it (toISOString, UTC), or a 400 naming the parameter.
 * A leap second compares as its minute's last millisecond, the nearest instant a list key holds.
 */
function instant(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value.replace(LEAP_SECOND, '$1:59.999'));
  if (Number.isNaN(ms)) throw new HttpError('invalid-query', `Invalid query: query.${name}: "${value.slice(0, 64)}" is not an instant this api can compare (RFC 3339, years 0000 to 9999)`);
  return new Date(ms).toISOString();
}

/** GET /jobs: a page of the caller's jobs (an admin's: anyone's), newest first, as store.list pages them. */
export function listJobsHandler(options: ListJobsOptions): (ctx: RequestContext) => Promise<void> {
  const { store, validators, cursors } = options;
  return async (ctx) => {
    const caller = callerOf(ctx);
    const query = validators.listParameters(queryOf(ctx.req.url));
    const owner = ownerScope(caller, query.owner);
    const statuses = query.status === undefined ? undefined : ([...new Set(query.status)].sort() as JobStatus[]);
    const filters = {
      owner,
      statuses,
      type: query.type,
      createdAfter: instant('createdAfter', query.createdAfter),
      createdBefore: instant('createdBefore', query.createdBefore),
    };
    // The list a cursor belongs to: who asks, and every filter. Another list's cursor fails its check.
    const scope = { caller: caller.client, ...filters };
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = cursors.decode(scope, query.cursor);
      if (after === undefined) throw new HttpError('invalid-cursor', 'This cursor was not issued for this list: pass the nextCursor of the previous page unchanged, with the same filters');
    }
    const page = await store.list({ ...filters, after, limit: query.limit });
    sendJson(ctx.res, 200, {
      items: page.items.map((job) => publicJob(job, { detail: false })),
      nextCursor: page.next === undefined ? null : cursors.encode(scope, page.next),
    }, { 'cache-control': 'no-store' });
  };
}
