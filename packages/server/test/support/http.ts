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
