import type { FastifyInstance } from 'fastify';
import type { Caller } from '../auth/bearer.js';
import type { SiteSummary } from '../store/repositories/sites.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client, once bearer authentication has run. */
    caller: Caller | null;
    /** The dealer the caller is authorized for on this request. */
    dealerId: number | null;
    /** The site the request addresses, once located. */
    site: SiteSummary | null;
  }
}

/** What the request pipeline learns about a request, readable by every later step and the log. */
export function registerRequestContext(app: FastifyInstance): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('dealerId', null);
  app.decorateRequest('site', null);
}
