import { TRACE_ID_HEADER } from '@chekt-partner/contract/trace-id';
import {
  ChektApiError,
  ChektAuthenticationError,
  type ChektErrorCode,
  ChektForbiddenError,
  ChektNotFoundError,
  ChektRateLimitError,
  ChektServerError,
  ChektValidationError,
} from './errors.js';
import { parseRetryAfter } from './retry-policy.js';

/** What an error answer said, whichever of the two error formats it used. */
interface ErrorDetails {
  code: ChektErrorCode;
  message: string;
  field: string | undefined;
  traceId: string | undefined;
}

/**
 * The error class is chosen from the status alone (as openai-node does), so an error code the SDK
 * does not know yet still lands in the right family.
 */
export function errorFromResponse(
  status: number,
  headers: Headers,
  body: unknown,
  sentTraceId: string,
): ChektApiError {
  const details = readErrorDetails(status, body);
  // The server's echo of the trace id is the authority; the body and our own value are fallbacks.
  const traceId = headers.get(TRACE_ID_HEADER) ?? details.traceId ?? sentTraceId;
  const { code, message, field } = details;
  if (status >= 300 && status < 400)
    return new ChektApiError(status, code, redirectMessage(status, headers), traceId);
  if (status === 400) return new ChektValidationError(status, code, message, traceId, field);
  if (status === 401) return new ChektAuthenticationError(status, code, message, traceId);
  if (status === 403) return new ChektForbiddenError(status, code, message, traceId);
  if (status === 404) return new ChektNotFoundError(status, code, message, traceId);
  if (status === 429) {
    return new ChektRateLimitError(status, code, message, traceId, parseRetryAfter(headers, Date.now()));
  }
  if (status >= 500) {
    return new ChektServerError(status, code, message, traceId, parseRetryAfter(headers, Date.now()));
  }
  return new ChektApiError(status, code, message, traceId);
}

/** A redirect means the URL is not where the API is: say where it points, so the option can be fixed. */
function redirectMessage(status: number, headers: Headers): string {
  const location = headers.get('location');
  const where = location ? ` to ${location}` : '';
  return `The API answered HTTP ${status}, a redirect${where}, which the SDK does not follow: set baseUrl (or tokenUrl) to the API's own address`;
}

/**
 * The token endpoint's refusal (RFC 6749 §5.2: a 400 or 401 whose body names an OAuth error) means
 * these credentials get no token, whatever the error. Any other answer is classed by its status
 * like the API's: a 404 page at a mistyped tokenUrl is a ChektNotFoundError, not a reason to
 * doubt the credentials.
 */
export function tokenErrorFromResponse(
  status: number,
  headers: Headers,
  body: unknown,
  sentTraceId: string,
): ChektApiError {
  const refusal = (status === 400 || status === 401) && isRecord(body) && typeof body.error === 'string';
  if (!refusal) return errorFromResponse(status, headers, body, sentTraceId);
  const details = readErrorDetails(status, body);
  const traceId = headers.get(TRACE_ID_HEADER) ?? details.traceId ?? sentTraceId;
  return new ChektAuthenticationError(status, details.code, details.message, traceId);
}

/** Reads the API envelope `{error: {code, message, trace_id, field}}` or RFC 6749's `{error, error_description}`. */
function readErrorDetails(status: number, body: unknown): ErrorDetails {
  const fallback: ErrorDetails = {
    code: `http_${status}`,
    message: `The API answered with HTTP ${status}`,
    field: undefined,
    traceId: undefined,
  };
  if (!isRecord(body)) return fallback;
  const envelope = body.error;
  if (isRecord(envelope)) {
    return {
      code: stringOr(envelope.code, fallback.code),
      message: stringOr(envelope.message, fallback.message),
      field: stringOr(envelope.field, undefined),
      traceId: stringOr(envelope.trace_id, stringOr(envelope.request_id, undefined)),
    };
  }
  if (typeof envelope === 'string') {
    return {
      code: envelope,
      message: stringOr(body.error_description, fallback.message),
      field: undefined,
      traceId: undefined,
    };
  }
  return fallback;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}
