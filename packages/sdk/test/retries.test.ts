import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChektConnectionError,
  ChektNotFoundError,
  ChektPartnerClient,
  ChektRateLimitError,
  ChektServerError,
  ChektTimeoutError,
  ChektValidationError,
  MAX_RETRY_AFTER_SECONDS,
} from '../src/index.js';
import { backoffMs, parseRetryAfter, retryDelayMs } from '../src/retry-policy.js';
import {
  ARMING_SETTINGS,
  OK,
  type ScriptedAnswer,
  type ScriptedServer,
  startScriptedServer,
} from './support/scripted-server.js';
import { waitUntil } from './support/wait.js';

const credentials = { clientId: 'client', clientSecret: 'secret' };
const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function scripted(...script: ScriptedAnswer[]): Promise<ScriptedServer> {
  const server = await startScriptedServer(script);
  servers.push(server);
  return server;
}

function refusal(status: number, headers: Record<string, string> = {}): ScriptedAnswer {
  return { status, headers, body: { error: { code: `code_${status}`, message: `refused with ${status}` } } };
}

describe('retries (against a scripted HTTP server on 127.0.0.1)', () => {
  it('retry a 429 after the Retry-After the server asked for, then succeed', async () => {
    const server = await scripted(refusal(429, { 'retry-after': '1' }), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    expect(await chekt.armingSettings.get(1, 1, { traceId: 'same-operation' })).toEqual(ARMING_SETTINGS);
    const [first, second] = server.apiRequests();
    expect(server.apiRequests()).toHaveLength(2);
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(950);
    // Every attempt carries the operation's trace id.
    expect([first?.traceId, second?.traceId]).toEqual(['same-operation', 'same-operation']);
  });

  it('retry a 503 after its Retry-After, then succeed', async () => {
    const server = await scripted(refusal(503, { 'retry-after': '1' }), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    expect(await chekt.armingSettings.update(1, 1, { security_type: 1 })).toEqual(ARMING_SETTINGS);
    const [first, second] = server.apiRequests();
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('retry a 503 without Retry-After with backoff, then succeed', async () => {
    const server = await scripted(refusal(503), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    expect(await chekt.armingSettings.get(1, 1)).toEqual(ARMING_SETTINGS);
    const [first, second] = server.apiRequests();
    // The first backoff is 0.5 s less up to 25 % jitter.
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(370);
  });

  it('retry a dropped connection, then succeed', async () => {
    const server = await scripted('drop-connection', OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    expect(await chekt.armingSettings.get(1, 1)).toEqual(ARMING_SETTINGS);
    expect(server.apiRequests()).toHaveLength(2);
  });

  it('retry a timed-out attempt, then succeed', async () => {
    const server = await scripted('never-answer', OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, timeoutMs: 300 });
    expect(await chekt.armingSettings.get(1, 1)).toEqual(ARMING_SETTINGS);
    expect(server.apiRequests()).toHaveLength(2);
  });

  it('stop after maxRetries and throw the last refusal', async () => {
    const server = await scripted(refusal(503, { 'retry-after': '0' }));
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, maxRetries: 2 });
    await expect(chekt.armingSettings.get(1, 1)).rejects.toBeInstanceOf(ChektServerError);
    expect(server.apiRequests()).toHaveLength(3);
  });

  it('stop after maxRetries when no answer ever comes', async () => {
    const server = await scripted('drop-connection');
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, maxRetries: 1 });
    await expect(chekt.armingSettings.get(1, 1)).rejects.toBeInstanceOf(ChektConnectionError);
    expect(server.apiRequests()).toHaveLength(2);
  });

  it('with maxRetries 0, try exactly once', async () => {
    const server = await scripted('never-answer');
    const chekt = new ChektPartnerClient({
      ...credentials,
      baseUrl: server.url,
      maxRetries: 0,
      timeoutMs: 200,
    });
    await expect(chekt.armingSettings.get(1, 1)).rejects.toBeInstanceOf(ChektTimeoutError);
    expect(server.apiRequests()).toHaveLength(1);
  });

  it(`fail at once when Retry-After exceeds ${MAX_RETRY_AFTER_SECONDS} s, with retryAfter for the caller`, async () => {
    const server = await scripted(refusal(429, { 'retry-after': '120' }), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, maxRetries: 5 });
    const error = await chekt.armingSettings.get(1, 1).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ChektRateLimitError);
    expect(error).toMatchObject({ retryAfter: 120 });
    expect(server.apiRequests()).toHaveLength(1);
  });

  it('fail at once on a 503 whose Retry-After is too long, with retryAfter for the caller', async () => {
    const server = await scripted(refusal(503, { 'retry-after': '120' }), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, maxRetries: 5 });
    const error = await chekt.armingSettings.get(1, 1).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ChektServerError);
    expect(error).toMatchObject({ status: 503, retryAfter: 120 });
    expect(server.apiRequests()).toHaveLength(1);
  });

  it.each([
    [400, ChektValidationError],
    [404, ChektNotFoundError],
    [500, ChektServerError],
  ])('never retry a %i', async (status, errorClass) => {
    const server = await scripted(refusal(status), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, maxRetries: 5 });
    await expect(chekt.armingSettings.get(1, 1)).rejects.toBeInstanceOf(errorClass);
    expect(server.apiRequests()).toHaveLength(1);
  });

  it('retry the token request too, and fetch the token only once', async () => {
    const server = await startScriptedServer([OK], ['drop-connection', refusal(503, { 'retry-after': '0' })]);
    servers.push(server);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    expect(await chekt.armingSettings.get(1, 1)).toEqual(ARMING_SETTINGS);
    expect(server.tokenRequests()).toHaveLength(3);
    expect(server.apiRequests()).toHaveLength(1);
  });

  it('send the token request with HTTP Basic client authentication (RFC 6749 §2.3.1)', async () => {
    const server = await scripted(OK);
    const chekt = new ChektPartnerClient({
      clientId: 'id:with colon',
      clientSecret: 's3cret/+',
      baseUrl: server.url,
    });
    await chekt.armingSettings.get(1, 1);
    const expected = `Basic ${Buffer.from('id%3Awith+colon:s3cret%2F%2B').toString('base64')}`;
    expect(server.tokenRequests()[0]?.authorization).toBe(expected);
    expect(server.apiRequests()[0]?.authorization).toBe('Bearer scripted-token');
  });
});

