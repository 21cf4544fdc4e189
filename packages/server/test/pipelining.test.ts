import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { armingSettingsPath } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArmingHistory } from '../src/store/repositories/arming-history.js';
import { startExampleServer } from './support/example-server.js';
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
    const count = 50_000;
    let seen = 0;
    let finished = 0;
    const countRequest = (_request: IncomingMessage, response: ServerResponse) => {
      seen += 1;
      response.once('finish', () => {
        finished += 1;
      });
    };
    server.app.server.on('request', countRequest);
    const socket = connect(port, '127.0.0.1');
    try {
      socket.pause(); // reads nothing: the answers pile up in the kernel, then in the server
      socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`.repeat(count));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // The answers that fit in the network's buffers have gone; of the requests read, the ones
      // not yet answered are what the server holds. Node reads a connection in chunks of up to
      // 64 KiB (~1,800 of these requests); without the guard it read all 50,000 at once and kept
      // every one it could not answer waiting in memory.
      expect(seen - finished).toBeLessThan(5000);
      expect(seen).toBeLessThan(count);
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
      await expect.poll(() => answered, { timeout: 20_000, interval: 100 }).toBe(count);
    } finally {
      socket.destroy();
      server.app.server.off('request', countRequest);
    }
  }, 40_000);

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
