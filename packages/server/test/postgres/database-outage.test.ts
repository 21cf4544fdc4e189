import { randomUUID } from 'node:crypto';
import { armingSettingsPath, type SecurityType } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { call } from '../support/http.js';
import { createPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { fetchToken, provisionDealer } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const DEALER = 31;
const WORKERS = 8;

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  latencyMs: number;
  traceId: string;
  siteId: number;
  type: SecurityType;
  phase: 'before' | 'down' | 'after';
}

/**
 * The database goes away under load and comes back: requests fail fast with 503 while it is
 * down, the server recovers by itself, and every PATCH that was answered 200 is durably stored.
 */
describe('a PostgreSQL outage under PATCH load', () => {
  let cluster: PostgresCluster;
  let server: ServerProcess;
  let siteIds: number[];
  let token: string;

  beforeAll(async () => {
    cluster = await createPostgresCluster();
    const externalIds = [0, 1, 2, 3, 4].map((i) => `outage-${i}`);
    const provisioned = await provisionDealer(cluster.url, DEALER, 'Outage dealer', externalIds);
    siteIds = provisioned.siteIds;
    server = await startServerProcess({ db: cluster.url });
    token = await fetchToken(server.url, provisioned.client);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    cluster?.destroy();
  });

  it('503 with Retry-After while down, not ready, then recovery without a restart; no 200 is lost', async () => {
    let phase: Answer['phase'] = 'before';
    let running = true;
    const answers: Answer[] = [];
    const worker = async () => {
      while (running) {
        const siteId = siteIds[Math.floor(Math.random() * siteIds.length)] as number;
        const type = (1 + Math.floor(Math.random() * 4)) as SecurityType;
        const traceId = randomUUID();
        const startedIn = phase;
        const started = performance.now();
        // A refused or reset connection (the server died) is recorded as status 0, never thrown.
        const response = await call(server.url, armingSettingsPath(DEALER, siteId), {
          method: 'PATCH',
          token,
          headers: { 'content-type': 'application/json', 'x-partner-trace-id': traceId },
          body: JSON.stringify({ security_type: type }),
        }).catch(() => ({ status: 0, body: {}, headers: new Headers(), text: '' }));
        answers.push({
          status: response.status,
          code: (response.body as { error?: { code?: string } }).error?.code,
          retryAfter: response.headers.get('retry-after'),
          latencyMs: performance.now() - started,
          traceId,
          siteId,
          type,
          phase: startedIn === phase ? phase : 'down',
        });
        // A client honouring Retry-After would wait longer; a short pause keeps the loop bounded.
        if (response.status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, worker));
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    try {
      await pause(1500);
      phase = 'down';
      cluster.stop('immediate');
      await pause(500);
      const readiness = await call(server.url, '/readyz');
      expect(readiness.status).toBe(503);
      expect(readiness.headers.get('retry-after')).toEqual(expect.any(String));
      await pause(2500);

      cluster.start();
      const restartedAt = Date.now();
      let ready = false;
      while (!ready && Date.now() - restartedAt < 30_000) {
        ready = (await call(server.url, '/readyz')).status === 200;
        if (!ready) await pause(100);
      }
      expect(ready).toBe(true);
      phase = 'after';
      await pause(1500);
    } finally {
      running = false;
      await load;
    }

    // The database went away; the server did not.
    expect(server.child.exitCode).toBeNull();
    const down = answers.filter((answer) => answer.phase === 'down' && answer.status !== 200);
    expect(down.length).toBeGreaterThan(0);
    for (const answer of down) {
      expect(answer.status).toBe(503);
      expect(answer.code).toBe('service_unavailable');
      expect(answer.retryAfter).toMatch(/^\d+$/);
      // Fails fast: no request waits out a long connect or statement timeout.
      expect(answer.latencyMs).toBeLessThan(3000);
    }
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 503)).toEqual([]);
    const after = answers.filter((answer) => answer.phase === 'after');
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    expect(after.slice(-WORKERS).every((answer) => answer.status === 200)).toBe(true);

    const store = await openStore(cluster.url);
    try {
      const history = await store.db
        .selectFrom('arming_history')
        .select(['trace_id', 'to_type', 'site_id'])
        .execute();
      const stored = new Map(history.map((row) => [row.trace_id, row]));
      const accepted = answers.filter((answer) => answer.status === 200);
      expect(accepted.length).toBeGreaterThan(0);
      for (const answer of accepted) {
        expect(stored.get(answer.traceId)).toMatchObject({ site_id: answer.siteId, to_type: answer.type });
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
