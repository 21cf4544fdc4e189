import { isValidTraceId, TRACE_ID_HEADER } from '@chekt-partner/contract/trace-id';
import { unlessAborted } from './cancellation.js';
import { errorFromResponse } from './error-from-response.js';
import type { TokenCache } from './token-cache.js';
import { newTraceId } from './trace-id.js';
import { send, type TransportSettings } from './transport.js';

/** Per-call options every operation takes. */
export interface RequestOptions {
  /** Sent as x-partner-trace-id (1-128 visible ASCII characters); a fresh UUID when omitted. */
  traceId?: string;
  /** Cancels the call (and any pause between retries); the signal's reason is thrown. */
  signal?: AbortSignal;
}

export interface ApiAnswer {
  body: unknown;
  traceId: string;
}

/** An authenticated API call: bearer token from the cache, retries from the transport, refusals as errors. */
export class ApiRequester {
  constructor(
    private readonly baseUrl: string,
    private readonly transport: TransportSettings,
    private readonly tokens: TokenCache,
  ) {}

  async request(
    method: 'GET' | 'PATCH',
    path: string,
    json: object | undefined,
    options: RequestOptions = {},
  ): Promise<ApiAnswer> {
    const traceId = traceIdFor(options);
    // As fetch does: a call cancelled before it starts sends nothing, not even a token request.
    options.signal?.throwIfAborted();
    for (let refreshed = false; ; refreshed = true) {
      const token = await unlessAborted(this.tokens.token(traceId), options.signal);
      const response = await send(this.transport, {
        url: `${this.baseUrl}${path}`,
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        traceId,
        signal: options.signal,
      });
      // We always send a token, so a 401 means this token was not accepted (expired early, keys
      // rotated, issuer changed): fetch a new one and try once more. Only once: a second 401 means
      // the new token is refused too, and asking again would loop.
      if (response.status === 401 && !refreshed) {
        this.tokens.invalidate(token);
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        return { body: response.body, traceId: response.headers.get(TRACE_ID_HEADER) ?? traceId };
      }
      throw errorFromResponse(response.status, response.headers, response.body, traceId);
    }
  }
}

/**
 * The caller's trace id, checked as the API checks it (visible ASCII, 1-128 characters): fetch
 * would refuse a control character in a header, and the API answers anything else 400.
 */
function traceIdFor(options: RequestOptions): string {
  if (options.traceId === undefined) return newTraceId();
  if (!isValidTraceId(options.traceId)) {
    throw new TypeError('traceId must be 1-128 visible ASCII characters (no spaces or control characters)');
  }
  return options.traceId;
}
