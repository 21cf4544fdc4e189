import { maxHeaderSize } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PREFIX } from '@chekt-partner/contract';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { armingRoutes } from './arming/routes.js';
import { ArmingService } from './arming/service.js';
import { ClientDirectory } from './auth/client-directory.js';
import type { Config } from './config.js';
import { docsRoutes } from './docs/routes.js';
import { AccessLog } from './http/access-log.js';
import { answerUnroutable, registerErrorHandling } from './http/error-handler.js';
import { registerHealth } from './http/health.js';
import { lingerBeforeClosing } from './http/lingering-close.js';
import { trackConnections } from './http/open-connections.js';
import { serveEachConnectionInOrder } from './http/pipelining.js';
import { registerRequestContext } from './http/request-context.js';
import { registerRequestHeaderChecks } from './http/request-headers.js';
import { oneSerializerPerSchema } from './http/response-serializers.js';
import { cutStalledReaders } from './http/stalled-readers.js';
import { traceIdOf } from './http/trace-id.js';
import { answerConnect, answerUnparseable } from './http/unparseable-requests.js';
import { lazyChildLoggers } from './logging/lazy-child-logger.js';
import type { Logging } from './logging/logger.js';
import { type AccessTokenSettings, AccessTokenVerifier } from './oauth/access-tokens.js';
import { oauthRoutes } from './oauth/routes.js';
import { loadSigningKeys } from './oauth/signing-keys.js';
import type { Store } from './store/store.js';

export interface AppOptions {
  /** `host`: the name it listens on (HOST), which names the issuer; without it, the bound address. */
  config: Pick<Config, 'tokenTtlSeconds' | 'issuerUrl'> & Partial<Pick<Config, 'host'>>;
  store: Store;
  /** The server's logging (createLogging); without it the app logs nothing. */
  logging?: Logging;
  /** REQUEST_TIMEOUT_MS unless a test needs a shorter one (Node then checks twice as often). */
  requestTimeoutMs?: number;
}

/** Bodies here are one small JSON object; anything bigger is a mistake or an attack. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * How long a request may take to arrive whole, headers and body: Node's own limit on the headers
 * (60 s). Fastify turns Node's limit on the whole request off by default, which let a client
 * trickling a body hold its connection forever. Node checks every 30 s, so a late request is
 * answered 408 (unparseable-requests.ts) 60-90 s after it began.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The whole API as one Fastify instance that knows no port: the launcher (server.ts) listens,
 * tests either listen on port 0 or inject.
 */
export async function buildApp({
  config,
  store,
  logging,
  requestTimeoutMs = REQUEST_TIMEOUT_MS,
}: AppOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger | undefined = logging?.logger;
  const accessLog = new AccessLog(logging?.accessLines);
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    genReqId: traceIdOf,
    childLoggerFactory: lazyChildLoggers,
    logController: accessLog,
    frameworkErrors: answerUnroutable(accessLog),
    clientErrorHandler: answerUnparseable(logger),
    // The router's own limit (100 characters) would answer a longer id with a bare 414 before
    // authentication. Node's limit on the request line bounds every id anyway, so every path goes
    // through the route's checks and answers 401, 403 or 404 like any other id that is not there.
    routerOptions: { maxParamLength: maxHeaderSize },
    bodyLimit: BODY_LIMIT_BYTES,
    // While shutting down, a request that still arrives on an open keep-alive connection is served
    // in full (its answer says `Connection: close`): Fastify's default is a bare 503 without the
    // envelope or the trace id. The database closes only after the last connection has.
    return503OnClosing: false,
    // A request without Host is refused by registerRequestHeaderChecks, in the envelope, not by Node.
    // Node does not enforce the whole-request limit while the headers' one is larger: the two are equal.
    http: {
      requireHostHeader: false,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, requestTimeoutMs / 2),
    },
    requestTimeout: requestTimeoutMs,
    schemaController: { compilersFactory: { buildSerializer: oneSerializerPerSchema } },
    // A body with a `__proto__` or `constructor.prototype` key is valid JSON: Fastify's default
    // answered it as malformed. Parsed as it is (JSON.parse makes such keys plain own properties),
    // it fails the schema, which takes no field but security_type, as an unknown field; no code
    // reads a body the schema has not accepted.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Never coerce "3" into 3 or drop unknown fields: a misspelt request must be a 400, not a silent 200.
    // The schemas are the contract's constants, checked against the JSON Schema meta-schema by its
    // tests (schemas.test.ts): compiling that meta-schema cost ~55 ms of every start on a slow host.
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        validateSchema: false,
        keywords: ['x-enum-varnames', 'x-enum-descriptions'],
      },
    },
  });

  app.server.on('connect', answerConnect(logger));
  trackConnections(app.server);
  accessLog.watchConnections(app.server);
  lingerBeforeClosing(app.server);
  cutStalledReaders(app.server, requestTimeoutMs);
  // Every header Node parses is one the checks see (request-headers.ts, trace-id.ts, ...): past
  // maxHeadersCount (2000) Node left a header out of request.headers while its parser still acted
  // on it (a second Host, a Transfer-Encoding). Their total size stays bounded by maxHeaderSize.
  app.server.maxHeadersCount = 0;
  // A client that half-closes its side once it has sent its requests still gets their answers:
  // by default Node aborted them at the FIN, unanswered, while a PATCH among them went on to commit.
  // Node's http.Server has long had this switch; its types do not declare it (a test holds it to it).
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Fastify parses text/plain by default; no endpoint here takes text, so such a body must be a 415.
  app.removeContentTypeParser('text/plain');

  const keys = await loadSigningKeys(store.db);
  const settings = tokenSettings(app, config);
  const verifier = new AccessTokenVerifier(keys, settings);
  const directory = new ClientDirectory(store.db);
  const service = new ArmingService(store);

  registerRequestContext(app);
  serveEachConnectionInOrder(app);
  registerRequestHeaderChecks(app);
  registerErrorHandling(app);
  registerHealth(app, store);
  await app.register(oauthRoutes, { store, keys, settings });
  await app.register(armingRoutes, { service, verifier, directory });
  await app.register(docsRoutes, { publicUrl: config.issuerUrl, issuer: () => settings.issuer });
  return app;
}

/**
 * The issuer is the operator's ISSUER_URL, or else the server's own base URL as served: the HOST
 * it was given (`localhost` stays `localhost`, rather than the address that name resolved to),
 * with the port it actually listens on (known only after listen, hence the getter). Tokens are for
 * this API: the audience is its base.
 */
function tokenSettings(app: FastifyInstance, config: AppOptions['config']): AccessTokenSettings {
  let listenUrl: string | undefined;
  const issuer = (): string => {
    if (config.issuerUrl) return config.issuerUrl;
    if (listenUrl) return listenUrl;
    const address = app.server.address() as AddressInfo | null;
    // Before listen (an inject, say) there is no address yet: answer, but remember nothing.
    if (!address) return 'http://localhost';
    listenUrl = urlOf(address, config.host);
    return listenUrl;
  };
  return {
    get issuer() {
      return issuer();
    },
    get audience() {
      return `${issuer()}${API_PREFIX}`;
    },
    ttlSeconds: config.tokenTtlSeconds,
  };
}

function urlOf(address: AddressInfo, configuredHost: string | undefined): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  if (wildcard) return `http://localhost:${address.port}`;
  const host = configuredHost ?? address.address;
  // An IPv6 literal goes in brackets in a URL (RFC 3986 §3.2.2).
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${urlHost}:${address.port}`;
}
