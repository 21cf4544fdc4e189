import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A fresh, empty database for one test file, on the backend this test run is for
 * (TEST_BACKEND=sqlite|postgres, set per Vitest project): a new SQLite file in a temp folder, or
 * a new database on the PostgreSQL server at TEST_POSTGRES_URL. Files never see each other's data.
 */
export interface TestDatabase {
  url: string;
  backend: Backend;
  drop(): Promise<void>;
}

export type Backend = 'sqlite' | 'postgres';

export function testBackend(): Backend {
  return process.env.TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';
}

export async function createTestDatabase(backend: Backend = testBackend()): Promise<TestDatabase> {
  return backend === 'postgres' ? createPostgresDatabase(postgresAdminUrl()) : createSqliteDatabase();
}

function createSqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'chekt-partner-test-'));
  return {
    url: `sqlite:${join(dir, 'test.db')}`,
    backend: 'sqlite',
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresAdminUrl(): string {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url)
    throw new Error('TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  return url;
}

/** Creates a uniquely named database next to the one the admin URL names, and drops it after. */
export async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `chekt_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    backend: 'postgres',
    drop: () =>
      withAdmin(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`)).then(
        () => {},
      ),
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * ALTER DATABASE ... SET, as an operator may have set a default for other work on the database:
 * every session opened from then on starts with it.
 */
export async function setDatabaseDefault(databaseUrl: string, setting: string, value: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    await admin.query(`alter database ${name} set ${setting} = ${value}`);
  } finally {
    await admin.end();
  }
}
