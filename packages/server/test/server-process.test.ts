import { once } from 'node:events';
import { connect } from 'node:net';
import { armingSettingsPath, LIVENESS_PATH, READINESS_PATH } from '@chekt-partner/contract';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/store.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';
import { call, msUntilStatus, patchJson, traceIdOf } from './support/http.js';
import { fetchToken, type TestClient } from './support/provision.js';
import { parseJson, type ServerProcess, startServerProcess } from './support/server-process.js';

const EXAMPLE = armingSettingsPath(12345, 1);

/** The production build as a separate process: persistence, revocation via the CLI, logs, shutdown. */
describe('the server process', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let client: TestClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    expect(runCli(['dealer', 'add', '12345', '--name', 'Example', '--db', database.url]).status).toBe(0);
    expect(
      runCli([
        'site',
        'add',
        '--dealer',
        '12345',
        '--external-id',
        '1234567890',
        '--name',
        'Gangnam Headquarters',
        '--site-id',
        '1',
        '--db',
        database.url,
      ]).status,
    ).toBe(0);
    const added = runCli([
      'client',
      'add',
      '--name',
      'it',
      '--dealer',
      '12345',
      '--json',
      '--db',
      database.url,
    ]);
    const credentials = JSON.parse(added.stdout);
    client = { clientId: credentials.client_id, clientSecret: credentials.client_secret };
    server = await startServerProcess({ db: database.url });
  });
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  it('answers health and readiness', async () => {
    expect((await call(server.url, '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(server.url, '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('starts without a warning on stderr (a deprecated option would print one at every start)', () => {
    expect(server.stderr.filter((line) => /warning/i.test(line))).toEqual([]);
  });

  it('a stored value and a token both survive a restart', async () => {
    const token = await fetchToken(server.url, client);
    expect((await patchJson(server.url, EXAMPLE, token, { security_type: 4 })).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServerProcess({ db: database.url });
    // The port changed, so the issuer changed: an operator who restarts on another address sets
    // ISSUER_URL. The signing key, though, is the same one, read back from the database.
    const fresh = await fetchToken(server.url, client);
    const read = await call(server.url, EXAMPLE, { token: fresh });
    expect((read.body as { security_type: number }).security_type).toBe(4);
  });

  it('a token stays valid across a restart when the issuer is fixed (ISSUER_URL)', async () => {
    await server.stop();
    const env = { ISSUER_URL: 'http://api.test.local' };
    server = await startServerProcess({ db: database.url, env });
    const token = await fetchToken(server.url, client);
    await server.stop();
    server = await startServerProcess({ db: database.url, env });
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
  });

  it('names the issuer by the HOST it was given (localhost), not by the address that resolved to', async () => {
    const named = await startServerProcess({ db: database.url, args: ['--host', 'localhost'] });
    try {
      const port = new URL(named.url).port;
      const metadata = await call(named.url, '/.well-known/oauth-authorization-server');
      expect(metadata.body).toMatchObject({ issuer: `http://localhost:${port}` });
    } finally {
      await named.stop();
    }
  });

  it("rotating the signing key as the README says: a retired key's tokens work until it is deleted", async () => {
    const env = { ISSUER_URL: 'http://api.test.local' };
    const kidOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid;
    const restartAfter = async (statement: string) => {
      await server.stop();
      const store = await openStore(database.url);
      try {
        await sql.raw(statement).execute(store.db);
      } finally {
        await store.close();
      }
      server = await startServerProcess({ db: database.url, env });
    };
    await restartAfter('select 1');
    const old = await fetchToken(server.url, client);

    await restartAfter("update signing_keys set slot = null where slot = 'active'");
    const fresh = await fetchToken(server.url, client);
    expect(kidOf(fresh)).not.toBe(kidOf(old));
    const jwks = (await call(server.url, '/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([kidOf(old), kidOf(fresh)].sort());
    expect((await call(server.url, EXAMPLE, { token: old })).status).toBe(200);

    await restartAfter('delete from signing_keys where slot is null');
    expect((await call(server.url, EXAMPLE, { token: old })).status).toBe(401);
    expect((await call(server.url, EXAMPLE, { token: fresh })).status).toBe(200);
  });

  it('revoking a client with the CLI, while the server runs, stops its live token within 5 s', async () => {
    const added = JSON.parse(
      runCli(['client', 'add', '--name', 'doomed', '--dealer', '12345', '--json', '--db', database.url])
        .stdout,
    );
    const token = await fetchToken(server.url, {
      clientId: added.client_id,
      clientSecret: added.client_secret,
    });
    expect((await call(server.url, EXAMPLE, { token })).status).toBe(200);
    expect(runCli(['client', 'revoke', added.client_id, '--db', database.url]).status).toBe(0);
    expect(await msUntilStatus(() => call(server.url, EXAMPLE, { token }), 401, 6000)).toBeLessThan(5000);
  });

  it('logs one JSON line per request with trace id, client, dealer, site, status, latency; never a secret or token', async () => {
    const token = await fetchToken(server.url, client);
    const traceId = 'log-check-0001';
    await call(server.url, EXAMPLE, { token, headers: { 'x-partner-trace-id': traceId } });
    await call(server.url, `${EXAMPLE}?access_token=${token}`, { token: `${token}x` });
    await call(server.url, EXAMPLE, {
      method: 'PATCH',
      token,
      headers: { 'content-type': 'application/json', 'x-partner-trace-id': `${traceId}-patch` },
      body: '{"security_type":1}',
    });
    await call(server.url, EXAMPLE, {
      method: 'PATCH',
      token,
      headers: { 'content-type': 'application/json', 'x-partner-trace-id': `${traceId}-rejected` },
      body: '{"security_type":9}',
    });
    const lineOf = (id: string) =>
      server.stdout
        .map(parseJson)
        .find((entry) => entry?.trace_id === id && entry.msg === 'request completed');
    // Access lines are written in batches: wait for the last request's.
    await expect.poll(() => lineOf(`${traceId}-rejected`), { timeout: 5000 }).toBeDefined();
    const line = lineOf(traceId);
    expect(line).toMatchObject({
      client_id: client.clientId,
      dealer_id: 12345,
      site_id: 1,
      status: 200,
      method: 'GET',
    });
    expect(lineOf(`${traceId}-rejected`)).toMatchObject({ site_id: 1, status: 400, method: 'PATCH' });
    expect(lineOf(`${traceId}-patch`)).toMatchObject({
      dealer_id: 12345,
      site_id: 1,
      status: 200,
      method: 'PATCH',
    });
    expect(line?.latency_ms).toEqual(expect.any(Number));
    const output = server.stdout.join('\n') + server.stderr.join('\n');
    expect(output).not.toContain(token);
    expect(output).not.toContain(client.clientSecret);
  });

  // A connection reset while the PATCH waits on its write (a client killed or timed out, a proxy
  // giving up, the shutdown's deadline): the change is still made, so its access line must say so.
  // PostgreSQL only: on SQLite the wait for the write lock happens inside better-sqlite3, which
  // holds the event loop, so the reset is seen only once the answer has gone and this cannot fail.
  it.runIf(testBackend() === 'postgres')(
    'logs the access line of a PATCH made after its client reset the connection',
    async () => {
      const token = await fetchToken(server.url, client);
      const traceId = 'reset-before-answer-0001';
      const body = '{"security_type":4}';
      const store = await openStore(database.url);
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The site's row locked (PostgreSQL), the write lock held (SQLite): the PATCH waits for it.
      let locked = () => {};
      const locking = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holding = store.db.transaction().execute(async (trx) => {
        await sql`update sites set name = name where id = 1`.execute(trx);
        locked();
        await held;
      });
      try {
        await locking;
        const { hostname, port } = new URL(server.url);
        const socket = connect(Number(port), hostname);
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(
          patchHead(token, body.length, 'keep-alive').replace(
            '\r\n\r\n',
            `\r\nx-partner-trace-id: ${traceId}\r\n\r\n`,
          ) + body,
        );
        await pause(300);
        socket.resetAndDestroy();
        await pause(200);
      } finally {
        release();
        await holding;
        await store.close();
      }
      const lineOf = () =>
        server.stdout
          .map(parseJson)
          .find((entry) => entry?.trace_id === traceId && entry.msg === 'request completed');
      await expect
        .poll(lineOf, { timeout: 5000 })
        .toMatchObject({ method: 'PATCH', status: 200, site_id: 1 });
      // It was made: the site has the new type.
      const after = await call(server.url, EXAMPLE, { token });
      expect(after.body).toMatchObject({ security_type: 4 });
    },
  );

  // A connection with 64 requests waiting is cut by stopping Node's parser as an upgrade does
  // (pipelining.ts), which takes Node's own 'error' listener off the socket: a client that then
  // reset the connection made the answer's write fail with an 'error' nothing handled, and the
  // process ended.
  it('a client that floods a connection with pipelined requests and resets it does not end the process', async () => {
    const { hostname, port } = new URL(server.url);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(`GET ${LIVENESS_PATH} HTTP/1.1\r\nhost: x\r\n\r\n`.repeat(80));
      socket.resetAndDestroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await call(server.url, LIVENESS_PATH)).status).toBe(200);
  });

  it('a client that cuts its body off is no server error: no error line, at the token endpoint or the API', async () => {
    const token = await fetchToken(server.url, client);
    const errorLines = () => server.stdout.map(parseJson).filter((entry) => Number(entry?.level) >= 50);
    const before = errorLines();
    const { hostname, port } = new URL(server.url);
    const cutOff = async (head: string, partOfBody: string) => {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(head + partOfBody);
      await pause(150);
      socket.destroy();
    };
    await cutOff(
      'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n',
      'grant_type=cl',
    );
    await cutOff(patchHead(token, 40, 'keep-alive'), '{"secu');
    // Lines are written in order: once this request's line is out, any line of theirs is too.
    await call(server.url, EXAMPLE, { token, headers: { 'x-partner-trace-id': 'after-cut-off' } });
    await expect
      .poll(() => server.stdout.map(parseJson).find((entry) => entry?.trace_id === 'after-cut-off'), {
        timeout: 5000,
      })
      .toBeDefined();
    expect(errorLines()).toEqual(before);
  });

  // The machine's PostgreSQL trusts local connections, so it ignores the password it is given.
  it.runIf(testBackend() === 'postgres')(
    'never logs a database password given as a URL parameter',
    async () => {
      const url = new URL(database.url);
      url.searchParams.set('password', 'never-in-a-log');
      const another = await startServerProcess({ db: url.toString() });
      try {
        expect((await call(another.url, READINESS_PATH)).status).toBe(200);
      } finally {
        await another.stop();
      }
      const output = another.stdout.join('\n') + another.stderr.join('\n');
      expect(output).toContain('password=***');
      expect(output).not.toContain('never-in-a-log');
    },
  );

  /** The server again, once the one stopping has exited: the tests after a failed one still run. */
  async function restarted(exit: Promise<number | null>): Promise<ServerProcess> {
    await exit;
    return startServerProcess({ db: database.url });
  }

  /**
   * A PATCH of the example site whose body is still arriving when SIGTERM lands: its head and the
   * first bytes of its body, SIGTERM 200 ms later, and 200 ms more before the test sends the rest.
   */
  async function patchCutBySigterm(securityType: number, connectionHeader: 'close' | 'keep-alive') {
    const token = await fetchToken(server.url, client);
    const body = `{"security_type":${securityType}}`;
    const connection = await rawConnection(server.url);
    connection.write(patchHead(token, body.length, connectionHeader) + body.slice(0, 5));
    await pause(200);
    const exit = server.stop('SIGTERM');
    await pause(200);
    return { token, connection, restOfBody: body.slice(5), exit };
  }

  it('on SIGTERM, finishes in-flight requests, then exits 0', async () => {
    // The server has accepted the request and must answer it in full before it exits.
    const { connection, restOfBody, exit } = await patchCutBySigterm(2, 'close');
    try {
      connection.write(restOfBody);
      const response = await connection.closed;
      expect(response).toMatch(/^HTTP\/1.1 200/);
      expect(response).toContain('"security_type":2');
      expect(await exit).toBe(0);
      const log = server.stdout.join('\n');
      expect(log.indexOf('"status":200')).toBeGreaterThan(-1);
      expect(log.lastIndexOf('database closed')).toBeGreaterThan(log.lastIndexOf('request completed'));
    } finally {
      server = await restarted(exit);
    }
  });

  it('on SIGHUP (a closed terminal, a log rotation reflex), shuts down as gently as on SIGTERM', async () => {
    const token = await fetchToken(server.url, client);
    const body = '{"security_type":3}';
    const connection = await rawConnection(server.url);
    connection.write(patchHead(token, body.length, 'close') + body.slice(0, 5));
    await pause(200);
    const exit = server.stop('SIGHUP');
    await pause(200);
    try {
      connection.write(body.slice(5));
      expect(await connection.closed).toMatch(/^HTTP\/1.1 200/);
      expect(await exit).toBe(0);
      const log = server.stdout.join('\n');
      expect(log).toContain('"signal":"SIGHUP"');
      expect(log.lastIndexOf('database closed')).toBeGreaterThan(log.lastIndexOf('request completed'));
    } finally {
      server = await restarted(exit);
    }
  });

  it('on SIGTERM, answers a request that arrives on a busy keep-alive connection in full, then closes it', async () => {
    const { token, connection, restOfBody, exit } = await patchCutBySigterm(3, 'keep-alive');
    try {
      // The rest of the PATCH, and a GET behind it on the same connection, which the server reads
      // while it is shutting down. Fastify's own answer would be a bare 503, without the envelope.
      const traceId = '550e8400-e29b-41d4-a716-123456789000';
      connection.write(
        restOfBody +
          `GET ${EXAMPLE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `x-partner-trace-id: ${traceId}\r\n\r\n`,
      );
      const [patched, read] = (await connection.closed).split(/(?=HTTP\/1\.1 )/);
      expect(patched).toMatch(/^HTTP\/1.1 200/);
      expect(patched).toContain('"security_type":3');
      expect(read).toMatch(/^HTTP\/1.1 200/);
      expect(read).toMatch(/\r\nconnection: close\r\n/i);
      expect(read).toContain(`x-partner-trace-id: ${traceId}`);
      expect(read).toContain('"external_site_id":"1234567890"');
      expect(await exit).toBe(0);
    } finally {
      server = await restarted(exit);
    }
  });

  it('on SIGTERM, closes a connection as soon as a request in flight past the idle grace is answered', async () => {
    // Its head arrived before the signal, so its answer keeps the connection alive; the shutdown
    // must not then wait SHUTDOWN_TIMEOUT_MS (10 s) for that quiet connection.
    const { connection, restOfBody, exit } = await patchCutBySigterm(4, 'keep-alive');
    try {
      await pause(1500);
      connection.write(restOfBody);
      await expect.poll(() => connection.received(), { timeout: 5000 }).toMatch(/^HTTP\/1.1 200/);
      const answered = Date.now();
      await connection.closed;
      expect(Date.now() - answered).toBeLessThan(3000);
      expect(await exit).toBe(0);
    } finally {
      server = await restarted(exit);
    }
  });

  it('on SIGTERM, answers the requests of connections still waiting to be accepted, instead of resetting them', async () => {
    // Node takes in one new connection per turn of its event loop, so under load a client that
    // opens a connection per request (curl, a proxy without upstream keep-alive) has its request
    // sent and waiting in the kernel's accept queue. Closing the listening socket then resets
    // every one of them: the client cannot tell whether its PATCH was made. Stopping the process
    // lets the queue fill as it does under load, deterministically.
    const token = await fetchToken(server.url, client);
    const body = '{"security_type":2}';
    process.kill(server.pid, 'SIGSTOP');
    let exit: Promise<number | null> | undefined;
    let waiting: Awaited<ReturnType<typeof rawConnection>>[] = [];
    try {
      waiting = await Promise.all(Array.from({ length: 10 }, () => rawConnection(server.url)));
      for (const connection of waiting) connection.write(patchHead(token, body.length, 'close') + body);
      await pause(100);
      exit = server.stop('SIGTERM');
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    try {
      const answers = await Promise.all(waiting.map((connection) => connection.closed));
      expect(answers.map((answer) => answer.slice(0, 15))).toEqual(answers.map(() => 'HTTP/1.1 200 OK'));
      expect(await exit).toBe(0);
    } finally {
      server = await restarted(exit ?? server.stop('SIGTERM'));
    }
  });

  it('on SIGTERM, closes a connection that never sent a byte after the grace, instead of waiting for it', async () => {
    // A client may open connections ahead of need (a browser, a pool): Node counts one that has
    // sent nothing as busy, and the shutdown waited SHUTDOWN_TIMEOUT_MS (10 s) for it.
    const unused = await rawConnection(server.url);
    const stopping = Date.now();
    const exit = server.stop('SIGTERM');
    try {
      expect(await unused.closed).toBe('');
      expect(await exit).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5000);
    } finally {
      server = await restarted(exit);
    }
  });

  it('on SIGTERM, a client reading many pipelined answers slowly gets every one of them, whole', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    // Fewer than the 64 a connection may have waiting before it is taken for a flood and cut.
    const count = 60;
    socket.write(`GET /openapi.json HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`.repeat(count));
    // ~40 KB an answer, read in chunks of at most 64 KiB every 40 ms: the answers take seconds,
    // past the shutdown's 1 s grace, when Node's own closeIdleConnections cut the connection
    // mid-answer.
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      socket.pause();
      setTimeout(() => socket.resume(), 40);
    });
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await pause(200);
    const exit = server.stop('SIGTERM');
    try {
      await closed;
      // Each answer's status line follows the previous answer's body directly.
      const statuses = text.match(/HTTP\/1\.1 \d{3}(?= [A-Z])/g) ?? [];
      expect(statuses).toHaveLength(count);
      expect(new Set(statuses)).toEqual(new Set(['HTTP/1.1 200']));
      // The last answer arrived whole: the document it carries ends the text.
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(await exit).toBe(0);
    } finally {
      server = await restarted(exit);
    }
  }, 30_000);

  it('a second signal during the shutdown exits at once, with code 1, and says so', async () => {
    const securityType = async () =>
      (
        (await call(server.url, EXAMPLE, { token: await fetchToken(server.url, client) })).body as {
          security_type: number;
        }
      ).security_type;
    const before = await securityType();
    const { connection, exit } = await patchCutBySigterm(before === 1 ? 2 : 1, 'keep-alive');
    try {
      const stopping = Date.now();
      server.child.kill('SIGINT');
      expect(await exit).toBe(1);
      expect(Date.now() - stopping).toBeLessThan(3000);
      expect(server.stdout.join('\n')).toContain('second signal: exiting now');
      // The PATCH was never answered, and never made.
      expect(await connection.closed).toBe('');
    } finally {
      server = await restarted(exit);
    }
    expect(await securityType()).toBe(before);
  });

  it('on SIGTERM, answers a request sent on an idle keep-alive connection just after, instead of cutting it off', async () => {
    // Under load nearly every keep-alive connection has its next request on the way when SIGTERM
    // lands. Closing the quiet ones at once reset those requests; the client could not tell
    // whether its PATCH was made.
    const token = await fetchToken(server.url, client);
    const connection = await rawConnection(server.url);
    const get = `GET ${EXAMPLE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    connection.write(get);
    await expect.poll(() => connection.received().length).toBeGreaterThan(0);
    const shuttingDown = () => server.stdout.some((line) => line.includes('shutting down'));
    const exit = server.stop('SIGTERM');
    try {
      await expect.poll(shuttingDown).toBe(true);
      connection.write(get);
      const [first, second] = (await connection.closed).split(/(?=HTTP\/1\.1 )/);
      expect(first).toMatch(/^HTTP\/1.1 200/);
      expect(second).toMatch(/^HTTP\/1.1 200/);
      expect(second).toMatch(/\r\nconnection: close\r\n/i);
      expect(await exit).toBe(0);
    } finally {
      server = await restarted(exit);
    }
  });

  it.skipIf(testBackend() !== 'sqlite')(
    'on SIGTERM, answers a request that arrived while a write stood waiting for the lock past the grace',
    async () => {
      // A write waiting out SQLite's lock holds the event loop still. When it moves again, the
      // idle grace is long due: the request that came meanwhile on a quiet connection must be
      // read before that connection is taken for idle and reset.
      const token = await fetchToken(server.url, client);
      const quiet = await rawConnection(server.url);
      const get = `GET ${EXAMPLE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`;
      quiet.write(get);
      await expect.poll(() => quiet.received().length).toBeGreaterThan(0);
      const [first, second] = [await rawConnection(server.url), await rawConnection(server.url)];
      const locker = new SqliteDatabase(database.url.slice('sqlite:'.length));
      locker.exec('BEGIN EXCLUSIVE');
      const body = '{"security_type":2}';
      let exit: Promise<number | null> | undefined;
      try {
        first.write(patchHead(token, body.length, 'keep-alive') + body); // waits out the lock: 5 s
        await pause(300);
        exit = server.stop('SIGTERM');
        second.write(patchHead(token, body.length, 'keep-alive') + body); // read after the first: waits again
        await pause(6500); // the grace ran out during the second wait
        quiet.write(get);
        await pause(500);
      } finally {
        locker.exec('ROLLBACK');
        locker.close();
      }
      try {
        const answers = (await quiet.closed).split(/(?=HTTP\/1\.1 )/);
        expect(answers).toHaveLength(2);
        expect(answers[1]).toMatch(/^HTTP\/1.1 200/);
        expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
        expect(await exit).toBe(0);
      } finally {
        server = await restarted(exit ?? server.stop('SIGTERM'));
      }
    },
    30_000,
  );

  it('on SIGTERM, cuts a request that never finishes arriving after SHUTDOWN_TIMEOUT_MS, then exits 0', async () => {
    const impatient = await startServerProcess({ db: database.url, env: { SHUTDOWN_TIMEOUT_MS: '1500' } });
    const token = await fetchToken(impatient.url, client);
    const connection = await rawConnection(impatient.url);
    // Six bytes of a twenty-byte body, and no more.
    connection.write(`${patchHead(token, 20, 'keep-alive')}{"secu`);
    await pause(200);
    const stopping = Date.now();
    const exit = impatient.stop('SIGTERM');
    try {
      await connection.closed;
      expect(await exit).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(10_000);
      const log = impatient.stdout.join('\n');
      expect(log).toContain('shutdown complete');
      // The cut request looked nothing up in a closed database.
      expect(log).not.toContain('database connection is not open');
      expect(log).not.toContain('"level":50');
    } finally {
      await impatient.stop('SIGKILL');
    }
  });

  it.skipIf(testBackend() !== 'sqlite')(
    'checkpoints the WAL on a thread of its own from its first write',
    async () => {
      const token = await fetchToken(server.url, client);
      const started = () =>
        server.stdout.some((line) => parseJson(line)?.msg === 'WAL checkpoints run on a thread of their own');
      expect((await patchJson(server.url, EXAMPLE, token, { security_type: 3 })).status).toBe(200);
      // The bundle found the thread's file beside it and the thread opened the database.
      await expect.poll(started, { timeout: 5000 }).toBe(true);
      expect(server.stdout.join('\n')).not.toContain('WAL checkpoint thread stopped');
    },
  );

  it('every write answered 200 survives the process being killed mid-load (SIGKILL)', async () => {
    const token = await fetchToken(server.url, client);
    // Trace id of each 200, and the type it set. Writers run past a WAL checkpoint cycle (1 s),
    // and the kill lands while requests are in flight.
    const acknowledged = new Map<string, number>();
    let killed = false;
    const writer = async (offset: number) => {
      for (let i = 0; !killed; i += 1) {
        const securityType = 1 + ((offset + i) % 4);
        try {
          const response = await patchJson(server.url, EXAMPLE, token, { security_type: securityType });
          const traceId = traceIdOf(response);
          if (response.status === 200 && traceId) acknowledged.set(traceId, securityType);
        } catch {
          return; // the connection died with the process: this write was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, offset) => writer(offset));
    // Past a checkpoint cycle, and enough 200s to check, however slow a loaded machine is.
    await pause(1500);
    await expect.poll(() => acknowledged.size, { timeout: 20_000, interval: 50 }).toBeGreaterThan(50);
    killed = true;
    await server.stop('SIGKILL');
    await Promise.all(writers);
    expect(acknowledged.size).toBeGreaterThan(50);

    const store = await openStore(database.url);
    try {
      const history = await store.db
        .selectFrom('arming_history')
        .select(['id', 'trace_id', 'to_type'])
        .where('site_id', '=', 1)
        .orderBy('id')
        .execute();
      const recorded = new Map(history.map((row) => [row.trace_id, Number(row.to_type)]));
      for (const [traceId, securityType] of acknowledged) expect(recorded.get(traceId)).toBe(securityType);
      const site = await store.db
        .selectFrom('sites')
        .select('security_type')
        .where('id', '=', 1)
        .executeTakeFirst();
      expect(Number(site?.security_type)).toBe(Number(history.at(-1)?.to_type));
    } finally {
      await store.close();
    }
    server = await startServerProcess({ db: database.url });
  });
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The head of a PATCH of the example site, its body to follow. */
function patchHead(token: string, contentLength: number, connection: 'close' | 'keep-alive'): string {
  return (
    `PATCH ${EXAMPLE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${contentLength}\r\nConnection: ${connection}\r\n\r\n`
  );
}

/** A raw TCP connection to the server: bytes go out as written, and `closed` is all it answered. */
async function rawConnection(
  serverUrl: string,
): Promise<{ write(text: string): void; received(): string; closed: Promise<string> }> {
  const { hostname, port } = new URL(serverUrl);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString();
  });
  // A reset still ends the exchange: what arrived before it is what the test reads.
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { write: (bytes) => socket.write(bytes), received: () => text, closed };
}
