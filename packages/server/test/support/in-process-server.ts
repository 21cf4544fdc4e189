import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** The real app on a real port (127.0.0.1, port 0), in this process: fast to start, easy to inspect. */
export interface InProcessServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startInProcessServer(
  options: { tokenTtlSeconds?: number; issuerUrl?: string; database?: TestDatabase } = {},
): Promise<InProcessServer> {
  const database = options.database ?? (await createTestDatabase());
  const store = await openStore(database.url);
  const app = await buildApp({
    config: { tokenTtlSeconds: options.tokenTtlSeconds ?? 3600, issuerUrl: options.issuerUrl },
    store,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    app,
    store,
    database,
    close: async () => {
      await app.close();
      await store.close();
      if (!options.database) await database.drop();
    },
  };
}
