import type { Database as SqliteConnection, Statement } from 'better-sqlite3';

/** Distinct SQL texts this server runs are a few dozen; the bound only guards against a leak. */
const MAX_STATEMENTS = 500;

export interface StatementCache {
  prepare(sql: string): Statement;
  close(): void;
}

/**
 * The connection as Kysely's SQLite driver sees it (its SqliteDatabase), but remembering prepared
 * statements by their SQL text. Kysely prepares every query anew, and preparing (parsing and
 * planning the SQL) cost more than running the primary-key lookup behind each GET.
 */
export function cachingStatements(
  connection: SqliteConnection,
  configure: (statement: Statement) => void = () => {},
): StatementCache {
  const statements = new Map<string, Statement>();
  return {
    close: () => connection.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      // A statement still being iterated (a streamed query) cannot be run again: prepare another.
      if (cached && !cached.busy) return cached;
      const statement = connection.prepare(sql);
      configure(statement);
      if (!cached) {
        if (statements.size >= MAX_STATEMENTS) statements.clear();
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
