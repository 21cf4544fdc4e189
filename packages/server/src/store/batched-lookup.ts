import DataLoader from 'dataloader';
import { type CompiledQuery, sql } from 'kysely';
import type { Store } from './store.js';

/** The query that fetches the rows of many ids at once, one per backend. */
export interface RowsByIds<Id, Row> {
  /** PostgreSQL binds the ids as one array (`id = any($1)`). */
  postgres(store: Store, ids: Id[]): CompiledQuery<Row>;
  /** SQLite has no array type: the ids as one JSON array (`id in (select value from json_each(?))`). */
  sqlite(store: Store, idsJson: string): CompiledQuery<Row>;
}

/** The WHERE of a PostgreSQL `RowsByIds` query. */
export function idInArray(ids: unknown) {
  return sql<boolean>`id = any(${ids})`;
}

/** The WHERE of a SQLite `RowsByIds` query. */
export function idInJsonArray(idsJson: unknown) {
  return sql<boolean>`id in (select value from json_each(${idsJson}))`;
}

const MAX_IDS_PER_QUERY = 500;

/**
 * Lookups by id that arrive in one turn of the event loop share one query (DataLoader, its batch
 * run after the turn's I/O): on PostgreSQL a round trip per request cost about as much CPU as the
 * rest of a GET, on SQLite each statement pays for a read transaction (~7 µs), and on both the
 * requests of a turn then go through each step together, which keeps the CPU's caches warm.
 * No cache: each lookup reads the latest committed row.
 */
export function batchedLookup<Id, Row>(
  query: RowsByIds<Id, Row>,
  idOf: (row: Row) => Id,
): (store: Store, id: Id) => Promise<Row | undefined> {
  const loaders = new WeakMap<Store, DataLoader<Id, Row | undefined>>();
  const loaderOf = (store: Store) => {
    let loader = loaders.get(store);
    if (!loader) {
      loader = new DataLoader(
        async (ids) => {
          const compiled =
            store.dialect === 'postgres'
              ? query.postgres(store, [...ids])
              : query.sqlite(store, JSON.stringify(ids));
          const rows = await store.queryAll(compiled);
          const byId = new Map(rows.map((row) => [idOf(row), row]));
          return ids.map((id) => byId.get(id));
        },
        { cache: false, maxBatchSize: MAX_IDS_PER_QUERY, batchScheduleFn: (run) => setImmediate(run) },
      );
      loaders.set(store, loader);
    }
    return loader;
  };
  return (store, id) => loaderOf(store).load(id);
}