describe('cancellation by the caller', () => {
  it('sends nothing, not even a token request, for a signal aborted before the call', async () => {
    const server = await scripted(OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    const reason = new Error('cancelled already');
    const call = chekt.armingSettings.update(
      1,
      1,
      { security_type: 3 },
      { signal: AbortSignal.abort(reason) },
    );
    await expect(call).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests).toEqual([]);
  });

  it('cuts short the pause before a retry', async () => {
    const server = await scripted(refusal(503, { 'retry-after': '30' }), OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    const controller = new AbortController();
    const call = chekt.armingSettings.get(1, 1, { signal: controller.signal });
    await waitUntil(async () => server.apiRequests().length === 1, 5000);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(server.apiRequests()).toHaveLength(1);
  });

  it('stops waiting for a token fetch that hangs, without breaking it for other calls', async () => {
    const server = await startScriptedServer([OK], ['never-answer']);
    servers.push(server);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url, timeoutMs: 1000 });
    const controller = new AbortController();
    const cancelled = chekt.armingSettings.get(1, 1, { signal: controller.signal });
    const patient = chekt.armingSettings.get(1, 1);
    await waitUntil(async () => server.tokenRequests().length === 1, 5000);
    controller.abort(new Error('cancelled'));
    await expect(cancelled).rejects.toThrow('cancelled');
    // The shared fetch times out, is retried, and the patient call gets its answer.
    expect(await patient).toEqual(ARMING_SETTINGS);
  });
});

