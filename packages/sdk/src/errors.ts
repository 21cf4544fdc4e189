import type { ErrorCode, OAuthErrorCode } from '@chekt-partner/contract';

/**
 * A code the API answered with. The contract's codes are listed for autocompletion; any other
 * string is still accepted, because the production API may answer with codes we do not know yet.
 */
export type ChektErrorCode = ErrorCode | OAuthErrorCode | (string & {});

/** Everything this SDK throws: catch this one class to catch them all. */
export class ChektError extends Error {
  override name = 'ChektError';
  /** The x-partner-trace-id of the request: quote it to CHeKT support. */
  readonly traceId: string;

  constructor(message: string, traceId: string, options?: { cause?: unknown }) {
    super(message, options);
    this.traceId = traceId;
  }
}

/** The API answered, and the answer was a refusal (any status outside 2xx). */
export class ChektApiError extends ChektError {
  override name = 'ChektApiError';
  readonly status: number;
  readonly code: ChektErrorCode;

  constructor(status: number, code: ChektErrorCode, message: string, traceId: string) {
    super(message, traceId);
    this.status = status;
    this.code = code;
  }
}

/** 401, or a refusal at the token endpoint: the credentials or the token are not accepted. */
export class ChektAuthenticationError extends ChektApiError {
  override name = 'ChektAuthenticationError';
}

/** 403: the client is not granted that dealer, or its token lacks the scope. */
export class ChektForbiddenError extends ChektApiError {
  override name = 'ChektForbiddenError';
}

/** 404: the dealer, or the site under that dealer, does not exist. */
export class ChektNotFoundError extends ChektApiError {
  override name = 'ChektNotFoundError';
}

/** 400: the request was malformed; `field` names the input at fault when exactly one is. */
export class ChektValidationError extends ChektApiError {
  override name = 'ChektValidationError';
  readonly field: string | undefined;

  constructor(status: number, code: ChektErrorCode, message: string, traceId: string, field?: string) {
    super(status, code, message, traceId);
    this.field = field;
  }
}

/** 429: too many requests, and retrying (if allowed) did not help. */
export class ChektRateLimitError extends ChektApiError {
  override name = 'ChektRateLimitError';
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: ChektErrorCode, message: string, traceId: string, retryAfter?: number) {
    super(status, code, message, traceId);
    this.retryAfter = retryAfter;
  }
}

/** 5xx: the server failed; retrying (if allowed) did not help. */
export class ChektServerError extends ChektApiError {
  override name = 'ChektServerError';
  /** Seconds the server asked us to wait (Retry-After, sent with a 503), when it said. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: ChektErrorCode, message: string, traceId: string, retryAfter?: number) {
    super(status, code, message, traceId);
    this.retryAfter = retryAfter;
  }
}

/** No answer at all: the connection failed (DNS, refused, reset). */
export class ChektConnectionError extends ChektError {
  override name = 'ChektConnectionError';
}

/** No answer within `timeoutMs`: the request was aborted. */
export class ChektTimeoutError extends ChektConnectionError {
  override name = 'ChektTimeoutError';
}

/** A 2xx answer that is not the documented shape: the base URL probably points elsewhere. */
export class ChektUnexpectedResponseError extends ChektError {
  override name = 'ChektUnexpectedResponseError';
}
