import type { OpenApiDocument } from '../openapi/openapi-document.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, type Route } from '../http/router.ts';

export function openApiRoute(doc: OpenApiDocument): Route {
  return exactRoute('/openapi.json', { GET: ({ res }) => sendJson(res, 200, doc) });
}
