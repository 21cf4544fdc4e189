import type { SecurityType } from '@chekt-partner/contract';
import type { Kysely } from 'kysely';
import { reusableQuery } from '../reusable-query.js';
import type { Database } from '../schema.js';
import type { SqliteStore } from '../store.js';
import { insertHistory } from './arming-history.js';
import type { SecurityTypeChange } from './security-type-changes.js';
import { type SiteSummary, siteForChange } from './sites.js';

/** What the update of a site's row needs: its new type, when, and the head of its history. */
interface SiteUpdate {
  siteId: number;
  securityType: SecurityType;
  changedAt: string;
  historyId: number;
}

// SQLite: a batch runs synchronously inside its transaction (group commit), so a plain read,
// insert and update see and leave a consistent row; nothing else runs in between.
const updateSite = reusableQuery(
  ['siteId', 'securityType', 'changedAt', 'historyId'],
  (db: Kysely<Database>, p: SiteUpdate) =>
    db
      .updateTable('sites')
      .set({ security_type: p.securityType, updated_at: p.changedAt, last_history_id: p.historyId })
      .where('id', '=', p.siteId),
);

/** One change, inside the group commit's transaction: read the site, record the change, update it. */
export function changeOnSqlite(store: SqliteStore, change: SecurityTypeChange): SiteSummary | undefined {
  const current = store.sync.first(siteForChange(store.db, change));
  if (!current) return undefined;
  const history = store.sync.first(
    insertHistory(store.db, {
      site_id: change.siteId,
      dealer_id: change.dealerId,
      from_type: current.security_type,
      to_type: change.securityType,
      client_id: change.clientId,
      trace_id: change.traceId,
      changed_at: change.changedAt,
      previous_id: current.last_history_id,
    }),
  );
  if (!history) throw new Error('the history insert returned no id');
  // Named fields, not `{ ...change, historyId }`: Node 20's V8 left every copy made by a spread
  // with a field added in its old generation (~270 bytes a PATCH, garbage until a full GC, ~12 MB
  // of RSS after the bench's PATCH run; bench/FINDINGS.md, "Memory").
  store.sync.run(
    updateSite(store.db, {
      siteId: change.siteId,
      securityType: change.securityType,
      changedAt: change.changedAt,
      historyId: history.id,
    }),
  );
  return {
    id: current.id,
    external_site_id: current.external_site_id,
    name: current.name,
    security_type: change.securityType,
  };
}
