import { ERROR_CODES, type ErrorBody, type ErrorCode, TRACE_ID_HEADER } from '@chekt-partner/contract';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, asErrorDescription } from '../errors.js';
import { isDatabaseGone, isDatabaseUnavailable } from '../store/availability.js';
import type { AccessLog } from './access-log.js';

/** The protection space of every challenge, Bearer (RFC 6750) and Basic (the token endpoint). */
export const REALM = 'chekt-partner';
const RETRY_AFTER_SECONDS = 2;

/**
 * The one error boundary: every failure leaves as the JSON envelope with a stable code. 4xx say
 * what was wrong; 5xx say nothing of the internals (those go to the log).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = notRoutedBody(app, request, error as FastifyError) ?? toApiError(error as FastifyError);
    logFailure(request, error, apiError);
    return sendApiError(request, reply, apiError);
  });

  app.setNotFoundHandler((request, reply) => sendApiError(request, reply, notRoutedError(app, request)));
}

/**
 * What a failure on our side says in the log besides its access line. What we refuse on purpose
 * (a readiness probe's 503) says nothing more. A database that cannot be reached or takes no
 * writes is an outage, answered 503 by design until it is mended: each such request says why in
 * a warning, without the stack, which is the database driver's, the same for every request, and
 * four times the length of the access line. Anything else is a bug, and needs its stack.
 */
function logFailure(request: FastifyRequest, error: unknown, apiError: ApiError): void {
  if (error instanceof ApiError || ERROR_CODES[apiError.code].status < 500) return;
  if (apiError.code === 'service_unavailable') {
    request.log.warn({ reason: reasonOf(error) }, 'database unavailable');
    return;
  }
  request.log.error({ err: error }, 'request failed');
}

/**
 * An error's type, code and message, without its stack or the driver's other fields. Not under
 * `err`: pino's serializer would add the stack back, empty.
 */
function reasonOf(error: unknown): { type: string; code?: unknown; message: string } {
  const { code } = error as { code?: unknown };
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  return { type: error.constructor.name, code, message: error.message };
}

/**
 * Fastify reads a body before its not-found handler runs, so a body no route takes can fail to
 * parse first (a form POSTed to an arming path, broken JSON PUT to an unknown path). Its answer is
 * still the 405 or 404 the request would have had without a body.
 */
function notRoutedBody(
  app: FastifyInstance,
  request: FastifyRequest,
  error: FastifyError,
): ApiError | undefined {
  if (!request.is404 || !error.code?.startsWith('FST_ERR_CTP_')) return undefined;
  return notRoutedError(app, request);
}

/** A 404 for a path no route serves, a 405 for a method the path does not serve. */
function notRoutedError(app: FastifyInstance, request: FastifyRequest): ApiError {
  const allowed = methodsServedAt(app, request.url);
  // A route that does serve this method can still find nothing there (a static file not served).
  const pathUnknown = allowed.length === 0 || allowed.includes(request.method);
  if (pathUnknown) return new ApiError('not_found');
  // RFC 9110 §15.5.6: a 405 lists the methods the path does serve.
  return new ApiError('method_not_allowed', { headers: { allow: allowed.join(', ') } });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods some route answers at this URL; none when the path itself is unknown. */
function methodsServedAt(app: FastifyInstance, url: string): string[] {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

/**
 * Fastify's `frameworkErrors`: a request it cannot route at all (a path that is not valid
 * percent-encoding) reaches no hook and no error handler, so it is answered here as every other
 * error is: the envelope, the trace id header, and an access line.
 */
export function answerUnroutable(accessLog: AccessLog) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    reply.raw.once('finish', () => accessLog.requestCompleted(null, request, reply));
    reply.header(TRACE_ID_HEADER, request.id);
    sendApiError(request, reply, unroutableError(error, request.url));
  };
}

/**
 * The router refuses a path that is not valid percent-encoding, and a target in absolute form
 * that is not an http(s) URL it can take (`ftp://...`, a port past 65535, a `#fragment`): each is
 * told what it got wrong, not the other's reason. An absolute-form target's path is decoded as
 * any other, so its bad percent-encoding is told as a path's; a bad one in its host
 * (`http://%zz/healthz`) is the target's fault, not the path's.
 */
