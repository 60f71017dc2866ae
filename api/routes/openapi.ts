import { OPENAPI } from '../openapi/openapi-document.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, type Route } from '../http/router.ts';

export function openApiRoute(): Route {
  return exactRoute('/openapi.json', { GET: ({ res }) => sendJson(res, 200, OPENAPI) });
}
