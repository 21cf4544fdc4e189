import { connect } from 'node:net';
import { armingSettingsPath, LIVENESS_PATH } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { startExampleServer } from './support/example-server.js';
import { call } from './support/http.js';
import type { InProcessServer } from './support/in-process-server.js';
import { fetchToken, type TestClient } from './support/provision.js';

const EXAMPLE = armingSettingsPath(12345, 1);

/**
 * Requests sent on one connection without waiting for each answer (pipelining, RFC 9112 §9.3.2),
 * in one write, so that the server reads them together: the real app on a real port and file.
 */
describe('requests pipelined on one connection', () => {
  let server: InProcessServer;
  let client: TestClient;
  let token: string;
  let port: number;

  beforeAll(async () => {
    const example = await startExampleServer();
    server = example.server;
    client = example.client;
    token = await fetchToken(server.url, example.client);
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.close());

  const patch = (securityType: number, bearer = token) => {
    const body = `{"security_type":${securityType}}`;
    return (
      `PATCH ${EXAMPLE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${bearer}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`
    );
  };
  const get = (connection = 'keep-alive') =>
    `GET ${EXAMPLE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\nconnection: ${connection}\r\n\r\n`;

  it('are served in order: a GET behind a PATCH reads what the PATCH wrote', async () => {
    for (const securityType of [2, 3, 4, 1, 3]) {
      const answers = await exchange(port, patch(securityType) + get('close'));
      expect(answers.map(({ status }) => status)).toEqual([200, 200]);
      expect(answers.map(({ body }) => JSON.parse(body).security_type)).toEqual([securityType, securityType]);
    }
  });

  it('PATCHes in a row apply in order, each answered with its own value', async () => {
    const before = (await listArmingHistory(server.store.db, 1)).length;
    const answers = await exchange(port, patch(2) + patch(3) + patch(4) + patch(1) + get('close'));
    expect(answers.map(({ body }) => JSON.parse(body).security_type)).toEqual([2, 3, 4, 1, 1]);
    const history = await listArmingHistory(server.store.db, 1);
    expect(history.length - before).toBe(4);
  });

  it('bytes that are not HTTP after a PATCH: the PATCH is answered first, then the 400, then the close', async () => {
    for (const securityType of [3, 2]) {
      const answers = await exchange(port, `${patch(securityType)}GARBAGE\r\n\r\n`);
      expect(answers.map(({ status }) => status)).toEqual([200, 400]);
      expect(JSON.parse(answers[0]?.body ?? '').security_type).toBe(securityType);
      expect(JSON.parse(answers[1]?.body ?? '').error.code).toBe('bad_request');
    }
  });

  it('a GET and a PATCH queued behind it, then bad bytes: both answered, in order, before the 400', async () => {
    const answers = await exchange(port, `${get()}${patch(4)}\x00\x01\r\n\r\n`);
    expect(answers.map(({ status }) => status)).toEqual([200, 200, 400]);
    expect(JSON.parse(answers[1]?.body ?? '').security_type).toBe(4);
  });

  it('a client that half-closes once it has sent its requests still gets every answer', async () => {
    for (const securityType of [3, 2]) {
      // A token this server has not seen yet: verifying it takes long enough for the FIN to arrive
      // first, at which Node used to abort the request (while the PATCH went on to commit).
      const fresh = await fetchToken(server.url, client);
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise((resolve, reject) => {
        socket.on('error', reject);
        socket.on('close', resolve);
      });
      socket.end(patch(securityType, fresh) + get());
      await closed;
      const answers = splitAnswers(Buffer.concat(chunks).toString('utf8'));
      expect(answers.map(({ status }) => status)).toEqual([200, 200]);
      expect(answers.map(({ body }) => JSON.parse(body).security_type)).toEqual([securityType, securityType]);
    }
  });

  it('a client that pipelines without reading is not read any further: the requests wait in its socket, not in memory', async () => {
    // Past 32 waiting the connection is not read; all of these come in one read, below the bound.
    const count = 60;
    const socket = connect(port, '127.0.0.1');
    try {
      socket.pause(); // reads nothing until all are sent
      socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`.repeat(count));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Then the client reads: every answer comes, in order.
      let answered = 0;
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const ends = text.split('{"status":"ok"}');
        answered += ends.length - 1;
        text = ends.at(-1) ?? '';
      });
      socket.resume();
      await expect.poll(() => answered, { timeout: 10_000, interval: 100 }).toBe(count);
    } finally {
      socket.destroy();
    }
  });

  it('a client that floods a connection with requests it never reads the answers of is cut off, and what it sent is not kept', async () => {
    // 50,000 in one go: Node parses a read of up to 64 KiB (~1,800 of these) before it can stop,
    // and each request kept waiting costs ~3 KB: a few thousand such connections took the 4 GB
    // heap. The connection ends at 64 waiting instead, and the rest of what it sent is dropped.
    const count = 50_000;
    let seen = 0;
    const countRequest = () => {
      seen += 1;
    };
    server.app.server.on('request', countRequest);
    const socket = connect(port, '127.0.0.1');
    try {
      socket.on('error', () => {});
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`.repeat(count));
      // Reading the answers changes nothing: one read's requests are parsed before any is answered.
      socket.resume();
      await closed;
      expect(seen).toBeLessThanOrEqual(66);
      // The server goes on serving everyone else.
      expect((await call(server.url, LIVENESS_PATH)).status).toBe(200);
    } finally {
      socket.destroy();
      server.app.server.off('request', countRequest);
    }
  }, 20_000);

  it('a connection cut for its flood first answers the request it was serving, and serves none after it', async () => {
    // The first PATCH is being made when the 66th request is read: cut at once, the site changed
    // and the client never heard. Each change made must be answered; none waiting behind is made.
    const before = (await listArmingHistory(server.store.db, 1)).length;
    const answers = await exchange(port, [2, 3].flatMap((type) => Array(40).fill(patch(type))).join(''));
    const made = (await listArmingHistory(server.store.db, 1)).length - before;
    expect(answers.map(({ status }) => status)).toEqual(Array(made).fill(200));
    expect(made).toBeGreaterThan(0);
  });

  it('bad bytes in the body of a request already answered (a 401 before its body) get no second answer', async () => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      `PATCH ${EXAMPLE} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer not-a-token\r\n` +
        'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"sec\r\n',
    );
    await expect.poll(() => Buffer.concat(chunks).toString()).toMatch(/\r\n\r\n\{.*\}$/s);
    socket.write('ZZZ\r\n');
    await closed;
    const answers = splitAnswers(Buffer.concat(chunks).toString('utf8'));
    expect(answers.map(({ status }) => status)).toEqual([401]);
  });
});

interface Answer {
  status: number;
  body: string;
}

/** Writes the bytes at once and reads every answer until the server closes the connection. */
async function exchange(port: number, bytes: string): Promise<Answer[]> {
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', resolve);
  });
  return splitAnswers(Buffer.concat(chunks).toString('utf8'));
}

/** HTTP/1.1 answers one after another, each with a Content-Length (as every answer here has). */
function splitAnswers(text: string): Answer[] {
  const answers: Answer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) throw new Error(`an answer without its end of headers: ${rest}`);
    const head = rest.slice(0, headEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
    if (Number.isNaN(length)) throw new Error(`an answer without Content-Length: ${head}`);
    const bodyStart = headEnd + 4;
    answers.push({ status: Number(head.split(' ')[1]), body: rest.slice(bodyStart, bodyStart + length) });
    rest = rest.slice(bodyStart + length);
  }
  return answers;
}