function unroutableError(error: FastifyError, target: string): ApiError {
  if (error.code === 'FST_ERR_BAD_URL') {
    const message =
      target.startsWith('/') || !decodes(pathOfAbsolute(target))
        ? 'The request path is not valid percent-encoding'
        : 'The request target is not a valid http(s) URL';
    return new ApiError('bad_request', { message, cause: error });
  }
  return toApiError(error);
}

function sendApiError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const status = ERROR_CODES[error.code].status;
  const challenge = wwwAuthenticate(error);
  if (challenge) reply.header('www-authenticate', challenge);
  reply.headers(error.headers);
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  // RFC 5789 §2.2: a PATCH refused for its media type says which one it takes.
  if (status === 415 && request.method === 'PATCH') reply.header('accept-patch', 'application/json');
  return reply.code(status).send(errorBody(error, request.id));
}

export function errorBody(error: ApiError, traceId: string): ErrorBody {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      trace_id: traceId,
      request_id: traceId,
    },
  };
  if (error.field !== undefined) body.error.field = error.field;
  return body;
}

/** RFC 6750 §3: the challenge that tells the client what to do about a 401 or a scope 403. */
function wwwAuthenticate(error: ApiError): string | undefined {
  if (error.code === 'unauthorized') return `Bearer realm="${REALM}"`;
  const description = asErrorDescription(error.message);
  if (error.code === 'bad_request' && error.field === 'authorization') {
    return `Bearer realm="${REALM}", error="invalid_request", error_description="${description}"`;
  }
  if (error.code === 'invalid_token') {
    return `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
  }
  if (error.code === 'insufficient_scope') {
    return `Bearer realm="${REALM}", error="insufficient_scope", error_description="${description}"`;
  }
  return undefined;
}

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.validation) return fromValidation(error);
  const mapped = FASTIFY_CODES[error.code];
  if (mapped) return new ApiError(mapped, { cause: error });
  if (error instanceof SyntaxError && error.statusCode === 400)
    return new ApiError('malformed_json', { cause: error });
  // The docs' assets have validators (ETag, Last-Modified): @fastify/send fails their
  // If-Match or If-Unmodified-Since with a 412, which the catch-all below turned into a 400.
  if (error.statusCode === 412) {
    return new ApiError('precondition_failed', {
      message: 'A precondition (If-Match or If-Unmodified-Since) does not hold',
      cause: error,
    });
  }
  // Before the database's codes: a body whose client went away is Node's "aborted" with
  // ECONNRESET and a 400, the client's doing, not a database that cannot be reached.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('bad_request', { message: error.message, cause: error });
  }
  // The server's database dropped or being restored under it: an outage the operator is mending.
  if (isDatabaseUnavailable(error) || isDatabaseGone(error))
    return new ApiError('service_unavailable', { cause: error });
  return new ApiError('internal_error', { cause: error });
}

/** What follows the authority of a target in absolute form: its path, query and fragment. */
function pathOfAbsolute(target: string): string {
  const authority = target.indexOf('://') + 3;
  const path = target.indexOf('/', authority);
  return path === -1 ? '' : target.slice(path);
}

function decodes(target: string): boolean {
  try {
    decodeURI(target);
    return true;
  } catch {
    return false;
  }
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

/** Schema failures, named by what the caller got wrong rather than by validator keyword. */
function fromValidation(error: FastifyError): ApiError {
  const first = error.validation?.[0];
  if (!first || error.validationContext !== 'body')
    return new ApiError('bad_request', { message: error.message });
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') {
    const field = String(params.additionalProperty);
    return new ApiError('unknown_field', {
      field,
      message: `Unknown field "${field}": only security_type may be sent`,
    });
  }
  if (first.instancePath.startsWith('/security_type') || params.missingProperty === 'security_type') {
    return new ApiError('invalid_security_type', { field: 'security_type' });
  }
  return new ApiError('invalid_body');
}
