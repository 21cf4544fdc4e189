import { TOKEN_PATH } from '@chekt-partner/contract/paths';
import { ApiRequester } from './api-requester.js';
import { ArmingSettingsResource } from './arming-settings.js';
import { TokenCache } from './token-cache.js';
import { requestAccessToken } from './token-endpoint.js';
import type { TransportSettings } from './transport.js';

export interface ChektPartnerClientOptions {
  /**
   * The partner client's OAuth credentials. `undefined` is allowed so that an environment variable
   * goes in as it is (`clientId: process.env.CHEKT_CLIENT_ID`, as the README shows) under `strict`:
   * unset or empty, it is refused here with a TypeError naming it, before anything is sent.
   */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Where the API is, e.g. `https://api.chekt.com` (no `/partner/v1`). */
  baseUrl: string;
  /** The OAuth token endpoint; default `${baseUrl}/oauth/token`. */
  tokenUrl?: string;
  /** A fetch implementation (a proxy agent, instrumentation); default the platform's `fetch`. */
  fetch?: typeof fetch;
  /** Deadline for each attempt, in ms; default 30 000. */
  timeoutMs?: number;
  /** Retries after a 429, a 503, a timeout or a connection failure; default 2. */
  maxRetries?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;

/**
 * The CHeKT Partner API. Tokens, retries and trace ids are handled inside:
 *
 *     const chekt = new ChektPartnerClient({ clientId, clientSecret, baseUrl });
 *     const settings = await chekt.armingSettings.get(12345, 1);
 */
export class ChektPartnerClient {
  readonly armingSettings: ArmingSettingsResource;

  constructor(options: ChektPartnerClientOptions) {
    const baseUrl = httpUrl('baseUrl', options.baseUrl).replace(/\/+$/, '');
    const tokenUrl =
      options.tokenUrl === undefined
        ? `${baseUrl}${TOKEN_PATH}`
        : httpUrl('tokenUrl', options.tokenUrl, true);
    const credentials = {
      clientId: nonEmpty('clientId', options.clientId),
      clientSecret: nonEmpty('clientSecret', options.clientSecret),
    };
    const transport: TransportSettings = {
      // Bound, so a fetch that relies on `this` being globalThis (browsers) still works.
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: timeout('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      maxRetries: nonNegativeInteger('maxRetries', options.maxRetries ?? DEFAULT_MAX_RETRIES),
    };
    const tokens = new TokenCache((traceId) => requestAccessToken(transport, tokenUrl, credentials, traceId));
    this.armingSettings = new ArmingSettingsResource(new ApiRequester(baseUrl, transport, tokens));
  }
}

// Options are checked once, here, so a typo fails at construction and not at the first call.

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function httpUrl(name: string, value: unknown, allowQuery = false): string {
  const text = nonEmpty(name, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparsed, it may still hold credentials (`http://id:secret@host:99999`): never quote them.
    throw new TypeError(`${name} must be an absolute URL, got "${text.replace(/\/\/[^/@]*@/, '//***@')}"`);
  }
  // fetch refuses such a URL, and an error message that quoted it would print the password.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`${name} must not contain credentials: pass clientId and clientSecret`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${name} must be an http(s) URL, got "${text}"`);
  }
  // A fragment is never sent (RFC 6749 §3.2 forbids one on the token endpoint too).
  if (text.includes('#')) throw new TypeError(`${name} must not have a fragment, got "${text}"`);
  // The API's paths are appended to the base URL: after a query they would not be paths at all.
  if (!allowQuery && text.includes('?')) throw new TypeError(`${name} must not have a query, got "${text}"`);
  // The URL as parsed, not as given: the API's paths are appended to it, and the parser drops what
  // surrounds a URL (a pasted space), which, kept, would end up inside the request's URL.
  return url.href;
}

/** setTimeout's (and AbortSignal.timeout's) own ceiling: a longer delay would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function timeout(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new TypeError(`${name} must be an integer from 1 to ${MAX_TIMEOUT_MS} (ms)`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be an integer >= 0`);
  return value;
}
