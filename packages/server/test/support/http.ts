import { once } from 'node:events';
import { connect } from 'node:net';
import { TRACE_ID_HEADER } from '@chekt-partner/contract';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One HTTP call to the server under test, body parsed when it is JSON. */
export async function call(
  baseUrl: string,
  path: string,
  init: { method?: string; token?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function patchJson(baseUrl: string, path: string, token: string, body: unknown): Promise<ApiResponse> {
  return call(baseUrl, path, {
    method: 'PATCH',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function errorCodeOf(response: ApiResponse): string | undefined {
  return (response.body as { error?: { code?: string } }).error?.code;
}

export function traceIdOf(response: ApiResponse): string | null {
  return response.headers.get(TRACE_ID_HEADER);
}

/**
 * Polls until the call answers `status` or the deadline passes; resolves with how long it took
 * (Infinity when it never did). Bounded: never waits past `withinMs` plus one call.
 */
export async function msUntilStatus(
  request: () => Promise<ApiResponse>,
  status: number,
  withinMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await request()).status === status) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Number.POSITIVE_INFINITY;
}

export interface AnswerBeforeBody {
  /** The raw answer, as far as it came. */
  received: string;
  /** 'written' when the whole body went; the write's error otherwise (a reset: EPIPE, ECONNRESET). */
  bodyWrite: string;
  /** How long after the body was written the server closed its side. */
  closedAfterMs: number;
}

/**
 * A request sent as a proxy sends it (nginx writes the whole body before it reads an answer):
 * the head, the answer awaited (one the server gives before reading the body, a 413), then the
 * whole body. Half-open, as a proxy is: the server's FIN does not end the client's own side.
 */
export async function bodyAfterItsAnswer(
  baseUrl: string,
  head: string,
  body: Buffer,
): Promise<AnswerBeforeBody> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  const failed = new Promise<string>((resolve) => socket.on('error', (error) => resolve(String(error))));
  const ended = once(socket, 'end');
  try {
    socket.write(head);
    const answered = Date.now();
    while (!/^HTTP\/1\.1 \d{3} [\s\S]*\r\n\r\n/.test(received)) {
      if (Date.now() - answered > 5000)
        throw new Error(`no answer before the body: ${JSON.stringify(received)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const written = new Promise<unknown>((resolve) => socket.write(body, resolve));
    const bodyWrite = await Promise.race([written.then((error) => String(error ?? 'written')), failed]);
    const whole = Date.now();
    await Promise.race([ended, failed]);
    return { received, bodyWrite, closedAfterMs: Date.now() - whole };
  } finally {
    socket.destroy();
  }
}
