import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { logOutput } from '../../src/logging/log-output.js';
import { createLogging } from '../../src/logging/logger.js';
import { openStore } from '../../src/store/store.js';
import { createTestDatabase } from './database.js';

/** The app with production logging (level info) written to a file the test reads back. */
export interface LoggedApp {
  app: FastifyInstance;
  /** The log so far, as text, with what is still batched written out first. */
  logText(): string;
  /** The log lines of one request, parsed. */
  linesOf(traceId: string): Record<string, unknown>[];
  close(): Promise<void>;
}

export async function buildLoggedApp(options: { requestTimeoutMs?: number } = {}): Promise<LoggedApp> {
  const dir = mkdtempSync(join(tmpdir(), 'chekt-logged-app-'));
  const file = join(dir, 'server.log');
  const database = await createTestDatabase();
  const store = await openStore(database.url);
  const logging = createLogging('info', logOutput(file));
  const app = await buildApp({
    config: { tokenTtlSeconds: 3600, issuerUrl: undefined },
    store,
    logging,
    ...options,
  });
  const logText = () => {
    logging.logger.flush();
    return readFileSync(file, 'utf8');
  };
  return {
    app,
    logText,
    linesOf: (traceId) =>
      logText()
        .split('\n')
        .filter(Boolean)
        .map((text) => JSON.parse(text))
        .filter((line) => line.trace_id === traceId),
    close: async () => {
      await app.close();
      await store.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
