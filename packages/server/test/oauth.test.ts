import { connect } from 'node:net';
import { armingSettingsPath } from '@chekt-partner/contract';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { AccessTokenVerifier, issueAccessToken, MAX_CACHED_TOKENS } from '../src/oauth/access-tokens.js';
import { loadSigningKeys } from '../src/oauth/signing-keys.js';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { openStore } from '../src/store/store.js';
import { createTestDatabase } from './support/database.js';
import { startExampleServer } from './support/example-server.js';
import { bodyAfterItsAnswer, call, errorCodeOf, msUntilStatus } from './support/http.js';
import type { InProcessServer } from './support/in-process-server.js';
import { addClient, fetchToken, provisioning, type TestClient } from './support/provision.js';

const EXAMPLE = armingSettingsPath(12345, 1);

function messageFor(response: Awaited<ReturnType<typeof call>>): string | undefined {
  return (response.body as { error?: { message?: string } }).error?.message;
}

/** A request whose head is sent now and its body when asked: sendBody resolves with the whole answer. */
async function headThenBody(
  url: string,
  head: string,
  body: string,
): Promise<{ sendBody(): Promise<string> }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  await new Promise<void>((resolve) => socket.write(head, () => resolve()));
  return {
    sendBody: () => {
      socket.end(body);
      return closed;
    },
  };
}

function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' },
) {
  return call(baseUrl, '/oauth/token', { method: 'POST', headers, body });
}

