import {
  DEFAULT_MIGRATION_TABLE,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from 'kysely';
import type { Dialect } from './store.js';

/**
 * Versioned migrations, applied in name order on every start. Never edit one that has shipped:
 * add the next. Written with Kysely's schema builder so both backends run the same steps; the
 * only backend-specific detail is how an auto-incrementing key is spelled.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('dealers')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('sites')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('dealer_id', 'integer', (c) => c.notNull().references('dealers.id'))
          .addColumn('external_site_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('security_type', 'integer', (c) => c.notNull().check(sql`security_type between 1 and 4`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('sites_dealer_external_unique', ['dealer_id', 'external_site_id'])
          .execute();
        // The hot lookups go by site id (and dealer): the primary key serves them, no index needed.

        await db.schema
          .createTable('clients')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('all_dealers', 'integer', (c) => c.notNull().check(sql`all_dealers in (0, 1)`))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();

        await db.schema
          .createTable('client_dealer_grants')
          .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
          .addColumn('dealer_id', 'integer', (c) => c.notNull().references('dealers.id'))
          .addPrimaryKeyConstraint('client_dealer_grants_pk', ['client_id', 'dealer_id'])
          .execute();

        await db.schema
          .createTable('signing_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('slot', 'text', (c) => c.unique())
          .addColumn('alg', 'text', (c) => c.notNull())
          .addColumn('private_jwk', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        let history = db.schema.createTable('arming_history');
        history =
          dialect === 'postgres'
            ? history.addColumn('id', 'bigserial', (c) => c.primaryKey())
            : history.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
        await history
          .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id'))
          .addColumn('dealer_id', 'integer', (c) => c.notNull())
          .addColumn('from_type', 'integer', (c) => c.notNull())
          .addColumn('to_type', 'integer', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('trace_id', 'text', (c) => c.notNull())
          .addColumn('changed_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('arming_history_site_idx')
          .on('arming_history')
          .columns(['site_id', 'id'])
          .execute();
      },
    },

    // Each history row links to its site's previous one, and the site to its latest, so a site's
    // history is a chain read from its head. This replaces the (site_id, id) index, whose random
    // insert on every PATCH cost about a third of the PATCH (SQLite, 10,000 sites: 6,300 against
    // 9,300 req/s, and falling as the index outgrew the page cache).
    '0002_history_chain': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('arming_history').addColumn('previous_id', 'bigint').execute();
        await db.schema.alterTable('sites').addColumn('last_history_id', 'bigint').execute();
        // Rows written before this migration are linked while the old index still serves the lookups.
        await sql`
          update arming_history set previous_id = (
            select max(earlier.id) from arming_history earlier
            where earlier.site_id = arming_history.site_id and earlier.id < arming_history.id
          )`.execute(db);
        await sql`
          update sites set last_history_id = (
            select max(history.id) from arming_history history where history.site_id = sites.id
          )`.execute(db);
        await db.schema.dropIndex('arming_history_site_idx').execute();
      },
    },

    // A client enabled again after a revocation (`serve --demo` does it) keeps the time it was
    // revoked, so the tokens that revocation stopped do not work again.
    '0003_client_tokens_valid_from': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('clients').addColumn('tokens_valid_from', 'text').execute();
      },
    },
  };
}

/** The migrations for Kysely's Migrator (exported so a test can stop at an older version). */
export class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * Whether the migrator has something to do (reads only): a migration this version knows that the
 * database lacks, or one the database has that this version does not know (a newer version
 * migrated it), which migrateToLatest refuses ("corrupted migrations: ... missing").
 */
export async function migratorHasWork(db: Kysely<unknown>, dialect: Dialect): Promise<boolean> {
  const migrator = new Migrator({ db, provider: new InCodeMigrations(dialect) });
  const known = await migrator.getMigrations();
  if (known.some((migration) => migration.executedAt === undefined)) return true;
  const { rows } = await sql<{ executed: number }>`
    select count(*) as executed from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
  return Number(rows[0]?.executed) > known.length;
}

/**
 * Brings the schema up to date. Kysely's migrator takes a lock (an advisory lock on PostgreSQL),
 * so instances starting at the same moment apply each migration exactly once.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeMigrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    const cause = error instanceof Error ? error : new Error(String(error));
    // When no migration ran (the database could not be reached, or a newer version migrated it),
    // the cause alone: "migration failed" would send an operator looking for a broken migration.
    if (!failed) throw cause;
    throw new Error(`database migration ${failed.migrationName} failed: ${cause.message}`, { cause });
  }
}
