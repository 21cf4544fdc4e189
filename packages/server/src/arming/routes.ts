import {
  ARMING_SETTINGS_ROUTE,
  type ArmingSettingsPath,
  ArmingSettingsPathSchema,
  ArmingSettingsSchema,
  type ArmingSettingsUpdate,
  ArmingSettingsUpdateSchema,
  BODY_ERROR_CODES,
  ErrorBodySchema,
  type ErrorCode,
  type Scope,
} from '@chekt-partner/contract';
import type {
  FastifyError,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { authenticateBearer, type Caller, recallCaller, requireScope } from '../auth/bearer.js';
import type { ClientDirectory } from '../auth/client-directory.js';
import { authorizeDealer } from '../auth/dealer-scope.js';
import { ApiError } from '../errors.js';
import { refuseContentCodings } from '../http/content-coding.js';
import { evaluatePreconditions } from '../http/preconditions.js';
import type { AccessTokenVerifier } from '../oauth/access-tokens.js';
import type { SiteSummary } from '../store/repositories/sites.js';
import { type ArmingService, toArmingSettings } from './service.js';
import { parseUpdateBodies } from './update-body.js';

export interface ArmingRoutesOptions {
  service: ArmingService;
  verifier: AccessTokenVerifier;
  directory: ClientDirectory;
}

/**
 * A site's settings, as any answer shows them, are for the caller alone and change under it: no
 * cache may keep them. Without it a browser (the /docs page) or an HTTP client's cache may reuse a
 * 200 heuristically (RFC 9111 §4.2.2) and show a security type that another client has changed.
 * A refusal is no better kept: a 404 is heuristically cacheable too (RFC 9110 §15.5.5), and a kept
 * one would hide a site added later. So every answer of these routes says it, set as they begin.
 */
const SETTINGS_CACHE_CONTROL = 'no-store';

const errorResponses = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  412: ErrorBodySchema,
  413: ErrorBodySchema,
  415: ErrorBodySchema,
  500: ErrorBodySchema,
  503: ErrorBodySchema,
};

/**
 * GET and PATCH arming settings. Who may do what is settled in onRequest, before the body is even
 * read (a PATCH's caller is authenticated once more when its body has arrived: callerNow); a
 * missing site is found there too (GET), or before a rejected body's error goes out (PATCH). So
 * the status precedence holds: 401, then 403, then 404, then a failed precondition's 412
 * (http/preconditions.ts), and only then 413/415/400.
 */
