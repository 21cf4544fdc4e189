import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresAdminUrl, type TestDatabase } from '../support/database.js';
import { type ApiResponse, call, msUntilStatus, patchJson } from '../support/http.js';
import { fetchToken, provisionDealer } from '../support/provision.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const DEALER = 77;
const STATEMENT_TIMEOUT_MS = 1000;

/**
 * A TCP proxy between the server and PostgreSQL that can stop forwarding while keeping every
 * socket open: a network partition or a stalled host, which PostgreSQL's own statement_timeout
 * cannot see. `cut()` then resets every socket, as the network coming back would.
 */
class SilenceableProxy {
  private readonly sockets = new Set<Socket>();
  private silent = false;
  private constructor(private readonly server: Server) {}

  static async start(target: URL): Promise<SilenceableProxy> {
    const proxy = new SilenceableProxy(createServer((client) => proxy.pipe(client, target)));
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  silence(): void {
    this.silent = true;
  }

  cut(): void {
    this.silent = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  close(): void {
    this.cut();
    this.server.close();
  }

  private pipe(client: Socket, target: URL): void {
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    const pair = [client, upstream];
    for (const socket of pair) {
      this.sockets.add(socket);
      socket.on('error', () => socket.destroy());
      // One side closing closes the other, as it would through a working network.
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (!this.silent) for (const other of pair) other.destroy();
      });
    }
    client.on('data', (bytes) => this.silent || upstream.write(bytes));
    upstream.on('data', (bytes) => this.silent || client.write(bytes));
  }
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

function expectUnavailable(response: ApiResponse, what: string): void {
  expect(response.status, what).toBe(503);
  expect(response.headers.get('retry-after'), what).toMatch(/^\d+$/);
}

describe('a PostgreSQL that stops answering, or refuses writes or connections', () => {
  let database: TestDatabase;
  let name: string;
  let proxy: SilenceableProxy;
  let server: ServerProcess;
  let token: string;
  let site: string;

  const patch = (type: 1 | 2 | 3 | 4) => patchJson(server.url, site, token, { security_type: type });
  const get = () => call(server.url, site, { token });
  const ready = () => call(server.url, READINESS_PATH);
  const terminateBackends = () =>
    admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresAdminUrl());
    name = new URL(database.url).pathname.slice(1);
    const { client, siteIds } = await provisionDealer(database.url, DEALER, 'Unanswering dealer', ['quiet']);
    site = armingSettingsPath(DEALER, siteIds[0] as number);
    proxy = await SilenceableProxy.start(new URL(database.url));
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    server = await startServerProcess({
      db: viaProxy.toString(),
      env: { PG_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
    });
    token = await fetchToken(server.url, client);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    proxy?.close();
    await admin(`alter database ${name} reset default_transaction_read_only`).catch(() => {});
    await admin(`alter database ${name} allow_connections true`).catch(() => {});
    await database?.drop();
  });

  it('silent on open connections: GET, PATCH and /readyz each answer 503 within seconds, then recover', async () => {
    expect((await get()).status).toBe(200);
    proxy.silence();
    const started = Date.now();
    const [read, write, readiness] = await Promise.all([get(), patch(2), ready()]);
    const waitedMs = Date.now() - started;
    expectUnavailable(read, 'GET');
    expectUnavailable(write, 'PATCH');
    expect(readiness.status).toBe(503);
    // The statement timeout plus a second's grace, or the 2 s connect timeout for a new connection.
    expect(waitedMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 4000);

    proxy.cut();
    expect(await msUntilStatus(get, 200, 15_000)).toBeLessThan(15_000);
    expect((await patch(3)).status).toBe(200);
  });

  it('read-only (a failover onto a standby): PATCH is 503, not 500, and the instance is not ready', async () => {
    await admin(`alter database ${name} set default_transaction_read_only = on`);
    await terminateBackends();
    expect(await msUntilStatus(ready, 503, 10_000)).toBeLessThan(10_000);
    for (let i = 0; i < 3; i++) expectUnavailable(await patch(4), `PATCH ${i}`);
    expect((await get()).status).toBe(200);

    await admin(`alter database ${name} reset default_transaction_read_only`);
    await terminateBackends();
    expect(await msUntilStatus(() => patch(4), 200, 10_000)).toBeLessThan(10_000);
    expect((await ready()).status).toBe(200);
  });

  it('not accepting connections: 503 with Retry-After, not 500', async () => {
    await admin(`alter database ${name} allow_connections false`);
    await terminateBackends();
    for (let i = 0; i < 3; i++) {
      expectUnavailable(await get(), `GET ${i}`);
      expectUnavailable(await patch(1), `PATCH ${i}`);
    }
    await admin(`alter database ${name} allow_connections true`);
    expect(await msUntilStatus(get, 200, 10_000)).toBeLessThan(10_000);
  });
});
