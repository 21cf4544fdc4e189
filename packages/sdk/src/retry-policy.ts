/**
 * When to try a request again, and how long to wait first. Pure functions: the transport asks,
 * this module answers, so every rule can be read (and tested) in one place.
 */

/** What came of one attempt. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: Headers }
  | { kind: 'connection-failed' }
  | { kind: 'timed-out' };

/** A server asking for a longer pause than this is better answered by failing now. */
export const MAX_RETRY_AFTER_SECONDS = 60;
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/**
 * Milliseconds to wait before the next attempt, or undefined to give up.
 * `retriesDone` counts the retries already made (0 after the first attempt).
 */
export function retryDelayMs(
  outcome: AttemptOutcome,
  retriesDone: number,
  maxRetries: number,
  random: () => number = Math.random,
): number | undefined {
  // Bounded: never more than maxRetries retries, whatever happens.
  if (retriesDone >= maxRetries) return undefined;
  // No answer at all (refused, reset, timed out): the request may not have arrived; both
  // operations are idempotent (GET reads, PATCH sets an absolute value), so sending it again is safe.
  if (outcome.kind !== 'response') return backoffMs(retriesDone, random);
  // Only the statuses with which a server says "later": 429 (slow down) and 503 (temporarily down).
  // Every other 4xx is our mistake and 500 is a bug: the same request would fail the same way.
  if (outcome.status !== 429 && outcome.status !== 503) return undefined;
  const retryAfter = parseRetryAfter(outcome.headers, Date.now());
  // No Retry-After: exponential backoff with jitter.
  if (retryAfter === undefined) return backoffMs(retriesDone, random);
  // Retry-After honoured exactly, up to a cap; beyond it, fail now and let the caller decide
  // (the error carries retryAfter) rather than block for minutes.
  if (retryAfter > MAX_RETRY_AFTER_SECONDS) return undefined;
  return retryAfter * 1000;
}

/**
 * 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s ... each shortened by up to 25 % at random, so that many clients
 * refused at the same moment do not come back at the same moment.
 */
export function backoffMs(retriesDone: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** retriesDone);
  return Math.round(ceiling * (1 - random() * 0.25));
}

// RFC 9110 §5.6.7: an HTTP-date is IMF-fixdate (Sun, 06 Nov 1994 08:49:37 GMT), or one of the two
// obsolete forms, RFC 850 (Sunday, 06-Nov-94 08:49:37 GMT) and asctime (Sun Nov  6 08:49:37 1994).
const HTTP_DATE =
  /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/**
 * RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date. Returns seconds, or undefined
 * for anything else ("1.5", "-1"): Date.parse would read those as dates long past, and a retry
 * at once is the opposite of what the server asked.
 */
export function parseRetryAfter(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  if (!HTTP_DATE.test(value)) return undefined;
  // asctime names no zone; HTTP dates are all GMT, and Date.parse would take the local zone.
  const date = Date.parse(/\d{4}$/.test(value) ? `${value} GMT` : value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}
