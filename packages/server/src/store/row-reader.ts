import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import { cachingStatements } from './statement-cache.js';

/** Reads rows as objects, like better-sqlite3's get and all, only faster. */
export interface RowReader {
  first<R>(sql: string, parameters: readonly unknown[]): R | undefined;
  all<R>(sql: string, parameters: readonly unknown[]): R[];
}

/**
 * Statements run in raw mode (each row an array of values), and each row object is then built in
 * JavaScript. better-sqlite3 builds row objects through V8's C++ API, one property at a time;
 * built in JavaScript, every row of a statement gets the same shape at once. Measured on a batch
 * of 43 five-column site rows: 1.06 -> 0.76 µs a row; on a GET, ~0.9 of ~18 CPU µs.
 */
export function rowReader(connection: SqliteConnection): RowReader {
  // Separate from Kysely's statements: raw mode is a setting of the statement object.
  const statements = cachingStatements(connection, (statement) => statement.raw(true));
  const columnsOf = new WeakMap<Statement, readonly string[]>();
  const prepare = (sql: string) => {
    const statement = statements.prepare(sql);
    let columns = columnsOf.get(statement);
    if (!columns) {
      columns = statement.columns().map((column) => column.name);
      columnsOf.set(statement, columns);
    }
    return { statement, columns };
  };
  return {
    first<R>(sql: string, parameters: readonly unknown[]) {
      const { statement, columns } = prepare(sql);
      const values = statement.get(parameters) as unknown[] | undefined;
      return values === undefined ? undefined : (rowOf(columns, values) as R);
    },
    all<R>(sql: string, parameters: readonly unknown[]) {
      const { statement, columns } = prepare(sql);
      const rows = statement.all(parameters) as unknown[][];
      return rows.map((values) => rowOf(columns, values) as R);
    },
  };
}

function rowOf(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i += 1) row[columns[i] as string] = values[i];
  return row;
}
