import type { StatsScope, Stats } from '../stats/stats.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, queryOf, type Route } from '../http/router.ts';
import type { Validators } from '../openapi/validation.ts';
import { callerOf, ownerScope } from './own-job.ts';

export interface StatsRouteOptions {
  stats(scope: StatsScope): Promise<Stats>;
  validators: Validators;
}

/** GET /stats: the figures of the caller's jobs (an admin's: anyone's), and for admins the queues'. */
export function statsRoute(options: StatsRouteOptions): Route {
  return exactRoute('/stats', {
    async GET(ctx) {
      const caller = callerOf(ctx);
      const query = options.validators.statsParameters(queryOf(ctx.req.url));
      const figures = await options.stats({ owner: ownerScope(caller, query.owner), admin: caller.admin });
      // Figures are shared by everyone in a scope; who asked is this answer's own.
      sendJson(ctx.res, 200, { caller, ...figures }, { 'cache-control': 'no-store' });
    },
  });
}
