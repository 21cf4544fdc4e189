import {
  ARMING_SETTINGS_ROUTE,
  ArmingSettingsPathSchema,
  ArmingSettingsSchema,
  ArmingSettingsUpdateSchema,
  ErrorBodySchema,
  type Scope,
} from '@chekt-partner/contract';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { authenticateBearer, type Caller, recallCaller, requireScope } from '../auth/bearer.js';
import type { ClientDirectory } from '../auth/client-directory.js';
import { authorizeDealer } from '../auth/dealer-scope.js';
import { ApiError } from '../errors.js';
import type { AccessTokenVerifier } from '../oauth/access-tokens.js';
import type { SiteSummary } from '../store/repositories/sites.js';
import { type ArmingService, toArmingSettings } from './service.js';

export interface ArmingRoutesOptions {
  service: ArmingService;
  verifier: AccessTokenVerifier;
  directory: ClientDirectory;
}

const errorResponses = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  413: ErrorBodySchema,
  415: ErrorBodySchema,
  500: ErrorBodySchema,
  503: ErrorBodySchema,
};

/**
 * GET and PATCH arming settings. Who may do what is settled in onRequest, before the body is even
 * read, so the status precedence holds: 401, then 403, then 404, and only then 413/415/400.
 */
export const armingRoutes: FastifyPluginAsync<ArmingRoutesOptions> = async (
  app,
  { service, verifier, directory },
) => {
  /**
   * The onRequest hook that settles who may do what, then finds the site. Callback-style, with a
   * `then` where it must wait: every GET comes through here, and an async hook costs two promises
   * and two turns of the microtask queue more. What throws synchronously, Fastify hands to `done`.
   */
  function locateSite(scope: Scope, locate: (dealerId: number, siteId: string) => Promise<SiteSummary>) {
    const locateFor = (request: FastifyRequest, caller: Caller, done: HookHandlerDoneFunction) => {
      request.caller = caller;
      const { dealerId, siteId } = request.params as { dealerId: string; siteId: string };
      request.dealerId = authorizeDealer(caller.access, dealerId);
      requireScope(caller, scope);
      locate(request.dealerId, siteId).then((site) => {
        request.site = site;
        done();
      }, done);
    };
    return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const { authorization } = request.headers;
      const caller = recallCaller(authorization, verifier, directory);
      if (caller) {
        locateFor(request, caller, done);
        return;
      }
      authenticateBearer(authorization, verifier, directory)
        .then((authenticated) => locateFor(request, authenticated, done))
        .catch(done);
    };
  }

  app.get(ARMING_SETTINGS_ROUTE, {
    schema: {
      operationId: 'getArmingSettings',
      params: ArmingSettingsPathSchema,
      response: { 200: ArmingSettingsSchema, ...errorResponses },
    },
    onRequest: locateSite('arming_settings:read', (dealerId, siteId) => service.locate(dealerId, siteId)),
    // Synchronous: everything asynchronous happened in onRequest, and an async handler would cost
    // the busiest route a promise per request.
    handler: (request, reply) => {
      reply.send(toArmingSettings(located(request)));
    },
  });

  app.patch(ARMING_SETTINGS_ROUTE, {
    schema: {
      operationId: 'updateArmingSettings',
      params: ArmingSettingsPathSchema,
      body: ArmingSettingsUpdateSchema,
      response: { 200: ArmingSettingsSchema, ...errorResponses },
    },
    onRequest: locateSite('arming_settings:write', (dealerId, siteId) =>
      service.locateForChange(dealerId, siteId),
    ),
    handler: async (request) => {
      const site = located(request);
      const { security_type } = request.body as { security_type: 1 | 2 | 3 | 4 };
      const caller = request.caller as Caller;
      return service.update(request.dealerId as number, site.id, security_type, {
        clientId: caller.clientId,
        traceId: request.id,
      });
    },
  });

  app.route({
    method: ['PUT', 'POST', 'DELETE'],
    url: ARMING_SETTINGS_ROUTE,
    handler: async (_request, reply) => {
      reply.header('allow', 'GET, HEAD, PATCH');
      throw new ApiError('method_not_allowed');
    },
  });
};

function located(request: FastifyRequest): SiteSummary {
  if (!request.site) throw new Error('arming route reached its handler without a located site');
  return request.site;
}
