import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite } from '../../server/test/support/provision.js';
import {
  ChektApiError,
  ChektAuthenticationError,
  ChektConnectionError,
  ChektError,
  ChektForbiddenError,
  ChektNotFoundError,
  ChektPartnerClient,
  ChektRateLimitError,
  ChektServerError,
  ChektTimeoutError,
  ChektUnexpectedResponseError,
  ChektValidationError,
  MAX_RESPONSE_BYTES,
  type SecurityType,
} from '../src/index.js';
import { DEALER_ID, type PartnerApi, SEED_SITE, SITE_ID, startPartnerApi } from './support/partner-api.js';
import { startScriptedServer } from './support/scripted-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let api: PartnerApi;
let chekt: ChektPartnerClient;

beforeAll(async () => {
  api = await startPartnerApi();
  chekt = new ChektPartnerClient({ ...api.client, baseUrl: api.url });
});
afterAll(() => api.close());

/** The rejection of `promise`, which must reject. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the call to fail'),
    (error: unknown) => error,
  );
}

describe('happy paths', () => {
  it('gets the documented shape', async () => {
    expect(await chekt.armingSettings.get(DEALER_ID, SITE_ID)).toEqual(SEED_SITE);
  });

  it('updates, answers with the stored value, and a later get sees it', async () => {
    const siteId = await addSite(api.server.store, DEALER_ID, 'update-me');
    const updated = await chekt.armingSettings.update(String(DEALER_ID), String(siteId), {
      security_type: 3,
    });
    expect(updated).toMatchObject({ site_id: siteId, external_site_id: 'update-me', security_type: 3 });
    expect((await chekt.armingSettings.get(DEALER_ID, siteId)).security_type).toBe(3);
  });

  it("sends the caller's trace id, and a fresh UUID when the caller gives none", async () => {
    await chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'caller-trace-1' });
    await chekt.armingSettings.get(DEALER_ID, SITE_ID);
    const [named, fresh] = api.log.apiRequests().slice(-2);
    expect(named?.traceId).toBe('caller-trace-1');
    expect(fresh?.traceId).toMatch(UUID);
  });

  it('accepts a base URL with a trailing slash', async () => {
    const client = new ChektPartnerClient({ ...api.client, baseUrl: `${api.url}/` });
    expect(await client.armingSettings.get(DEALER_ID, SITE_ID)).toEqual(SEED_SITE);
  });

  it("reads the answers of a fetch whose body is a Node.js stream (node-fetch's), sending each request once", async () => {
    // As node-fetch answers: status and headers as the platform's fetch has them, the body a Node.js Readable.
    const nodeStreamFetch = async (url: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(url, init);
      const body = Readable.from(Buffer.from(await response.arrayBuffer()));
      return { status: response.status, headers: response.headers, body } as unknown as Response;
    };
    const before = api.log.seen.length;
    const client = new ChektPartnerClient({ ...api.client, baseUrl: api.url, fetch: nodeStreamFetch });
    expect(await client.armingSettings.get(DEALER_ID, SITE_ID)).toEqual(SEED_SITE);
    // One token request, one GET: an answer read as a network failure would have been sent again.
    expect(api.log.seen.length - before).toBe(2);
  });

  it.each([
    ['a space after it', (url: string) => `${url} `],
    ['a slash and a space after it', (url: string) => `${url}/ `],
    ['spaces around it', (url: string) => `  ${url}  `],
  ])('takes a base URL as the URL parser reads it, with %s (a pasted value)', async (_label, pasted) => {
    const client = new ChektPartnerClient({ ...api.client, baseUrl: pasted(api.url), maxRetries: 0 });
    expect(await client.armingSettings.get(DEALER_ID, SITE_ID)).toEqual(SEED_SITE);
  });

  it('rejects bad options at construction, naming the option', () => {
    expect(() => new ChektPartnerClient({ ...api.client, baseUrl: 'api.chekt.com' })).toThrow(/baseUrl/);
    expect(() => new ChektPartnerClient({ ...api.client, clientId: '', baseUrl: api.url })).toThrow(
      /clientId/,
    );
    expect(() => new ChektPartnerClient({ ...api.client, baseUrl: api.url, maxRetries: -1 })).toThrow(
      /maxRetries/,
    );
    expect(() => new ChektPartnerClient({ ...api.client, baseUrl: api.url, timeoutMs: 0 })).toThrow(
      /timeoutMs/,
    );
    // Beyond setTimeout's ceiling every attempt would time out at once.
    expect(() => new ChektPartnerClient({ ...api.client, baseUrl: api.url, timeoutMs: 2 ** 31 })).toThrow(
      /timeoutMs/,
    );
    expect(
      () => new ChektPartnerClient({ ...api.client, baseUrl: api.url, timeoutMs: 2 ** 31 - 1 }),
    ).not.toThrow();
  });

  it("takes the README's process.env credentials as they are, and refuses them unset", () => {
    const unset: string | undefined = process.env.CHEKT_SDK_TEST_VARIABLE_NEVER_SET;
    expect(() => new ChektPartnerClient({ clientId: unset, clientSecret: 'x', baseUrl: api.url })).toThrow(
      'clientId must be a non-empty string',
    );
    expect(() => new ChektPartnerClient({ clientId: 'x', clientSecret: unset, baseUrl: api.url })).toThrow(
      'clientSecret must be a non-empty string',
    );
  });

  it('never quotes credentials from a base URL, even one that does not parse', () => {
    for (const baseUrl of [
      'http://demo-client:TOPSECRET@127.0.0.1:99999',
      'http://demo-client:TOPSECRET@127.0.0.1',
    ]) {
      expect(() => new ChektPartnerClient({ ...api.client, baseUrl }), baseUrl).toThrow(TypeError);
      try {
        new ChektPartnerClient({ ...api.client, baseUrl });
      } catch (error) {
        expect((error as Error).message).not.toContain('TOPSECRET');
      }
    }
  });

  it('refuses a base URL with a query or a fragment, and a token URL with a fragment (RFC 6749 §3.2)', () => {
    for (const baseUrl of [`${api.url}?v=1`, `${api.url}#x`, `${api.url}?`]) {
      expect(() => new ChektPartnerClient({ ...api.client, baseUrl }), baseUrl).toThrow(TypeError);
    }
    const tokenUrl = (suffix: string) => () =>
      new ChektPartnerClient({
        ...api.client,
        baseUrl: api.url,
        tokenUrl: `${api.url}/oauth/token${suffix}`,
      });
    expect(tokenUrl('#x')).toThrow(/tokenUrl must not have a fragment/);
    expect(tokenUrl('?tenant=a')).not.toThrow();
  });

  it('refuses a base URL with credentials in it, without repeating them', () => {
    const withCredentials = api.url.replace('http://', 'http://user:pa55word@');
    const construct = () => new ChektPartnerClient({ ...api.client, baseUrl: withCredentials });
    expect(construct).toThrow(/baseUrl must not contain credentials/);
    expect(() => construct()).not.toThrow(/pa55word/);
  });

  it.each([
    [
      'a trace id with a control character',
      () => chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'abc\n' }),
    ],
    ['a trace id with a space', () => chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'a b' })],
    [
      'a trace id of 129 characters',
      () => chekt.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'x'.repeat(129) }),
    ],
    ['an empty dealer id', () => chekt.armingSettings.get('', SITE_ID)],
    ['a site id of ..', () => chekt.armingSettings.update(DEALER_ID, '..', { security_type: 2 })],
    ['a site id of .', () => chekt.armingSettings.get(DEALER_ID, '.')],
  ])('refuses %s before sending anything: a TypeError, not retried', async (_label, call) => {
    const before = api.log.apiRequests().length;
    const error = await failure(call());
    expect(error).toBeInstanceOf(TypeError);
    expect(api.log.apiRequests()).toHaveLength(before);
  });
});

describe('every refusal is a typed error with status, code, message and trace id', () => {
  it('400: ChektValidationError naming the field', async () => {
    const error = await failure(
      chekt.armingSettings.update(
        DEALER_ID,
        SITE_ID,
        { security_type: 5 as SecurityType },
        { traceId: 'trace-400' },
      ),
    );
    expect(error).toBeInstanceOf(ChektValidationError);
    expect(error).toBeInstanceOf(ChektApiError);
    expect(error).toBeInstanceOf(ChektError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_security_type',
      field: 'security_type',
      traceId: 'trace-400',
      message: expect.stringContaining('security_type'),
    });
  });

  it('401: ChektAuthenticationError when the credentials are wrong', async () => {
    const wrong = new ChektPartnerClient({
      clientId: api.client.clientId,
      clientSecret: 'wrong',
      baseUrl: api.url,
    });
    const error = await failure(wrong.armingSettings.get(DEALER_ID, SITE_ID));
    expect(error).toBeInstanceOf(ChektAuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: 'invalid_client',
      traceId: expect.stringMatching(UUID),
    });
  });

  it('a token URL that is not a token endpoint (a 404 page) is a ChektNotFoundError, not a doubt about the credentials', async () => {
    const misdirected = new ChektPartnerClient({
      ...api.client,
      baseUrl: api.url,
      tokenUrl: `${api.url}/oauth/no-such-endpoint`,
      maxRetries: 0,
    });
    const error = await failure(misdirected.armingSettings.get(DEALER_ID, SITE_ID));
    expect(error).toBeInstanceOf(ChektNotFoundError);
    expect(error).not.toBeInstanceOf(ChektAuthenticationError);
    expect(error).toMatchObject({ status: 404 });
  });

  it('403: ChektForbiddenError for a dealer the client is not granted', async () => {
    const error = await failure(chekt.armingSettings.get(99999, SITE_ID, { traceId: 'trace-403' }));
    expect(error).toBeInstanceOf(ChektForbiddenError);
    expect(error).toMatchObject({ status: 403, code: 'forbidden', traceId: 'trace-403' });
  });

  it('404: ChektNotFoundError for a site that does not exist, and it is not retried', async () => {
    const before = api.log.apiRequests().length;
    const patient = new ChektPartnerClient({ ...api.client, baseUrl: api.url, maxRetries: 5 });
    const error = await failure(patient.armingSettings.get(DEALER_ID, 424242, { traceId: 'trace-404' }));
    expect(error).toBeInstanceOf(ChektNotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'site_not_found', traceId: 'trace-404' });
    expect(api.log.apiRequests().length - before).toBe(1);
  });

  it('429: ChektRateLimitError carrying retryAfter', async () => {
    const scripted = await startScriptedServer([
      {
        status: 429,
        headers: { 'retry-after': '7' },
        body: { error: { code: 'rate_limited', message: 'slow down' } },
      },
    ]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url, maxRetries: 0 });
      const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'trace-429' }));
      expect(error).toBeInstanceOf(ChektRateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 7, traceId: 'trace-429' });
    } finally {
      await scripted.close();
    }
  });

  it('5xx: ChektServerError, also when the body is not the JSON envelope', async () => {
    const scripted = await startScriptedServer([{ status: 502, body: 'Bad Gateway' }]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url, maxRetries: 0 });
      const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'trace-502' }));
      expect(error).toBeInstanceOf(ChektServerError);
      expect(error).toMatchObject({ status: 502, code: 'http_502', traceId: 'trace-502' });
    } finally {
      await scripted.close();
    }
  });

  it('no answer: ChektConnectionError', async () => {
    const scripted = await startScriptedServer([]);
    const closedUrl = scripted.url;
    await scripted.close();
    const client = new ChektPartnerClient({ ...api.client, baseUrl: closedUrl, maxRetries: 0 });
    const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID));
    expect(error).toBeInstanceOf(ChektConnectionError);
    expect(error).not.toBeInstanceOf(ChektApiError);
  });

  it('no answer in time: ChektTimeoutError, the request aborted', async () => {
    const scripted = await startScriptedServer(['never-answer']);
    try {
      const client = new ChektPartnerClient({
        ...api.client,
        baseUrl: scripted.url,
        timeoutMs: 300,
        maxRetries: 0,
      });
      const started = Date.now();
      const error = await failure(
        client.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'trace-timeout' }),
      );
      expect(error).toBeInstanceOf(ChektTimeoutError);
      expect(error).toBeInstanceOf(ChektConnectionError);
      expect(error).toMatchObject({ traceId: 'trace-timeout' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await scripted.close();
    }
  });

  it('a 200 that is not arming settings: ChektUnexpectedResponseError', async () => {
    const scripted = await startScriptedServer([{ status: 200, body: { hello: 'world' } }]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url });
      const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID));
      expect(error).toBeInstanceOf(ChektUnexpectedResponseError);
    } finally {
      await scripted.close();
    }
  });

  it('a body over MAX_RESPONSE_BYTES is not read whole: ChektUnexpectedResponseError, not retried', async () => {
    // Valid JSON after 32 MB of whitespace: read whole, it would pass as arming settings.
    const padded = { status: 200, body: SEED_SITE, padBytes: 32 * MAX_RESPONSE_BYTES };
    const scripted = await startScriptedServer([padded]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url });
      const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID, { traceId: 'trace-huge' }));
      expect(error).toBeInstanceOf(ChektUnexpectedResponseError);
      expect(error).toMatchObject({ traceId: 'trace-huge' });
      expect((error as Error).message).toContain('HTTP 200 with a body over');
      expect(scripted.apiRequests()).toHaveLength(1);
    } finally {
      await scripted.close();
    }
  });

  it('a body over MAX_RESPONSE_BYTES from a fetch whose body is a Node.js stream ends its request', async () => {
    // As node-fetch answers, its body the stream the connection is piped into: cancelling the
    // stream's reading leaves the connection open, its answer paused; only the request's abort ends it.
    let requestSignal: AbortSignal | undefined;
    const endlessNodeStreamFetch = async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url).endsWith('/oauth/token')) return fetch(url, init);
      requestSignal = init?.signal ?? undefined;
      const chunk = Buffer.alloc(64 * 1024, ' ');
      const body = new Readable({
        read() {
          this.push(chunk);
        },
      });
      return { status: 200, headers: new Headers(), body } as unknown as Response;
    };
    const client = new ChektPartnerClient({ ...api.client, baseUrl: api.url, fetch: endlessNodeStreamFetch });
    const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID));
    expect(error).toBeInstanceOf(ChektUnexpectedResponseError);
    expect(requestSignal?.aborted).toBe(true);
  });

  it('a redirect to another origin is not followed: ChektApiError naming the Location, not a token doubt', async () => {
    // The real API, at another port (another origin): fetch would strip the Authorization on the way.
    const location = `${api.url}/partner/v1/dealers/${DEALER_ID}/sites/${SITE_ID}/arming-settings`;
    const scripted = await startScriptedServer([{ status: 307, headers: { location }, body: '' }]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url });
      const error = await failure(client.armingSettings.update(DEALER_ID, SITE_ID, { security_type: 4 }));
      expect(error).toBeInstanceOf(ChektApiError);
      expect(error).not.toBeInstanceOf(ChektAuthenticationError);
      expect(error).toMatchObject({ status: 307, code: 'http_307' });
      expect((error as Error).message).toContain(`redirect to ${location}`);
      expect(scripted.apiRequests()).toHaveLength(1);
    } finally {
      await scripted.close();
    }
  });

  it('a redirect of the token POST is not followed as a GET without credentials', async () => {
    const location = `${api.url}/oauth/token`;
    const scripted = await startScriptedServer([], [{ status: 301, headers: { location }, body: '' }]);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url });
      const error = await failure(client.armingSettings.get(DEALER_ID, SITE_ID));
      expect(error).toBeInstanceOf(ChektApiError);
      expect(error).not.toBeInstanceOf(ChektAuthenticationError);
      expect(error).toMatchObject({ status: 301 });
      expect((error as Error).message).toContain(`redirect to ${location}`);
    } finally {
      await scripted.close();
    }
  });

  it("the caller's AbortSignal cancels the call with the caller's reason", async () => {
    const scripted = await startScriptedServer(['never-answer']);
    try {
      const client = new ChektPartnerClient({ ...api.client, baseUrl: scripted.url });
      const controller = new AbortController();
      const call = client.armingSettings.get(DEALER_ID, SITE_ID, { signal: controller.signal });
      const reason = new Error('user gave up');
      controller.abort(reason);
      expect(await failure(call)).toBe(reason);
    } finally {
      await scripted.close();
    }
  });
});
