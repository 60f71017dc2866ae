import type { Incident } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { HttpError } from '../errors.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, queryOf, type Route } from '../http/router.ts';
import type { Validators } from '../openapi/validation.ts';
import { callerOf } from './own-job.ts';

export interface IncidentsRouteOptions {
  store: JobStore;
  validators: Validators;
}

/** An incident as the api shows it: the fields the document names, and no other. */
function publicIncident(incident: Incident): Incident {
  const { incidentId, jobId, reason, error, messageId, receiveCount, bodyExcerpt, traceId, createdAt } = incident;
  return { incidentId, jobId, reason, error, messageId, receiveCount, bodyExcerpt, traceId, createdAt };
}

/**
 * GET /incidents: the newest incidents, for admins only. An incident is the queue's, not a
 * client's (a message that could not be read names no owner), so no client sees a share of them.
 */
export function incidentsRoute(options: IncidentsRouteOptions): Route {
  return exactRoute('/incidents', {
    async GET(ctx) {
      if (!callerOf(ctx).admin) throw new HttpError('forbidden', 'Incidents are queue-wide: only admin clients (API_ADMIN_CLIENTS) read them');
      const query = options.validators.incidentParameters(queryOf(ctx.req.url));
      const incidents = await options.store.recentIncidents(query.limit);
      sendJson(ctx.res, 200, { items: incidents.map(publicIncident) }, { 'cache-control': 'no-store' });
    },
  });
}
