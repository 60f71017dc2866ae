import { OPENAPI } from '../openapi-document.ts';
import { sendJson } from '../respond.ts';
import { exactRoute, type Route } from '../router.ts';

export function openApiRoute(): Route {
  return exactRoute('/openapi.json', { GET: ({ res }) => sendJson(res, 200, OPENAPI) });
}
