import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the scripted server answers one API request. */
export type ScriptedAnswer =
  | {
      status: number;
      headers?: Record<string, string>;
      body?: unknown;
      /** Whitespace sent before the JSON body: valid JSON still, but as large as a proxy's page can be. */
      padBytes?: number;
    }
  /** Cut the connection without an answer: a network failure as the client sees it. */
  | 'drop-connection'
  /** Never answer: a stuck server. */
  | 'never-answer';

export interface ScriptedRequest {
  method: string;
  path: string;
  traceId: string | undefined;
  authorization: string | undefined;
  atMs: number;
}

/**
 * A small real HTTP server on 127.0.0.1:0 that gives the answers our server has no reason to give
 * (429, 503 with Retry-After, a dropped connection, silence). API requests get the scripted
 * answers in order, then the last one again; the token endpoint grants a token unless scripted.
 */
export interface ScriptedServer {
  url: string;
  requests: ScriptedRequest[];
  apiRequests(): ScriptedRequest[];
  tokenRequests(): ScriptedRequest[];
  close(): Promise<void>;
}

export const ARMING_SETTINGS = {
  site_id: 1,
  external_site_id: '1234567890',
  name: 'Gangnam Headquarters',
  security_type: 1,
};

export const OK: ScriptedAnswer = { status: 200, body: ARMING_SETTINGS };

export const TOKEN_GRANT: ScriptedAnswer = {
  status: 200,
  body: { access_token: 'scripted-token', token_type: 'Bearer', expires_in: 3600 },
};

/** `tokenScript` answers token requests in order, then every later one gets TOKEN_GRANT. */
export async function startScriptedServer(
  script: ScriptedAnswer[],
  tokenScript: ScriptedAnswer[] = [],
): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const stuck: ServerResponse[] = [];
  let next = 0;
  let nextToken = 0;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const traceHeader = request.headers['x-partner-trace-id'];
    requests.push({
      method: request.method ?? '',
      path,
      traceId: typeof traceHeader === 'string' ? traceHeader : undefined,
      authorization: request.headers.authorization,
      atMs: Date.now(),
    });
    request.resume();
    const answer =
      path === '/oauth/token'
        ? (tokenScript[nextToken++] ?? TOKEN_GRANT)
        : (script[Math.min(next++, script.length - 1)] ?? OK);
    if (answer === 'drop-connection') return request.socket.destroy();
    if (answer === 'never-answer') return void stuck.push(response);
    const body = answer.body ?? {
      error: { code: `http_${answer.status}`, message: 'scripted', trace_id: 't' },
    };
    json(response, answer.status, body, answer.headers, answer.padBytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    apiRequests: () => requests.filter((request) => request.path !== '/oauth/token'),
    tokenRequests: () => requests.filter((request) => request.path === '/oauth/token'),
    close: () =>
      new Promise((resolve) => {
        for (const response of stuck) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  padBytes = 0,
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  if (padBytes > 0) response.write(' '.repeat(padBytes));
  response.end(JSON.stringify(body));
}
