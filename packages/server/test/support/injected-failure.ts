import { type Kysely, sql } from 'kysely';
import type { Backend } from './database.js';

/**
 * A trigger that fails every insert or update of a table, for a test to make real production code
 * fail halfway (as a crash or a full disk would) without any back door in that code.
 */
export async function failEvery(
  db: Kysely<unknown>,
  backend: Backend,
  event: 'insert' | 'update',
  table: string,
): Promise<void> {
  if (backend === 'sqlite') {
    await sql
      .raw(
        `create trigger injected_failure before ${event} on ${table} begin select raise(abort, 'injected failure'); end`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `create function injected_failure() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger injected_failure before ${event} on ${table} for each row execute function injected_failure()`,
    )
    .execute(db);
}

export async function stopFailing(db: Kysely<unknown>, backend: Backend, table: string): Promise<void> {
  if (backend === 'sqlite') {
    await sql.raw('drop trigger injected_failure').execute(db);
    return;
  }
  await sql.raw(`drop trigger injected_failure on ${table}`).execute(db);
  await sql.raw('drop function injected_failure()').execute(db);
}