describe('POST /oauth/token (RFC 6749 §4.4 client credentials)', () => {
  let server: InProcessServer;
  let client: TestClient;

  beforeAll(async () => {
    ({ server, client } = await startExampleServer());
  });
  afterAll(() => server.close());

  it('client_secret_post: issues a Bearer JWT for an hour, not to be cached', async () => {
    // Before the request: the token's hour starts no earlier, however long the answer takes.
    const requestedAt = Date.now();
    const response = await tokenRequest(
      server.url,
      form({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = response.body as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(body.scope).toBe('arming_settings:read arming_settings:write');
    const header = decodeProtectedHeader(String(body.access_token));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(header.kid).toEqual(expect.any(String));
    const claims = decodeJwt(String(body.access_token));
    expect(claims).toMatchObject({
      iss: server.url,
      sub: client.clientId,
      client_id: client.clientId,
      aud: `${server.url}/partner/v1`,
    });
    // At least expires_in from now; iat is rounded down and exp up, so the two may differ by 3601.
    expect(Number(claims.exp) - Number(claims.iat)).toBeGreaterThanOrEqual(3600);
    expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(3601);
    expect(Number(claims.exp) * 1000).toBeGreaterThanOrEqual(requestedAt + 3600_000);
    expect(claims.jti).toEqual(expect.any(String));
  });

  it('client_secret_basic: the same, with credentials form-encoded inside HTTP Basic', async () => {
    const response = await tokenRequest(server.url, form({ grant_type: 'client_credentials' }), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(client.clientId, client.clientSecret),
    });
    expect(response.status).toBe(200);
    const token = (response.body as { access_token: string }).access_token;
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
  });

  it('client_secret_basic with the same client_id in the body too (RFC 6749 §3.2.1), as some libraries send it', async () => {
    const response = await tokenRequest(
      server.url,
      form({ grant_type: 'client_credentials', client_id: client.clientId }),
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(client.clientId, client.clientSecret),
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer' });
  });

  it('a parameter sent without a value counts as omitted (RFC 6749 §3.2), beside HTTP Basic too', async () => {
    for (const body of [
      'grant_type=client_credentials&client_secret=',
      'grant_type=client_credentials&client_id=',
    ]) {
      const response = await tokenRequest(server.url, body, {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(client.clientId, client.clientSecret),
      });
      expect(response.status, body).toBe(200);
    }
    const noScope = await tokenRequest(
      server.url,
      `${form({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })}&scope=`,
    );
    expect(noScope.status).toBe(200);
    expect(noScope.body).toMatchObject({ scope: 'arming_settings:read arming_settings:write' });
  });

  // As a proxy sends it (nginx writes the whole body before it reads an answer): closing the
  // connection as the refusal went out reset the body's last bytes, and the proxy answered 502.
  it('a body over 8 KiB sent whole after its refusal has come is read to its end, then the connection closes', async () => {
    const body = Buffer.alloc(1024 * 1024, 'x');
    const sent = await bodyAfterItsAnswer(
      server.url,
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(sent.received).toMatch(/^HTTP\/1\.1 400 /);
    expect(sent.received).toMatch(/"error":"invalid_request"/);
    expect(sent.bodyWrite).toBe('written');
    expect(sent.closedAfterMs).toBeLessThan(2000);
  });

  it('an empty occurrence beside a valued one is omitted too, not a parameter sent twice (RFC 6749 §3.2)', async () => {
    const credentials = form({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    for (const extra of [
      'grant_type=',
      'client_id=',
      'client_secret=',
      'scope=arming_settings%3Aread&scope=',
    ]) {
      const response = await tokenRequest(server.url, `${credentials}&${extra}`);
      expect(response.status, extra).toBe(200);
    }
    // Two occurrences with values are still one too many.
    const twice = await tokenRequest(server.url, `${credentials}&grant_type=client_credentials`);
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({ error: 'invalid_request' });
  });

  it('a parameter it does not know is ignored (RFC 6749 §3.2), even sent more than once (RFC 8707 resource)', async () => {
    const credentials = form({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    for (const extra of ['resource=https%3A%2F%2Fa.example', 'resource=https%3A%2F%2Fa.example&resource=b']) {
      const response = await tokenRequest(server.url, `${credentials}&${extra}`);
      expect(response.status, extra).toBe(200);
    }
  });

  it('a narrower scope can be asked for, and is enforced (403 insufficient_scope)', async () => {
    const readOnly = await fetchToken(server.url, client, 'arming_settings:read');
    expect((await call(server.url, EXAMPLE, { token: readOnly })).status).toBe(200);
    const response = await call(server.url, EXAMPLE, {
      method: 'PATCH',
      token: readOnly,
      headers: { 'content-type': 'application/json' },
      body: '{"security_type":2}',
    });
    expect(response.status).toBe(403);
    expect(errorCodeOf(response)).toBe('insufficient_scope');
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  describe('§5.2 errors', () => {
    const valid = () => ({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });

    const expectOAuthError = (
      response: Awaited<ReturnType<typeof tokenRequest>>,
      status: number,
      error: string,
    ) => {
      expect(response.status).toBe(status);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({ error, error_description: expect.any(String) });
    };

    it('invalid_request: grant_type missing', async () => {
      const { grant_type: _, ...params } = valid();
      expectOAuthError(await tokenRequest(server.url, form(params)), 400, 'invalid_request');
    });

    it('invalid_request: a parameter sent twice', async () => {
      const body = `${form(valid())}&grant_type=client_credentials`;
      expectOAuthError(await tokenRequest(server.url, body), 400, 'invalid_request');
    });

    it('invalid_request: two client authentication methods at once', async () => {
      const response = await tokenRequest(server.url, form(valid()), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(client.clientId, client.clientSecret),
      });
      expectOAuthError(response, 400, 'invalid_request');
      const anotherClientId = await tokenRequest(
        server.url,
        form({ grant_type: 'client_credentials', client_id: 'cp_another' }),
        {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(client.clientId, client.clientSecret),
        },
      );
      expectOAuthError(anotherClientId, 400, 'invalid_request');
    });

    // No client id has a control character; PostgreSQL would refuse a NUL in text outright, and
    // the lookup it shares with the turn's other token requests would fail them all.
    it('invalid_client (401): a client_id that is not printable ASCII, beside a valid request', async () => {
      const [inBody, inBasic, other] = await Promise.all([
        tokenRequest(server.url, form({ ...valid(), client_id: '\u0000' })),
        tokenRequest(server.url, form({ grant_type: 'client_credentials' }), {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('cp\u0000\n', 'secret'),
        }),
        tokenRequest(server.url, form(valid())),
      ]);
      expectOAuthError(inBody, 401, 'invalid_client');
      expectOAuthError(inBasic, 401, 'invalid_client');
      expect(other.status).toBe(200);
    });

    it('invalid_request: a body in a content coding, with Accept-Encoding: identity', async () => {
      const response = await tokenRequest(server.url, form(valid()), {
        'content-type': 'application/x-www-form-urlencoded',
        'content-encoding': 'gzip',
      });
      expectOAuthError(response, 400, 'invalid_request');
      expect((response.body as { error_description: string }).error_description).toMatch(/Content-Encoding/);
      expect(response.headers.get('accept-encoding')).toBe('identity');
      const identity = await tokenRequest(server.url, form(valid()), {
        'content-type': 'application/x-www-form-urlencoded',
        'content-encoding': 'identity',
      });
      expect(identity.status).toBe(200);
    });

    it('invalid_request: not form-encoded', async () => {
      const response = await tokenRequest(server.url, JSON.stringify(valid()), {
        'content-type': 'application/json',
      });
      expectOAuthError(response, 400, 'invalid_request');
    });

    // Fastify parses JSON, so the handler refuses it; it has no parser for the others and refused
    // them itself. The client is told the same either way.
    it('invalid_request: not form-encoded, says what is, whatever the media type', async () => {
      for (const headers of [
        { 'content-type': 'application/json' },
        { 'content-type': 'text/plain' },
        { 'content-type': 'multipart/form-data; boundary=x' },
      ]) {
        const response = await tokenRequest(server.url, form(valid()), headers);
        expectOAuthError(response, 400, 'invalid_request');
        expect(response.body, JSON.stringify(headers)).toEqual({
          error: 'invalid_request',
          error_description: 'The token request must be application/x-www-form-urlencoded',
        });
      }
    });

    it('invalid_client (401): wrong secret, unknown client, no credentials, revoked client', async () => {
      const wrongSecret = await tokenRequest(server.url, form({ ...valid(), client_secret: 'nope' }));
      expectOAuthError(wrongSecret, 401, 'invalid_client');
      expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic/);
      expectOAuthError(
        await tokenRequest(server.url, form({ ...valid(), client_id: 'cp_unknown' })),
        401,
        'invalid_client',
      );
      expectOAuthError(
        await tokenRequest(server.url, form({ grant_type: 'client_credentials' })),
        401,
        'invalid_client',
      );
      const badBasic = await tokenRequest(server.url, form({ grant_type: 'client_credentials' }), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(client.clientId, 'wrong'),
      });
      expectOAuthError(badBasic, 401, 'invalid_client');

      const revoked = await addClient(server.store, [12345], 'to revoke');
      await provisioning(server.store).revokeClient(revoked.clientId);
      const response = await tokenRequest(
        server.url,
        form({
          grant_type: 'client_credentials',
          client_id: revoked.clientId,
          client_secret: revoked.clientSecret,
        }),
      );
      expectOAuthError(response, 401, 'invalid_client');
    });

    it('unsupported_grant_type', async () => {
      for (const grantType of ['password', 'authorization_code', 'refresh_token']) {
        expectOAuthError(
          await tokenRequest(server.url, form({ ...valid(), grant_type: grantType })),
          400,
          'unsupported_grant_type',
        );
      }
    });

    it('a client that fails to authenticate is told only that, whatever grant type or scope it asks for', async () => {
      const asks: Record<string, string>[] = [{ grant_type: 'password' }, { scope: 'admin' }];
      for (const asked of asks) {
        expectOAuthError(
          await tokenRequest(server.url, form({ ...valid(), client_secret: 'wrong', ...asked })),
          401,
          'invalid_client',
        );
      }
    });

    it('error_description holds only the characters RFC 6749 §5.2 allows, whatever the request echoed', async () => {
      const allowed = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
      const answer = await tokenRequest(server.url, form({ ...valid(), scope: 'café"\\\t\x01' }));
      expect(answer.status).toBe(400);
      const description = String((answer.body as { error_description: string }).error_description);
      expect(description).toMatch(allowed);
      expect(description).toBe("Unknown scope: caf?'???");
    });

    it('invalid_scope, also for the names every JavaScript object has', async () => {
      for (const scope of [
        'admin',
        'constructor',
        'toString',
        '__proto__',
        'arming_settings:read hasOwnProperty',
      ]) {
        expectOAuthError(await tokenRequest(server.url, form({ ...valid(), scope })), 400, 'invalid_scope');
      }
    });
  });

  it('publishes its signing keys and metadata (RFC 8414)', async () => {
    const jwks = await call(server.url, '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const keys = (jwks.body as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');

    const metadata = await call(server.url, '/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({
      issuer: server.url,
      token_endpoint: `${server.url}/oauth/token`,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
  });
});

describe('bearer protection (RFC 6750): every bad token is a 401 invalid_token', () => {
  let server: InProcessServer;
  let client: TestClient;

  beforeAll(async () => {
    ({ server, client } = await startExampleServer());
  });
  afterAll(() => server.close());

  const settings = () => ({ issuer: server.url, audience: `${server.url}/partner/v1`, ttlSeconds: 3600 });

  async function expectInvalidToken(token: string) {
    for (const method of ['GET', 'PATCH'] as const) {
      const response = await call(server.url, EXAMPLE, {
        method,
        token,
        headers: { 'content-type': 'application/json' },
        ...(method === 'PATCH' ? { body: '{"security_type":2}' } : {}),
      });
      expect(response.status).toBe(401);
      expect(errorCodeOf(response)).toBe('invalid_token');
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  }

  it('malformed', async () => {
    await expectInvalidToken('abc');
    for (const authorization of ['Bearer a b', 'Bearer', 'Bearer ä']) {
      const response = await call(server.url, EXAMPLE, { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(errorCodeOf(response), authorization).toBe('invalid_token');
      // A Bearer header all the same: what is wrong is its token.
      expect((response.body as { error: { message: string } }).error.message, authorization).toBe(
        'The Authorization header has no well-formed token after Bearer',
      );
    }
  });

  it('a valid token with base64 padding added is malformed (RFC 7515 §2: base64url without padding)', async () => {
    const token = await fetchToken(server.url, client);
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    // Each padded variant would otherwise be accepted, and take a cache slot of its own.
    await expectInvalidToken(`${token}=`);
    await expectInvalidToken(`${token}==`);
  });

  it('credentials of another scheme are no token at all: 401 unauthorized, no error code (RFC 6750 §3.1)', async () => {
    const response = await call(server.url, EXAMPLE, { headers: { authorization: 'Token abc' } });
    expect(response.status).toBe(401);
    expect(errorCodeOf(response)).toBe('unauthorized');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="chekt-partner"');
  });

  it('the scheme is case-insensitive and spaces around the token are allowed (RFC 6750 §2.1)', async () => {
    const token = await fetchToken(server.url, client);
    for (const authorization of [
      `Bearer ${token}`,
      `bearer ${token}`,
      `BEARER  ${token}  `,
      `Bearer ${token} `,
    ]) {
      const response = await call(server.url, EXAMPLE, { headers: { authorization } });
      expect(response.status, authorization.replace(token, '<token>')).toBe(200);
    }
    for (const authorization of [`Bearer${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`]) {
      const response = await call(server.url, EXAMPLE, { headers: { authorization } });
      expect(response.status, authorization.replace(token, '<token>')).toBe(401);
    }
  });

  it('expired (signed by our own key, on a frozen past clock)', async () => {
    const keys = await loadSigningKeys(server.store.db);
    const twoHoursAgo = Date.now() - 2 * 3600 * 1000;
    await expectInvalidToken(
      await issueAccessToken(keys, settings(), client.clientId, ['arming_settings:read'], twoHoursAgo),
    );
  });

  it('expired while in use: refused from its expiry on, though verified and remembered before', async () => {
    const keys = await loadSigningKeys(server.store.db);
    // Issued almost an hour ago: it expires a few seconds from now (room for the two uses on a busy machine).
    const scopes = ['arming_settings:read', 'arming_settings:write'] as const;
    const token = issueAccessToken(keys, settings(), client.clientId, scopes, Date.now() - 3597 * 1000);
    for (let use = 0; use < 2; use += 1) {
      expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    }
    const expiresAtMs = Number(decodeJwt(token).exp) * 1000;
    await new Promise((resolve) => setTimeout(resolve, expiresAtMs - Date.now() + 50));
    await expectInvalidToken(token);
  });

  it('badly signed (payload altered), even once the genuine token is in use', async () => {
    const token = await fetchToken(server.url, client);
    // Verified tokens are remembered by their signature: the forgery below carries the same one.
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(String(payload), 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
    await expectInvalidToken(`${header}.${forged}.${signature}`);
  });

  it('the token cache recalls only the exact token it verified, never one that ends the same way', async () => {
    const keys = await loadSigningKeys(server.store.db);
    const verifier = new AccessTokenVerifier(keys, settings());
    const token = issueAccessToken(keys, settings(), client.clientId, ['arming_settings:read']);
    expect(verifier.recall(token)).toBeUndefined();
    await verifier.verify(token);
    expect(verifier.recall(token)?.clientId).toBe(client.clientId);
    const lookalikes = [token.slice(-16), `x${token.slice(1)}`, `${token.slice(0, -17)}.${token.slice(-16)}`];
    for (const lookalike of lookalikes) {
      expect(verifier.recall(lookalike)).toBeUndefined();
      await expect(verifier.verify(lookalike)).rejects.toMatchObject({ code: 'invalid_token' });
    }
    expect(verifier.recall(token)?.clientId).toBe(client.clientId);
  });

  it('the token cache holds at most MAX_CACHED_TOKENS: the oldest goes first, and is verified again', async () => {
    const keys = await loadSigningKeys(server.store.db);
    const verifier = new AccessTokenVerifier(keys, settings());
    const issue = () => issueAccessToken(keys, settings(), client.clientId, ['arming_settings:read']);
    const first = issue();
    await verifier.verify(first);
    let last = first;
    for (let i = 0; i < MAX_CACHED_TOKENS; i += 1) {
      last = issue();
      await verifier.verify(last);
    }
    expect(verifier.recall(last)?.clientId).toBe(client.clientId);
    expect(verifier.recall(first)).toBeUndefined();
    expect((await verifier.verify(first)).clientId).toBe(client.clientId);
    expect(verifier.recall(first)?.clientId).toBe(client.clientId);
  });

  it('alg: none', async () => {
    const token = await fetchToken(server.url, client);
    const claims = token.split('.')[1];
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    await expectInvalidToken(`${header}.${claims}.`);
  });

  it('from another issuer (our key, foreign iss)', async () => {
    const keys = await loadSigningKeys(server.store.db);
    await expectInvalidToken(
      await issueAccessToken(keys, { ...settings(), issuer: 'https://evil.example' }, client.clientId, [
        'arming_settings:read',
      ]),
    );
  });

  /**
   * A token signed as the server signs its own (ES256, its active key and kid, its issuer and
   * audience, for `client`), but for the one thing a test changes.
   */
  async function signedLikeOurs(change: {
    typ?: string;
    withoutJti?: boolean;
    scope?: string;
    privateKey?: Parameters<SignJWT['sign']>[0];
  }): Promise<string> {
    const keys = await loadSigningKeys(server.store.db);
    const now = Math.floor(Date.now() / 1000);
    const claims = change.scope === undefined ? {} : { scope: change.scope };
    const jwt = new SignJWT({ client_id: client.clientId, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: keys.active.kid, typ: change.typ ?? 'at+jwt' })
      .setIssuer(server.url)
      .setAudience(`${server.url}/partner/v1`)
      .setSubject(client.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600);
    if (!change.withoutJti) jwt.setJti('x');
    return jwt.sign(change.privateKey ?? keys.active.privateKey);
  }

  it('signed by another key, even one claiming our kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expectInvalidToken(await signedLikeOurs({ privateKey, scope: 'arming_settings:read' }));
  });

  it('a JWT that is not an access token (typ) is refused', async () => {
    const idToken = await signedLikeOurs({ typ: 'JWT' });
    await expectInvalidToken(idToken);
    // typ is a header parameter, not a claim: the message must not send anyone to the payload.
    expect(messageFor(await call(server.url, EXAMPLE, { token: idToken }))).toBe(
      'The token is not an access token: its typ header is not at+jwt',
    );
  });

  it('a token without a claim an access token must have says which one is missing', async () => {
    const withoutJti = await signedLikeOurs({ withoutJti: true });
    await expectInvalidToken(withoutJti);
    expect(messageFor(await call(server.url, EXAMPLE, { token: withoutJti }))).toBe(
      'The access token has no jti claim',
    );
  });

  // A loose bound for a shared machine: the README's 2 s is pinned in client-standing.test.ts.
  it("a revoked client's live token stops working, end to end", async () => {
    const doomed = await addClient(server.store, [12345], 'doomed');
    const token = await fetchToken(server.url, doomed);
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    await provisioning(server.store).revokeClient(doomed.clientId);
    expect(await msUntilStatus(() => call(server.url, EXAMPLE, { token }), 401, 6000)).toBeLessThan(5000);
  });

  it("a PATCH whose body comes after its client's revocation has taken effect is refused, and changes nothing", async () => {
    const slow = await addClient(server.store, [12345], 'slow writer');
    const token = await fetchToken(server.url, slow);
    // Its standing is now known (and fresh for 2 s), so the PATCH below is authorized as its head arrives.
    const before = await call(server.url, EXAMPLE, { token });
    expect(before.status).toBe(200);
    const wanted = ((before.body as { security_type: number }).security_type % 4) + 1;
    const body = JSON.stringify({ security_type: wanted });
    const patch = await headThenBody(
      server.url,
      `PATCH ${EXAMPLE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      body,
    );
    await provisioning(server.store).revokeClient(slow.clientId);
    expect(await msUntilStatus(() => call(server.url, EXAMPLE, { token }), 401, 6000)).toBeLessThan(5000);

    expect((await patch.sendBody()).split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    const history = await listArmingHistory(server.store.db, 1);
    expect(history.filter((row) => row.client_id === slow.clientId)).toEqual([]);
    const after = await call(server.url, EXAMPLE, { token: await fetchToken(server.url, client) });
    expect(after.body).toEqual(before.body);
  });

  it("a PATCH whose body comes after its client's revocation is a 401 before its 412 or its body's 400", async () => {
    const slow = await addClient(server.store, [12345], 'slow writer, wrong in other ways too');
    const token = await fetchToken(server.url, slow);
    // Its standing is now known (and fresh for 2 s), so the PATCHes below are authorized as their heads arrive.
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    const patchHead = (extraHeader: string, length: number) =>
      `PATCH ${EXAMPLE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n${extraHeader}` +
      `content-type: application/json\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`;
    const valid = '{"security_type":2}';
    const failingPrecondition = await headThenBody(
      server.url,
      patchHead('if-match: "other"\r\n', valid.length),
      valid,
    );
    const wrongBody = '{"security_type":9}';
    const invalid = await headThenBody(server.url, patchHead('', wrongBody.length), wrongBody);
    await provisioning(server.store).revokeClient(slow.clientId);
    expect(await msUntilStatus(() => call(server.url, EXAMPLE, { token }), 401, 6000)).toBeLessThan(5000);

    const answers = await Promise.all([failingPrecondition.sendBody(), invalid.sendBody()]);
    expect(answers.map((answer) => answer.split('\r\n')[0])).toEqual([
      'HTTP/1.1 401 Unauthorized',
      'HTTP/1.1 401 Unauthorized',
    ]);
  });

  it('a token stopped by a revocation stays refused when its client is enabled again (serve --demo)', async () => {
    const demo = await provisioning(server.store).seedDemo();
    const revoked = await fetchToken(server.url, demo);
    expect((await call(server.url, EXAMPLE, { token: revoked })).status).toBe(200);
    await provisioning(server.store).revokeClient(demo.clientId);
    const withRevokedToken = () => call(server.url, EXAMPLE, { token: revoked });
    expect(await msUntilStatus(withRevokedToken, 401, 6000)).toBeLessThan(5000);

    const enabled = await provisioning(server.store).seedDemo();
    // A new token works once the server has seen the client enabled (its standing is cached)...
    const withNewToken = async () =>
      call(server.url, EXAMPLE, { token: await fetchToken(server.url, enabled) });
    expect(await msUntilStatus(withNewToken, 200, 6000)).toBeLessThan(5000);
    // ...and the token the revocation stopped is still refused.
    const response = await withRevokedToken();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('the issuer without ISSUER_URL', () => {
  it('is the address listened on, even when a request came in before listen (inject)', async () => {
    const database = await createTestDatabase();
    const store = await openStore(database.url);
    const app = await buildApp({ config: { tokenTtlSeconds: 3600, issuerUrl: undefined }, store });
    try {
      const early = await app.inject({ url: '/.well-known/oauth-authorization-server' });
      expect(early.json()).toMatchObject({ issuer: 'http://localhost' });

      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const metadata = await call(url, '/.well-known/oauth-authorization-server');
      expect(metadata.body).toMatchObject({ issuer: url, token_endpoint: `${url}/oauth/token` });
    } finally {
      await app.close();
      await store.close();
      await database.drop();
    }
  });
});