describe('a long-lived signal passed to every call', () => {
  /** Node's own record of the signals combined from this one (AbortSignal.any), when it keeps one. */
  function dependants(signal: AbortSignal): number {
    const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
    const set = symbol ? (signal as unknown as Record<symbol, Set<unknown> | undefined>)[symbol] : undefined;
    return set?.size ?? 0;
  }

  it('is let go of when each call ends: nothing accumulates on it (nodejs/node#55351)', async () => {
    const server = await scripted(OK);
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    const shutdown = new AbortController();
    for (let call = 0; call < 50; call++) {
      await chekt.armingSettings.get(1, 1, { signal: shutdown.signal });
    }
    // Each attempt listens for the caller's abort (transport.ts): a listener left behind would
    // keep its attempt reachable just as AbortSignal.any would.
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(dependants(shutdown.signal)).toBe(0);
  });

  it('still cancels the attempt in flight', async () => {
    const server = await scripted('never-answer');
    const chekt = new ChektPartnerClient({ ...credentials, baseUrl: server.url });
    const shutdown = new AbortController();
    const call = chekt.armingSettings.get(1, 1, { signal: shutdown.signal });
    await waitUntil(async () => server.apiRequests().length === 1, 5000);
    const reason = new Error('shutting down');
    shutdown.abort(reason);
    await expect(call).rejects.toBe(reason);
  });
});

describe('retry policy rules', () => {
  const response = (status: number, headers: Record<string, string> = {}) =>
    ({ kind: 'response', status, headers: new Headers(headers) }) as const;

  it('backs off exponentially, capped at 8 s, shortened by at most 25 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5].map((retries) => backoffMs(retries, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffMs(0, () => 0.999)).toBeGreaterThanOrEqual(375);
    expect(backoffMs(0, () => 0.999)).toBeLessThan(500);
  });

  it('retries only 429, 503 and attempts without an answer, and never beyond maxRetries', () => {
    expect(retryDelayMs(response(429), 0, 2, () => 0)).toBe(500);
    expect(retryDelayMs(response(503), 1, 2, () => 0)).toBe(1000);
    expect(retryDelayMs({ kind: 'connection-failed' }, 0, 2, () => 0)).toBe(500);
    expect(retryDelayMs({ kind: 'timed-out' }, 0, 2, () => 0)).toBe(500);
    for (const status of [400, 401, 403, 404, 409, 413, 415, 500, 502]) {
      expect(retryDelayMs(response(status), 0, 2)).toBeUndefined();
    }
    expect(retryDelayMs(response(503), 2, 2)).toBeUndefined();
    expect(retryDelayMs({ kind: 'connection-failed' }, 0, 0)).toBeUndefined();
  });

  it('honours Retry-After in seconds or as an HTTP date, up to the cap', () => {
    expect(retryDelayMs(response(429, { 'retry-after': '3' }), 0, 2)).toBe(3000);
    expect(retryDelayMs(response(429, { 'retry-after': String(MAX_RETRY_AFTER_SECONDS) }), 0, 2)).toBe(
      60_000,
    );
    expect(
      retryDelayMs(response(429, { 'retry-after': String(MAX_RETRY_AFTER_SECONDS + 1) }), 0, 2),
    ).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    const headers = new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' });
    expect(parseRetryAfter(headers, now)).toBe(5);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    // Not delay-seconds and not an HTTP-date: as if absent (Date.parse reads them as dates long past).
    for (const value of ['1.5', '-1', '120.5', '2026-01-01', '0x10']) {
      expect(parseRetryAfter(new Headers({ 'retry-after': value }), now), value).toBeUndefined();
      expect(
        retryDelayMs(response(503, { 'retry-after': value }), 0, 2, () => 0),
        value,
      ).toBe(500);
    }
    // The two obsolete HTTP-date forms (RFC 9110 §5.6.7) still count.
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thursday, 01-Jan-26 00:00:07 GMT' }), now)).toBe(7);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu Jan  1 00:00:09 2026' }), now)).toBe(9);
  });
});
