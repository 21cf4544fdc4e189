import {
  ALL_SCOPES,
  AUTHORIZATION_SERVER_METADATA_PATH,
  AuthorizationServerMetadataSchema,
  ERROR_CODES,
  JWKS_PATH,
  JwksSchema,
  OAuthErrorSchema,
  TOKEN_PATH,
  TokenResponseSchema,
} from '@chekt-partner/contract';
import formBody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { ApiError, asErrorDescription, OAuthError } from '../errors.js';
import { refuseContentCodings } from '../http/content-coding.js';
import { REALM } from '../http/error-handler.js';
import {
  handleTokenRequest,
  isFormEncoded,
  notFormEncoded,
  type TokenEndpointDeps,
} from './token-endpoint.js';

/** The token endpoint's needs cover the rest: the keys the JWKS publishes, the issuer the metadata names. */
export type OAuthRoutesOptions = TokenEndpointDeps;

/** The authorization server: token endpoint (RFC 6749 §4.4), JWKS, and metadata (RFC 8414). */
export const oauthRoutes: FastifyPluginAsync<OAuthRoutesOptions> = async (app, deps) => {
  await app.register(formBody, { bodyLimit: 8 * 1024 });

  app.post(TOKEN_PATH, {
    schema: {
      operationId: 'issueToken',
      response: { 200: TokenResponseSchema, 400: OAuthErrorSchema, 401: OAuthErrorSchema },
    },
    preParsing: refuseContentCodings,
    // The token endpoint answers in RFC 6749 §5.2's own format, not the API's error envelope.
    errorHandler: (thrown, request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const error = notFormEncodedBody(thrown, request.headers['content-type']) ?? thrown;
      if (error instanceof OAuthError) {
        if (error.code === 'invalid_client') reply.header('www-authenticate', `Basic realm="${REALM}"`);
        const status = error.code === 'invalid_client' ? 401 : 400;
        return reply
          .code(status)
          .send({ error: error.code, error_description: asErrorDescription(error.message) });
      }
      // An API-wide rule broken before the token step (a bad x-partner-trace-id) is still the
      // client's fault, and this endpoint states client faults in RFC 6749's own format.
      if (error instanceof ApiError && ERROR_CODES[error.code].status < 500) {
        return reply
          .headers(error.headers)
          .code(400)
          .send({ error: 'invalid_request', error_description: asErrorDescription(error.message) });
      }
      // A status of 4xx is a request Fastify or Node refused, before the database's codes: a body
      // its client cut off is Node's "aborted" with ECONNRESET and a 400, the client's doing.
      const status = (error as FastifyError).statusCode;
      if (error instanceof ApiError || status === undefined || status >= 500) {
        // Not the client's fault: let the API-wide boundary answer 503/500.
        throw error;
      }
      const description = asErrorDescription((error as Error).message);
      return reply.code(400).send({ error: 'invalid_request', error_description: description });
    },
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const { clientId, ...token } = await handleTokenRequest(deps, {
        contentType: request.headers['content-type'],
        authorization: request.headers.authorization,
        body: request.body,
      });
      request.log.info({ client_id: clientId }, 'access token issued');
      return token;
    },
  });

  app.get(
    JWKS_PATH,
    { schema: { operationId: 'getJwks', response: { 200: JwksSchema } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return deps.keys.jwks;
    },
  );

  const metadataSchema = {
    operationId: 'getAuthorizationServerMetadata',
    response: { 200: AuthorizationServerMetadataSchema },
  };
  app.get(AUTHORIZATION_SERVER_METADATA_PATH, { schema: metadataSchema }, async () => {
    const issuer = deps.settings.issuer;
    return {
      issuer,
      token_endpoint: `${issuer}${TOKEN_PATH}`,
      jwks_uri: `${issuer}${JWKS_PATH}`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ALL_SCOPES,
      response_types_supported: [],
    };
  });
};

/**
 * Fastify parses a body before the handler checks its media type: one it has no parser for
 * (text/plain, multipart, none named) or that its JSON parser refuses would be answered in
 * Fastify's words ("Unsupported Media Type", "Body is not valid JSON ..."), where a JSON body it
 * could parse is told what this endpoint takes (requireFormEncoding). Told that in every case.
 */
function notFormEncodedBody(error: FastifyError, contentType: string | undefined): OAuthError | undefined {
  if (!error.code?.startsWith('FST_ERR_CTP_') || isFormEncoded(contentType)) return undefined;
  return notFormEncoded();
}
