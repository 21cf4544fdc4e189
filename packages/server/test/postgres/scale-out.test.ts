import { randomUUID } from 'node:crypto';
import { armingSettingsPath, type SecurityType } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { runCli } from '../support/cli.js';
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../support/database.js';
import { call, msUntilStatus, patchJson } from '../support/http.js';
import { addClient, addSite, fetchToken, provisioning, type TestClient } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const DEALER = 4242;
const SITE_COUNT = 20;
const PATCH_COUNT = 600;
const CONCURRENCY = 60;
// Behind a load balancer every instance has the same public issuer.
const ISSUER_URL = 'http://chekt-partner.scale-out.test';

describe('three stateless instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let instances: ServerProcess[];
  let store: Store;
  let siteIds: number[];
  let client: TestClient;

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    // All three start at the same moment on an empty database: migrations and the first signing
    // key must each happen exactly once, without any instance failing.
    const started = await Promise.allSettled(
      [1, 2, 3].map(() => startServerProcess({ db: database.url, env: { ISSUER_URL } })),
    );
    instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    store = await openStore(database.url);
    await provisioning(store).addDealer(DEALER, 'Scale-out dealer');
    siteIds = [];
    for (let i = 0; i < SITE_COUNT; i++) siteIds.push(await addSite(store, DEALER, `site-${i}`));
    client = await addClient(store, [DEALER]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all((instances ?? []).map((instance) => instance.stop()));
    await store?.close();
    await database?.drop();
  });

  it('started together: one migration run, one signing key, the same JWKS everywhere', async () => {
    const keys = await store.db.selectFrom('signing_keys').selectAll().execute();
    expect(keys).toHaveLength(1);
    const migrations = await store.db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .orderBy('name' as never)
      .execute();
    // Each migration recorded exactly once, though three instances raced to apply it.
    expect(migrations).toEqual([
      { name: '0001_initial' },
      { name: '0002_history_chain' },
      { name: '0003_client_tokens_valid_from' },
    ]);
    const jwks = await Promise.all(instances.map((instance) => call(instance.url, '/.well-known/jwks.json')));
    for (const answer of jwks) expect(answer.body).toEqual(jwks[0]?.body);
  });

  it('a token issued by any instance is accepted by every instance', async () => {
    for (const issuer of instances) {
      const token = await fetchToken(issuer.url, client);
      for (const verifier of instances) {
        const response = await call(verifier.url, armingSettingsPath(DEALER, siteIds[0] as number), {
          token,
        });
        expect(response.status).toBe(200);
      }
    }
  });

  it(`${PATCH_COUNT} concurrent PATCHes over 3 instances and ${SITE_COUNT} sites: no 5xx, and history agrees exactly`, async () => {
    const tokens = await Promise.all(instances.map((instance) => fetchToken(instance.url, client)));
    const answers: Array<{ status: number; traceId: string; siteId: number; type: SecurityType }> = [];
    let next = 0;
    const worker = async () => {
      while (next < PATCH_COUNT) {
        const n = next++;
        const instance = n % instances.length;
        const siteId = siteIds[Math.floor(Math.random() * SITE_COUNT)] as number;
        const type = (1 + Math.floor(Math.random() * 4)) as SecurityType;
        const traceId = randomUUID();
        const response = await call(instances[instance]?.url as string, armingSettingsPath(DEALER, siteId), {
          method: 'PATCH',
          token: tokens[instance] as string,
          headers: { 'content-type': 'application/json', 'x-partner-trace-id': traceId },
          body: JSON.stringify({ security_type: type }),
        });
        if (response.status === 200)
          expect((response.body as { security_type: number }).security_type).toBe(type);
        answers.push({ status: response.status, traceId, siteId, type });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(answers).toHaveLength(PATCH_COUNT);
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    const accepted = answers.filter((answer) => answer.status === 200);
    expect(accepted.length).toBe(PATCH_COUNT);

    const history = await store.db
      .selectFrom('arming_history')
      .selectAll()
      .where('dealer_id', '=', DEALER)
      .orderBy('id')
      .execute();
    const mine = history.filter((row) => accepted.some((answer) => answer.traceId === row.trace_id));
    // Every 200 has exactly one history row, and there are no others.
    expect(history.length).toBe(accepted.length);
    expect(new Set(mine.map((row) => row.trace_id)).size).toBe(accepted.length);
    for (const answer of accepted) {
      const rows = history.filter((row) => row.trace_id === answer.traceId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        site_id: answer.siteId,
        to_type: answer.type,
        client_id: client.clientId,
      });
    }
    // Per site: the chain of changes is unbroken (each row starts where the previous ended),
    // and the stored value is the newest row's.
    const sites = await store.db
      .selectFrom('sites')
      .select(['id', 'security_type'])
      .where('dealer_id', '=', DEALER)
      .execute();
    for (const site of sites) {
      const chain = history.filter((row) => row.site_id === site.id);
      for (let i = 1; i < chain.length; i++) expect(chain[i]?.from_type).toBe(chain[i - 1]?.to_type);
      if (chain.length > 0) expect(site.security_type).toBe(chain.at(-1)?.to_type);
    }
  }, 120_000);

  it('a client revoked through the CLI is refused by every instance within 5 seconds', async () => {
    const doomed = await addClient(store, [DEALER], 'doomed');
    const tokens = await Promise.all(instances.map((instance) => fetchToken(instance.url, doomed)));
    const path = armingSettingsPath(DEALER, siteIds[0] as number);
    for (const [i, instance] of instances.entries()) {
      expect((await call(instance.url, path, { token: tokens[i] as string })).status).toBe(200);
    }
    expect(runCli(['client', 'revoke', doomed.clientId, '--db', database.url]).status).toBe(0);
    const refusedAfter = await Promise.all(
      instances.map((instance, i) =>
        msUntilStatus(() => call(instance.url, path, { token: tokens[i] as string }), 401, 6000),
      ),
    );
    for (const elapsed of refusedAfter) expect(elapsed).toBeLessThan(5000);
  });

  it('the PATCH path and a bad body behave the same through every instance', async () => {
    const token = await fetchToken(instances[0]?.url as string, client);
    for (const instance of instances) {
      const response = await patchJson(
        instance.url,
        armingSettingsPath(DEALER, siteIds[1] as number),
        token,
        {
          security_type: '3',
        },
      );
      expect(response.status).toBe(400);
    }
  });
});
