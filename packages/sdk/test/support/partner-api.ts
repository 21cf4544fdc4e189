import type { IncomingMessage, Server } from 'node:http';
import { TRACE_ID_HEADER } from '@chekt-partner/contract';
import {
  type InProcessServer,
  startInProcessServer,
} from '../../../server/test/support/in-process-server.js';
import { addClient, seedExample, type TestClient } from '../../../server/test/support/provision.js';

/** One request as the server received it. */
export interface SeenRequest {
  method: string;
  path: string;
  traceId: string | undefined;
}

/**
 * Every request a real server receives, recorded at its socket ('request' fires before Fastify
 * routes it), so counts are the server's, not the client's.
 */
export class RequestLog {
  readonly seen: SeenRequest[] = [];

  constructor(server: Server) {
    server.on('request', (request: IncomingMessage) => {
      const header = request.headers[TRACE_ID_HEADER];
      this.seen.push({
        method: request.method ?? '',
        path: new URL(request.url ?? '/', 'http://x').pathname,
        traceId: typeof header === 'string' ? header : undefined,
      });
    });
  }

  tokenRequests(): number {
    return this.seen.filter((request) => request.path === '/oauth/token').length;
  }

  apiRequests(): SeenRequest[] {
    return this.seen.filter((request) => request.path.startsWith('/partner/v1/'));
  }
}

/** The real API, seeded with the seed document's example and one client granted dealer 12345. */
export interface PartnerApi {
  server: InProcessServer;
  url: string;
  client: TestClient;
  log: RequestLog;
  close(): Promise<void>;
}

export const DEALER_ID = 12345;
export const SITE_ID = 1;
export const SEED_SITE = {
  site_id: 1,
  external_site_id: '1234567890',
  name: 'Gangnam Headquarters',
  security_type: 1,
} as const;

export async function startPartnerApi(options: { tokenTtlSeconds?: number } = {}): Promise<PartnerApi> {
  const server = await startInProcessServer(options);
  await seedExample(server.store);
  const client = await addClient(server.store, [DEALER_ID]);
  return {
    server,
    url: server.url,
    client,
    log: new RequestLog(server.app.server),
    close: () => server.close(),
  };
}
