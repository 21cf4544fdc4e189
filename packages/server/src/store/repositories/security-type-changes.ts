import type { SecurityType } from '@chekt-partner/contract';
import { GroupCommit } from '../group-commit.js';
import type { Store } from '../store.js';
import { changesOnPostgres } from './security-type-changes-on-postgres.js';
import { changeOnSqlite } from './security-type-changes-on-sqlite.js';
import type { SiteSummary } from './sites.js';

/** One accepted change of a site's security type, and who asked for it. */
export interface SecurityTypeChange {
  dealerId: number;
  siteId: number;
  securityType: SecurityType;
  clientId: string;
  traceId: string;
  changedAt: string;
}

/** Applies security-type changes durably: a resolved change has been committed. */
export interface SecurityTypeChanges {
  /**
   * Sets the site's security type and writes its history row (from, to, who, when) atomically.
   * Resolves with the site and its new type once committed, or with undefined when the dealer has
   * no such site (then nothing is written). The "from" is the value the row holds at the moment
   * of the write, so each site's history is an unbroken chain even under concurrent writers.
   */
  apply(change: SecurityTypeChange): Promise<SiteSummary | undefined>;
}

/**
 * Both backends commit the changes of one event-loop turn together. SQLite: group commit, one
 * transaction and one fsync (GroupCommit, around changeOnSqlite). PostgreSQL: one statement for
 * the whole turn, so one round trip and one WAL flush (changesOnPostgres).
 */
export function securityTypeChangesFor(store: Store): SecurityTypeChanges {
  if (store.dialect === 'postgres') return changesOnPostgres(store);
  const writes = new GroupCommit(store.sync);
  return { apply: (change) => writes.run(() => changeOnSqlite(store, change)) };
}
