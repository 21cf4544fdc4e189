import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { buildOpenApiDocument } from '@chekt-partner/contract';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  DOCS_ASSETS,
  DOCS_ASSETS_PREFIX,
  DOCS_CONTENT_SECURITY_POLICY,
  DOCS_HTML,
  DOCS_INIT_PATH,
  DOCS_INIT_SCRIPT,
  DOCS_PATH,
  OPENAPI_PATH,
} from './page.js';

export interface DocsRoutesOptions {
  /** The operator's public base URL (ISSUER_URL); otherwise the origin the request came to. */
  publicUrl: string | undefined;
  /** The token issuer as the metadata endpoint names it (known once the server listens). */
  issuer: () => string;
}

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** GET /openapi.json (built from the contract) and the interactive reference at GET /docs. */
export const docsRoutes: FastifyPluginAsync<DocsRoutesOptions> = async (app, { publicUrl, issuer }) => {
  // The document names the server it came from, so "Try it out" and the token URL reach this
  // very server, on whatever host and port the caller used. Then it differs by Host, and a shared
  // cache must not hand one host's document (where the docs page sends a client secret) to another.
  app.get(OPENAPI_PATH, async (request, reply) => {
    if (publicUrl) return buildOpenApiDocument({ serverUrl: publicUrl, issuer: issuer() });
    reply.header('vary', 'Host');
    return buildOpenApiDocument({ serverUrl: originOf(request) ?? issuer(), issuer: issuer() });
  });

  app.get(DOCS_PATH, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY)
      .send(DOCS_HTML),
  );
  // Relative, as the page's resources are: from /chekt/docs/ behind a proxy's prefix, to /chekt/docs.
  app.get(`${DOCS_PATH}/`, async (_request, reply) => reply.redirect(`..${DOCS_PATH}`));
  app.get(DOCS_INIT_PATH, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(DOCS_INIT_SCRIPT),
  );

  await app.register(fastifyStatic, {
    root: swaggerUiDir,
    prefix: DOCS_ASSETS_PREFIX,
    index: false,
    decorateReply: false,
    // A range past an asset's end is a 416, which the contract has no code for (it became a 400);
    // ignoring ranges is allowed (RFC 9110 §14.2), and no asset is worth fetching in parts.
    acceptRanges: false,
    allowedPath: (pathName) => DOCS_ASSETS.has(pathName.replace(/^\//, '')),
  });
};

/**
 * Where the request was sent: its Host, or, for a target in absolute form (`GET http://host/...`),
 * the target's own origin, which RFC 9112 §3.2.2 says an origin server must use instead of Host.
 * Undefined when it does not say: an HTTP/1.0 request may come without a Host (request-headers.ts
 * lets it through), and `http://` with no host would name no server at all.
 */
function originOf(request: FastifyRequest): string | undefined {
  const target = request.raw.url ?? '';
  if (/^https?:\/\//i.test(target) && URL.canParse(target)) return new URL(target).origin;
  return request.host ? `${request.protocol}://${request.host}` : undefined;
}
