// @ts-check
// The WAL checkpointer thread (see wal-checkpointer.ts): on each request from the event loop it
// copies committed pages from the write-ahead log back into the database file and fsyncs it, so
// that this work, and above all the fsync's wait, never stalls the event loop.
//
// Plain JavaScript, on purpose: a worker thread is started from a file Node runs as it is, and
// this same file serves the TypeScript sources (tests), tsc's output and the bundle.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('wal-checkpointer.worker.mjs runs only as a worker thread');
const port = parentPort;
const { file, identity, pragmas } =
  /** @type {{ file: string; identity: { dev: bigint; ino: bigint }; pragmas: string[] }} */ (workerData);

// The thread starts with the first write, maybe long after the server opened the file. Should the
// path name another file by then (one put in its place while the server ran), a connection to it
// would copy the server's WAL into it, corrupting it, if only when it closes: so none is opened,
// and the server's own connection checkpoints instead (the thread's failure hands them back).
const found = statSync(file, { bigint: true, throwIfNoEntry: false });
if (found?.dev !== identity.dev || found?.ino !== identity.ino) {
  throw new Error(`${file} is no longer the database file the server opened: no checkpoints into it`);
}

const connection = new Database(file);
for (const pragma of pragmas) connection.pragma(pragma);
// PASSIVE: copy every frame no reader still needs, wait for no one, block no writer.
const checkpoint = connection.prepare('PRAGMA wal_checkpoint(PASSIVE)');
port.postMessage({ ready: true });

port.on('message', (message) => {
  if (message === 'close') {
    connection.close();
    port.close();
    return;
  }
  try {
    const result = /** @type {{ busy: number; log: number; checkpointed: number }} */ (checkpoint.get());
    port.postMessage({ log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
