/**
 * The interactive API reference: Swagger UI from our own /docs/static (no CDN, works offline),
 * reading our /openapi.json. Scripts are separate files, not inline, so the page runs under a
 * Content-Security-Policy that allows only this origin.
 */
export const DOCS_PATH = '/docs';
export const DOCS_ASSETS_PREFIX = `${DOCS_PATH}/static/`;
export const DOCS_INIT_PATH = `${DOCS_PATH}/init.js`;
export const OPENAPI_PATH = '/openapi.json';

/**
 * What the page loads, named relative to the page itself: behind a proxy that mounts the server
 * under a path (ISSUER_URL `https://gateway.example.com/chekt`), `docs/static/x` from
 * `/chekt/docs` is `/chekt/docs/static/x`, where `/docs/static/x` would leave the prefix out.
 */
const fromPage = (path: string): string => path.slice(1);

export const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>CHeKT Partner API: Arming Settings reference</title>
    <link rel="stylesheet" href="${fromPage(DOCS_ASSETS_PREFIX)}swagger-ui.css">
    <link rel="icon" type="image/png" href="${fromPage(DOCS_ASSETS_PREFIX)}favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${fromPage(DOCS_ASSETS_PREFIX)}swagger-ui-bundle.js"></script>
    <script src="${fromPage(DOCS_INIT_PATH)}"></script>
  </body>
</html>
`;

// validatorUrl: null, or Swagger UI would send the document to an online validator.
// tryItOutEnabled: the page exists to run requests against this server, so skip a click.
// requestInterceptor: the token endpoint refuses a wrong secret with 401 and `WWW-Authenticate:
// Basic` (RFC 6749 §5.2 requires the challenge), and a browser answers that challenge itself, with
// its own login dialog, unless the request leaves out credentials (Fetch's "omit" mode). Nothing
// here uses cookies or the browser's logins, so every request leaves them out, and a mistyped
// secret shows the token endpoint's own error in the page.
export const DOCS_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(fromPage(OPENAPI_PATH))},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  showExtensions: true,
  persistAuthorization: false,
  oauth2RedirectUrl: new URL(${JSON.stringify(`${fromPage(DOCS_ASSETS_PREFIX)}oauth2-redirect.html`)}, window.location.href).href,
  requestInterceptor: (request) => {
    request.credentials = 'omit';
    return request;
  },
});
`;

/** Only what the page loads; the package also ships a demo index.html that points at the internet. */
export const DOCS_ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
  'oauth2-redirect.html',
  'oauth2-redirect.js',
]);

/** Same origin only; Swagger UI styles its widgets inline and draws some icons as data: URLs. */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
