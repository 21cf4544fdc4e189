import {
  createPostgresDatabase,
  postgresAdminUrl,
  setDatabaseDefault,
  type TestDatabase,
} from './database.js';
import { fetchToken, provisionDealer } from './provision.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

export interface ProvisionedPostgres {
  database: TestDatabase;
  server: ServerProcess;
  /** A token of the dealer's client, with every scope. */
  token: string;
  /** The dealer's sites, in the order their external ids were given. */
  siteIds: number[];
  /** Stops the server, then drops the database. */
  stop(): Promise<void>;
}

/**
 * A fresh PostgreSQL database with one dealer, its sites and a client granted it; the database
 * defaults an operator may have set (ALTER DATABASE ... SET), before the server process starts on
 * it with `env`; and a token for that client.
 */
export async function serveProvisionedPostgres(options: {
  dealerId: number;
  dealerName: string;
  externalSiteIds: string[];
  databaseDefaults?: Record<string, string>;
  env?: Record<string, string>;
}): Promise<ProvisionedPostgres> {
  const database = await createPostgresDatabase(postgresAdminUrl());
  const { client, siteIds } = await provisionDealer(
    database.url,
    options.dealerId,
    options.dealerName,
    options.externalSiteIds,
  );
  for (const [setting, value] of Object.entries(options.databaseDefaults ?? {}))
    await setDatabaseDefault(database.url, setting, value);
  const server = await startServerProcess({ db: database.url, env: options.env });
  const token = await fetchToken(server.url, client);
  return {
    database,
    server,
    token,
    siteIds,
    stop: async () => {
      await server.stop();
      await database.drop();
    },
  };
}
