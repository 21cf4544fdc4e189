// @ts-check
// The WAL checkpointer thread (see wal-checkpointer.ts): it copies committed pages from the
// write-ahead log back into the database file, so that work never stalls the event loop.
//
// Plain JavaScript, on purpose: a worker thread is started from a file Node runs as it is, and
// this same file serves the TypeScript sources (tests), tsc's output and the bundle.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('wal-checkpointer.worker.mjs runs only as a worker thread');
const port = parentPort;
const { file, pragmas, intervalMs } = /** @type {{ file: string; pragmas: string[]; intervalMs: number }} */ (
  workerData
);

const connection = new Database(file);
for (const pragma of pragmas) connection.pragma(pragma);
// PASSIVE: copy what no reader still needs, wait for no one, block no writer.
const checkpoint = connection.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  const result = /** @type {{ busy: number; log: number; checkpointed: number }} */ (checkpoint.get());
  port.postMessage({ checkpointed: result.checkpointed, log: result.log });
}, intervalMs);

port.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  connection.close();
  port.close();
});
