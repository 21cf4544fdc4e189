import { describe, expect, it, vi } from 'vitest';
import { ChektPartnerClient } from '../src/index.js';
import { type AccessTokenGrant, TokenCache } from '../src/token-cache.js';
import { OK, startScriptedServer, TOKEN_GRANT } from './support/scripted-server.js';

/** Token fetches the test completes by hand, to order events exactly; grants are timed on a test clock. */
function manualFetches() {
  const pending: Array<{ resolve(grant: AccessTokenGrant): void; reject(error: Error): void }> = [];
  const fetchGrant = () =>
    new Promise<AccessTokenGrant>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  const grant = (accessToken: string, expiresInSeconds = 3600, requestedAtMs = 0): AccessTokenGrant => ({
    accessToken,
    expiresInSeconds,
    requestedAtMs,
  });
  return { pending, fetchGrant, grant };
}

/** Lets a fetch completed by hand reach the cache (its continuations run first). */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('TokenCache', () => {
  it('is reused until 10 % of its lifetime (at most 60 s) before expiry, then fetched again', async () => {
    let now = 0;
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => now);
    const first = cache.token();
    pending[0]?.resolve(grant('short', 100));
    expect(await first).toBe('short');
    now = 89_999;
    expect(await cache.token()).toBe('short');
    now = 90_000;
    expect(await cache.token()).toBe('short'); // still valid: renewed meanwhile, without waiting
    expect(pending).toHaveLength(2);
    pending[1]?.resolve(grant('long', 3600, now));
    await settled();
    expect(await cache.token()).toBe('long');
    now = 90_000 + 3_540_000 - 1;
    expect(await cache.token()).toBe('long');
    expect(pending).toHaveLength(2);
  });

  it('shares one fetch among concurrent callers', async () => {
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant);
    const calls = [cache.token(), cache.token(), cache.token()];
    expect(pending).toHaveLength(1);
    pending[0]?.resolve(grant('shared'));
    expect(await Promise.all(calls)).toEqual(['shared', 'shared', 'shared']);
  });

  it('tries again after a failed fetch instead of remembering the failure', async () => {
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant);
    const failed = cache.token();
    pending[0]?.reject(new Error('token endpoint down'));
    await expect(failed).rejects.toThrow('token endpoint down');
    const retried = cache.token();
    pending[1]?.resolve(grant('recovered'));
    expect(await retried).toBe('recovered');
  });

  it('ignores the rejection of a token it has already replaced', async () => {
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => 0);
    const first = cache.token();
    pending[0]?.resolve(grant('old'));
    await first;
    cache.invalidate('old');
    const second = cache.token();
    pending[1]?.resolve(grant('new'));
    await second;
    cache.invalidate('old');
    expect(await cache.token()).toBe('new');
    expect(pending).toHaveLength(2);
  });

  it('never lets a fetch begun before a rejection overwrite the token fetched after it', async () => {
    let now = 0;
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => now);
    const first = cache.token();
    pending[0]?.resolve(grant('t0', 100));
    await first;

    now = 95_000; // past the refresh point: a renewal starts, and t0 serves meanwhile
    expect(await cache.token()).toBe('t0');
    cache.invalidate('t0'); // meanwhile a call with t0 is refused: a new generation
    const afterRejection = cache.token();
    expect(pending).toHaveLength(3);

    pending[2]?.resolve(grant('fresh', 3600, now));
    expect(await afterRejection).toBe('fresh');
    pending[1]?.resolve(grant('stale', 3600, now)); // the older fetch finishes last...
    await settled();
    expect(await cache.token()).toBe('fresh'); // ...but the cache keeps the newer token
  });

  it('uses the token that still works while renewing it ahead of expiry, and when that renewal fails', async () => {
    let now = 0;
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => now);
    const first = cache.token();
    pending[0]?.resolve(grant('current', 100));
    await first;
    now = 95_000; // past the renewal point (90 s), before expiry (100 s)
    // No call waits for the renewal: its retries (Retry-After included) could outlast the token.
    expect(await Promise.race([cache.token(), settled().then(() => 'waited')])).toBe('current');
    expect(await cache.token()).toBe('current');
    expect(pending).toHaveLength(2); // one renewal for all of them
    pending[1]?.reject(new Error('token endpoint down'));
    await settled();
    expect(await cache.token()).toBe('current'); // the next call tries to renew again
    expect(pending).toHaveLength(3);
    pending[2]?.resolve(grant('renewed', 100, now));
    await settled();
    expect(await cache.token()).toBe('renewed');
  });

  it('fails a call when the token has expired and cannot be renewed', async () => {
    let now = 0;
    const { pending, fetchGrant, grant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => now);
    const first = cache.token();
    pending[0]?.resolve(grant('current', 100));
    await first;
    now = 100_000;
    const renewal = cache.token();
    pending[1]?.reject(new Error('token endpoint down'));
    await expect(renewal).rejects.toThrow('token endpoint down');
    // A token the API rejected is not fallen back on either.
    now = 95_000;
    cache.invalidate('current');
    const afterRejection = cache.token();
    pending[2]?.reject(new Error('token endpoint down'));
    await expect(afterRejection).rejects.toThrow('token endpoint down');
  });

  it('keeps a token without expires_in until it is rejected', async () => {
    let now = 0;
    const { pending, fetchGrant } = manualFetches();
    const cache = new TokenCache(fetchGrant, () => now);
    const first = cache.token();
    pending[0]?.resolve({ accessToken: 'forever', expiresInSeconds: undefined, requestedAtMs: 0 });
    await first;
    now = 10 * 365 * 86_400_000;
    expect(await cache.token()).toBe('forever');
    cache.invalidate('forever');
    void cache.token();
    expect(pending).toHaveLength(2);
  });
});

describe("the client's token, against a real token endpoint", () => {
  it('is aged by elapsed time: a wall clock set back keeps no expired token', async () => {
    const oneSecondToken = {
      status: 200,
      body: { access_token: 'short', token_type: 'Bearer', expires_in: 1 },
    };
    const server = await startScriptedServer([OK], [oneSecondToken, TOKEN_GRANT]);
    const wallClock = Date.now.bind(Date);
    let setBackMs = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => wallClock() - setBackMs);
    try {
      const chekt = new ChektPartnerClient({ clientId: 'id', clientSecret: 'secret', baseUrl: server.url });
      await chekt.armingSettings.get(1, 1);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      // An NTP step or a VM resumed from a snapshot sets the time of day back an hour: the token
      // has still lived its second, and the next call must fetch another.
      setBackMs = 3600_000;
      await chekt.armingSettings.get(1, 1);
      expect(server.tokenRequests()).toHaveLength(2);
      expect(server.apiRequests().map((request) => request.authorization)).toEqual([
        'Bearer short',
        'Bearer scripted-token',
      ]);
    } finally {
      vi.restoreAllMocks();
      await server.close();
    }
  });
});
