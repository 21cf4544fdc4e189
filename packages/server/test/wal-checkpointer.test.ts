import { readFileSync, renameSync, statSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/store/group-commit.js';
import { openStore, type SqliteStore } from '../src/store/store.js';
import type { CheckpointResult, WalCheckpointer } from '../src/store/wal-checkpointer.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';

/** Short cycles, so a test sees several in well under a second. */
const INTERVAL_MS = 40;

// Checkpoints are SQLite's: PostgreSQL runs its own.
describe.skipIf(testBackend() !== 'sqlite')('WAL checkpoints on a thread of their own (SQLite)', () => {
  let database: TestDatabase;
  let store: SqliteStore;
  let checkpointer: WalCheckpointer;
  let writes: GroupCommit;
  let nextId = 1;

  beforeEach(async () => {
    database = await createTestDatabase();
    const opened = await openStore(database.url, {
      backgroundCheckpoints: { intervalMs: INTERVAL_MS },
    });
    if (opened.dialect !== 'sqlite' || !opened.checkpointer) {
      throw new Error('expected a checkpointing SQLite store');
    }
    store = opened;
    checkpointer = opened.checkpointer;
    writes = new GroupCommit(store.sync);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const autocheckpoint = async () => (await sql.raw('pragma wal_autocheckpoint').execute(store.db)).rows[0];
  const dealerCount = async () =>
    Number((await sql<{ n: number }>`select count(*) as n from dealers`.execute(store.db)).rows[0]?.n);

  /** One write through the group commit: a dealer with a name of ~1 page, so each is a WAL frame. */
  const writeDealer = () => {
    const id = nextId++;
    return writes.run(() =>
      store.sync.run(
        store.db
          .insertInto('dealers')
          .values({ id, name: 'x'.repeat(3000), created_at: '2026-01-01T00:00:00Z' })
          .compile(),
      ),
    );
  };

  /** Writers that keep the group commit busy, batch after batch, for `ms`. */
  const writeSteadily = async (ms: number, writers = 4) => {
    const until = Date.now() + ms;
    let written = 0;
    const writer = async () => {
      while (Date.now() < until) {
        await Promise.all(Array.from({ length: 10 }, writeDealer));
        written += 10;
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    return written;
  };

  type Pass = CheckpointResult & { writesHeld: boolean };
  const passesDuring = async (work: (passesSoFar: Pass[]) => Promise<unknown>) => {
    const passes: Pass[] = [];
    const stop = checkpointer.onPass((result) =>
      passes.push({ ...result, writesHeld: !store.sync.writable() }),
    );
    try {
      await work(passes);
    } finally {
      stop();
    }
    return passes;
  };

  it('starts no thread until the first write: until then SQLite checkpoints as usual', async () => {
    expect(await autocheckpoint()).toEqual({ wal_autocheckpoint: 1000 });
    await writeDealer();
    expect(await autocheckpoint()).toEqual({ wal_autocheckpoint: 0 });
  });

  it('copies every committed page back into the database file, with writes held only at the end', async () => {
    const coversEveryFrame = (pass: Pass | undefined) => pass !== undefined && pass.checkpointed === pass.log;
    const sawBothKinds = (passes: Pass[]) =>
      passes.some((pass) => !pass.writesHeld) && passes.some((pass) => pass.writesHeld);
    const passes = await passesDuring(async (passesSoFar) => {
      // A cycle holds the writes only when some were committed during its passes: on a busy
      // machine 400 ms of writes can pass without one, so they go on until one has (up to 15 s).
      await writeSteadily(400);
      const until = Date.now() + 15_000;
      while (!sawBothKinds(passesSoFar) && Date.now() < until) await writeSteadily(200);
      // A cycle after the writes have stopped covers all of them (polled: on a busy machine the
      // cycles come late, and a fixed wait made this test fail there).
      await expect
        .poll(() => passesSoFar.length > 2 && coversEveryFrame(passesSoFar.at(-1)), { timeout: 10_000 })
        .toBe(true);
    });
    // Some passes ran beside the writes, and the last of each cycle held them.
    expect(sawBothKinds(passes)).toBe(true);
    expect(store.sync.writable()).toBe(true);
  });

  it('keeps the WAL bounded under a steady stream of writes: each cycle lets it start over', async () => {
    // The WAL started over: a later pass found fewer frames in it than an earlier one had.
    const restartedIn = (passes: Pass[]) =>
      passes.some((pass, i) => i > 0 && pass.log < (passes[i - 1]?.log ?? 0));
    let written = 0;
    const passes = await passesDuring(async (passesSoFar) => {
      // Enough writes that a WAL never started over would be large (see its size below), and then
      // more until it has started over, for up to 15 s: on a busy machine the thread's cycles come
      // late, and 1.2 s of writes alone once held too few of them (seen at load 11).
      written = await writeSteadily(1200);
      const until = Date.now() + 15_000;
      while (!restartedIn(passesSoFar) && Date.now() < until) written += await writeSteadily(300);
    });
    expect(restartedIn(passes)).toBe(true);
    // Every write was one frame of 4 KiB or more; the WAL file holds far fewer than all of them.
    const walBytes = statSync(`${database.url.slice('sqlite:'.length)}-wal`).size;
    expect(walBytes).toBeLessThan((written * 4096) / 2);
    // And no write was lost to the holds.
    expect(await dealerCount()).toBe(written);
  });

  it('hands checkpoints back to the connection if the thread stops', async () => {
    await writeDealer();
    // biome-ignore lint/complexity/useLiteralKeys: private on purpose; the test stops the thread
    await checkpointer['worker']?.terminate();
    await expect.poll(autocheckpoint).toEqual({ wal_autocheckpoint: 1000 });
    expect(store.sync.writable()).toBe(true);
    await writeDealer();
    expect(await dealerCount()).toBe(2);
  });
});

describe.skipIf(testBackend() !== 'sqlite')('a checkpointing thread that cannot run (SQLite)', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  // Node refuses a thread whose file is not a file: URL at once (new Worker throws); a missing
  // file fails once the thread has started (an 'error' event). Either way writes must go on.
  const unstartable = [
    ['refused by Node', new URL('https://example.invalid/wal-checkpointer.worker.mjs')],
    ['whose file is missing', new URL('./no-such-wal-checkpointer.worker.mjs', import.meta.url)],
  ] as const;

  it.each(unstartable)(
    'a thread %s fails no write, and SQLite checkpoints as before',
    async (_, workerFile) => {
      const stops: Array<Error | undefined> = [];
      const opened = await openStore(database.url, {
        backgroundCheckpoints: {
          workerFile,
          events: { started: () => {}, stopped: (error) => stops.push(error) },
        },
      });
      if (opened.dialect !== 'sqlite') throw new Error('expected a SQLite store');
      try {
        const writes = new GroupCommit(opened.sync);
        const insert = (id: number) =>
          writes.run(() =>
            opened.sync.run(
              opened.db
                .insertInto('dealers')
                .values({ id, name: `Dealer ${id}`, created_at: 'x' })
                .compile(),
            ),
          );
        await insert(1);
        await expect.poll(() => stops.length).toBe(1);
        expect(stops[0]).toBeInstanceOf(Error);
        await insert(2);
        const autocheckpoint = (await sql.raw('pragma wal_autocheckpoint').execute(opened.db)).rows[0];
        expect(autocheckpoint).toEqual({ wal_autocheckpoint: 1000 });
        expect(stops).toHaveLength(1);
      } finally {
        await opened.close();
      }
    },
  );

  // The thread starts with the first write and opens the file by its path; the server's connection
  // keeps the file it opened, whose WAL a connection to another file would copy into that one.
  it('a database file replaced before the first write: the thread opens none, and the new file is left as it was', async () => {
    const file = database.url.slice('sqlite:'.length);
    const stops: Array<Error | undefined> = [];
    const opened = await openStore(database.url, {
      backgroundCheckpoints: { events: { started: () => {}, stopped: (error) => stops.push(error) } },
    });
    if (opened.dialect !== 'sqlite') throw new Error('expected a SQLite store');
    const replacement = new SqliteDatabase(`${file}.new`);
    replacement.exec("create table restored (note text); insert into restored values ('from a backup')");
    replacement.close();
    const restoredBytes = readFileSync(`${file}.new`);
    renameSync(`${file}.new`, file);
    try {
      const write = new GroupCommit(opened.sync).run(() =>
        opened.sync.run(
          opened.db.insertInto('dealers').values({ id: 1, name: 'One', created_at: 'x' }).compile(),
        ),
      );
      await expect(write).rejects.toMatchObject({ code: 'SQLITE_READONLY_DBMOVED' });
      await expect.poll(() => stops.length).toBe(1);
      expect(stops[0]?.message).toContain('is no longer the database file the server opened');
    } finally {
      await opened.close();
    }
    expect(readFileSync(file).equals(restoredBytes)).toBe(true);
  });
});
