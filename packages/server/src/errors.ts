import { ERROR_CODES, type ErrorCode, type OAuthErrorCode } from '@chekt-partner/contract';

/**
 * A failure the caller can act on. Domain code throws these with a contract error code; the one
 * error boundary (http/error-handler.ts) turns the code into a status and the JSON envelope.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ErrorCode;
  readonly field: string | undefined;
  /** Response headers that belong to this failure alone (e.g. what a 415 would have accepted). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    options: { message?: string; field?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    // Without a message of its own, the code's text from the contract: what the client reads.
    super(options.message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
}

/** An RFC 6749 §5.2 error from the token endpoint, which answers in OAuth's own format. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly code: OAuthErrorCode;

  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.code = code;
  }
}

/**
 * A message as an OAuth `error_description`, which may hold only printable ASCII without `"` or
 * `\` (RFC 6749 §5.2, RFC 6750 §3): a message that echoes what the client sent (an unknown
 * scope, a parameter's name) could hold anything. `"` becomes `'`, anything else outside `?`.
 */
export function asErrorDescription(message: string): string {
  return message.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
}