export const armingRoutes: FastifyPluginAsync<ArmingRoutesOptions> = async (
  app,
  { service, verifier, directory },
) => {
  parseUpdateBodies(app);

  /**
   * An onRequest hook that settles who may do what, then hands over to `next`. Callback-style,
   * with a `then` where it must wait: every GET comes through here, and an async hook costs two
   * promises and two turns of the microtask queue more. What throws synchronously, Fastify hands
   * to `done`.
   */
  function authorize(scope: Scope, next: (request: FastifyRequest, done: HookHandlerDoneFunction) => void) {
    const authorized = (request: FastifyRequest, caller: Caller, done: HookHandlerDoneFunction) => {
      request.caller = caller;
      const { dealerId } = request.params as ArmingSettingsPath;
      // A refusal goes to `done` here, not through a caller's catch: after `next`, a catch would
      // also take what the rest of the request throws, and call `done` a second time.
      try {
        // The scope first: its 403 comes before the 404 of a dealer id that cannot exist.
        requireScope(caller, scope);
        request.dealerId = authorizeDealer(caller.access, dealerId);
      } catch (error) {
        done(error as Error);
        return;
      }
      next(request, done);
    };
    return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      reply.header('cache-control', SETTINGS_CACHE_CONTROL);
      const { authorization } = request.headers;
      const caller = recallCaller(authorization, verifier, directory);
      if (caller) {
        authorized(request, caller, done);
        return;
      }
      authenticateBearer(authorization, verifier, directory).then(
        (authenticated) => authorized(request, authenticated, done),
        done,
      );
    };
  }

  /** GET finds its site before its handler, so that a missing one is a 404. */
  const locateSite = (request: FastifyRequest, done: HookHandlerDoneFunction) => {
    service.locate(dealerOf(request), siteIdOf(request)).then((site) => {
      request.site = site;
      done();
    }, done);
  };

  /**
   * PATCH does not look its site up before the change: the change's own read finds it, or finds it
   * missing (a 404), which saves a read per PATCH. Only a request whose body is then rejected
   * (400, 413, 415) must look, since a missing site's 404 comes before those.
   */
  const missingSiteFirst = async (error: FastifyError, request: FastifyRequest) => {
    // An aborted request (its client gone, or cut by a shutdown) has no one to answer.
    if (request.dealerId !== null && isBodyError(error) && !request.raw.destroyed) {
      // Its 401 comes first, for a client revoked while the body came as for one revoked before.
      await callerNow(request);
      await requireSiteAndPreconditions(request);
    }
    throw error;
  };

  /**
   * The PATCH's caller, authenticated again once its body has arrived: authorize() ran as the
   * request began, and its body may take up to the request timeout to follow. A client revoked
   * meanwhile must not have its change made, since a revocation takes effect within 2 s (README),
   * for requests already under way too. The token and the standing are usually still cached: this
   * then costs what authorize()'s own recall did.
   */
  const callerNow = (request: FastifyRequest): Caller | Promise<Caller> =>
    recallCaller(request.headers.authorization, verifier, directory) ??
    authenticateBearer(request.headers.authorization, verifier, directory);

  /** A PATCH's 404, then its 412, which come before its body's errors (and before the change). */
  const requireSiteAndPreconditions = async (request: FastifyRequest) => {
    // Found, it names the site in the access line, as for any other request about it.
    request.site = await service.locate(dealerOf(request), siteIdOf(request));
    if (evaluatePreconditions(request.headers, request.method) !== 'proceed') {
      throw new ApiError('precondition_failed');
    }
  };

  // GET and HEAD are one route, not Fastify's HEAD route made from GET: that one adds
  // `Content-Length: 0` to a HEAD's 304, which GET's 304 does not have (RFC 9110 §9.3.2: the same
  // header fields; §15.4.5: a 304's Content-Length would be the 200's). Node sends no body to HEAD.
  app.route({
    method: ['GET', 'HEAD'],
    url: ARMING_SETTINGS_ROUTE,
    schema: {
      operationId: 'getArmingSettings',
      params: ArmingSettingsPathSchema,
      response: { 200: ArmingSettingsSchema, ...errorResponses },
    },
    onRequest: authorize('arming_settings:read', locateSite),
    // Synchronous: everything asynchronous happened in onRequest, and an async handler would cost
    // the busiest route a promise per request.
    handler: (request, reply) => {
      const outcome = evaluatePreconditions(request.headers, request.method);
      if (outcome === 'failed') throw new ApiError('precondition_failed');
      if (outcome === 'proceed') {
        reply.send(toArmingSettings(located(request)));
        return;
      }
      reply.code(304).send();
    },
  });

  app.patch(ARMING_SETTINGS_ROUTE, {
    schema: {
      operationId: 'updateArmingSettings',
      params: ArmingSettingsPathSchema,
      body: ArmingSettingsUpdateSchema,
      response: { 200: ArmingSettingsSchema, ...errorResponses },
    },
    onRequest: authorize('arming_settings:write', (_request, done) => done()),
    preParsing: refuseContentCodings,
    errorHandler: missingSiteFirst,
    handler: async (request) => {
      // First: a client revoked while the body came is a 401, whatever else is wrong.
      const caller = await callerNow(request);
      // Rare: only a request whose precondition fails pays for a look (its 404 comes first).
      if (evaluatePreconditions(request.headers, request.method) !== 'proceed') {
        await requireSiteAndPreconditions(request);
      }
      const { security_type } = request.body as ArmingSettingsUpdate;
      const site = await service.update(dealerOf(request), siteIdOf(request), security_type, {
        clientId: caller.clientId,
        traceId: request.id,
      });
      request.site = site;
      return toArmingSettings(site);
    },
  });
};

function located(request: FastifyRequest): SiteSummary {
  if (!request.site) throw new Error('arming route reached its handler without a located site');
  return request.site;
}

function dealerOf(request: FastifyRequest): number {
  if (request.dealerId === null) throw new Error('arming route used a dealer before authorizing it');
  return request.dealerId;
}

function siteIdOf(request: FastifyRequest): string {
  return (request.params as ArmingSettingsPath).siteId;
}

/** The contract's body codes; any other code of ours is about the request. */
const BODY_ERRORS: ReadonlySet<ErrorCode> = new Set(BODY_ERROR_CODES);

/**
 * A rejected body: Fastify's parsing and validation (its own errors, 4xx), or one of ours about
 * the body, such as a content coding refused before parsing (refuseContentCodings).
 */
function isBodyError(error: FastifyError): boolean {
  if (error instanceof ApiError) return BODY_ERRORS.has(error.code);
  const status = error.statusCode ?? 500;
  return status >= 400 && status < 500;
}
