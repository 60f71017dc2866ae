/**
 * What the dashboard's page may load and run: scripts, styles and requests of this api's own
 * origin, nothing inline, nothing evaluated, no other origin, no plug-ins, no framing, and DOM
 * sinks that take only Trusted Types (the page builds its DOM node by node, so job errors and
 * results are text, never markup). A page that holds an API key must not run anyone else's code.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');
