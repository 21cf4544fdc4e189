// @ts-check
// The WAL checkpointer thread (see wal-checkpointer.ts): on each request from the event loop it
// copies committed pages from the write-ahead log back into the database file and fsyncs it, so
// that this work, and above all the fsync's wait, never stalls the event loop.
//
// Plain JavaScript, on purpose: a worker thread is started from a file Node runs as it is, and
// this same file serves the TypeScript sources (tests), tsc's output and the bundle.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('wal-checkpointer.worker.mjs runs only as a worker thread');
const port = parentPort;
const { file, pragmas } = /** @type {{ file: string; pragmas: string[] }} */ (workerData);

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
