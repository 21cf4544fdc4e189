import { Worker } from 'node:worker_threads';
import type { Database as SqliteConnection } from 'better-sqlite3';
import type { FileIdentity } from './attached-files.js';

/**
 * How often the thread brings the database file up to date with the WAL, so the WAL holds about
 * this much of the writes at most. Each cycle ends with one short hold of the writes (below):
 * measured with 1,000,000 sites, cycles of 100 ms gained PATCH +6% over SQLite's own checkpoints,
 * of 500 ms +14%, of 1 s +24% (bench/FINDINGS.md).
 */
const CYCLE_INTERVAL_MS = 1000;

/** At most this many passes run beside the writes; the one after them holds the writes back. */
const PASSES_BESIDE_WRITES = 3;

/** Frames still to copy that are few enough for the last pass to copy with writes held back. */
const HOLD_BELOW_FRAMES = 256;

/** SQLite's own default: a checkpoint by the committing connection once the WAL has 1000 pages. */
const AUTOCHECKPOINT_PAGES = 1000;

/** One pass's result, as `PRAGMA wal_checkpoint` reports it: frames in the WAL, and copied. */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
}

type WorkerMessage = { ready: true } | CheckpointResult | { error: string };

/** What the store's owner hears of the thread: the server logs both. */
export interface CheckpointerEvents {
  /** The thread has opened its connection and runs the checkpoints from now on. */
  started(): void;
  /** The thread stopped unasked (it should not): commits checkpoint by themselves again. */
  stopped(error: Error | undefined): void;
}

/** How a store runs its checkpointer: the server passes its events; tests shorten the interval. */
export interface CheckpointerOptions {
  /** CYCLE_INTERVAL_MS unless set. */
  intervalMs?: number;
  events?: CheckpointerEvents;
  /** The thread's file: WORKER_FILE unless set (tests name one that cannot start). */
  workerFile?: URL;
}

const SILENT: CheckpointerEvents = { started: () => {}, stopped: () => {} };

// Beside this module in the sources and tsc's output; beside the bundle in the production build.
const WORKER_FILE = new URL('./wal-checkpointer.worker.mjs', import.meta.url);

/**
 * Checkpoints the WAL on a thread of its own. By default SQLite checkpoints inside a COMMIT once
 * the WAL holds 1000 pages: the event loop then copies them into the database file and waits for
 * its fsync (~13 ms with 1,000,000 sites, each page a different one), while no request is served.
 *
 * Here the event loop's connection never checkpoints (wal_autocheckpoint=0). Every
 * CYCLE_INTERVAL_MS, if anything was written, the thread runs passes (PASSIVE checkpoints: they
 * block no writer and no reader) while writes go on, each copying what was committed during the
 * one before, until few frames are left. The last pass runs with the group commit's writes held
 * back, so it copies everything: SQLite starts a WAL over only once all of it is in the database
 * file (and fsynced), and passes beside a steady writer never catch up with it (the WAL would
 * grow without bound). Reads go on meanwhile. A held write waits for one pass over a few hundred
 * frames: mostly the fsync, whose wait hardly depends on how much was copied, so fewer, larger
 * cycles stall less.
 *
 * The thread starts on the first write, so a server that only reads never starts it. If it stops
 * (it should not), the connection goes back to checkpointing by itself.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private exited: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private cycling = false;
  private holding = false;
  /** Write transactions begun on the connection, and how many of them a finished cycle covered. */
  private writes = 0;
  private writesCheckpointed = 0;
  private lastCheckpointed = 0;
  private closed = false;
  private unstartable = false;
  private pendingPass: { resolve(result: CheckpointResult): void; reject(error: Error): void } | undefined;
  private readonly writableAgain: Array<() => void> = [];
  private readonly listeners = new Set<(result: CheckpointResult) => void>();

  private readonly intervalMs: number;
  private readonly events: CheckpointerEvents;
  private readonly workerFile: URL;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly file: string,
    /** The file the connection opened: the thread opens `file` only if it still names that one. */
    private readonly identity: FileIdentity,
    private readonly pragmas: readonly string[],
    options: CheckpointerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? CYCLE_INTERVAL_MS;
    this.events = options.events ?? SILENT;
    this.workerFile = options.workerFile ?? WORKER_FILE;
  }

  /**
   * Starts the thread, unless it runs already, has stopped, or has been closed. A thread that
   * cannot start (Node refusing the options, say) must not fail the write that asked for it:
   * SQLite's own checkpoints simply stay on.
   */
  private start(): void {
    if (this.worker || this.closed || this.unstartable) return;
    let worker: Worker;
    try {
      const workerData = { file: this.file, identity: this.identity, pragmas: this.pragmas };
      worker = new Worker(this.workerFile, { workerData });
    } catch (error) {
      this.unstartable = true;
      this.events.stopped(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // The thread never keeps the process alive; closing the store ends it.
    worker.unref();
    worker.on('message', (message: WorkerMessage) => {
      if ('ready' in message) this.events.started();
      else this.settlePass(message);
    });
    // An error is followed by 'exit'; either way the connection takes checkpoints back. (Not
    // events.once for the exit: that rejects on an 'error' event, and nothing would catch it.)
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = error;
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        this.takeBack(failure);
        resolve(undefined);
      }),
    );
    this.worker = worker;
    this.connection.pragma('wal_autocheckpoint = 0');
    this.timer = setInterval(() => this.cycle(), this.intervalMs);
    this.timer.unref();
  }

  /** Counts a write transaction, and starts the thread on the first. Cheap: called on every write. */
  noteWrite(): void {
    this.writes += 1;
    this.start();
  }

  /** False while the last pass of a cycle runs: the group commit then waits (whenWritable). */
  writable(): boolean {
    return !this.holding;
  }

  /** Calls `callback` once writes may go on: at once if they may now. */
  whenWritable(callback: () => void): void {
    if (this.holding) this.writableAgain.push(callback);
    else callback();
  }

  /** Calls `listener` after each pass (tests watch the thread's work this way). */
  onPass(listener: (result: CheckpointResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the thread after its current pass, if any. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (!this.worker) return;
    // Until the thread has closed its connection, the process must not end under it.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }

  private async cycle(): Promise<void> {
    if (this.cycling || this.writes === this.writesCheckpointed) return;
    this.cycling = true;
    try {
      for (let passes = 1; ; passes += 1) {
        const writesBefore = this.writes;
        const copied = await this.pass();
        // Nothing committed during the pass: it copied everything, and the next write starts the
        // WAL over. (A pass reports the frames there were when it began, so its numbers cannot tell.)
        if (this.writes === writesBefore) {
          this.writesCheckpointed = writesBefore;
          return;
        }
        if (copied <= HOLD_BELOW_FRAMES || passes === PASSES_BESIDE_WRITES) break;
      }
      this.holding = true;
      const writesBefore = this.writes;
      await this.pass();
      this.writesCheckpointed = writesBefore;
    } catch {
      // A pass failed (another process was checkpointing, say): the next cycle tries again. Or the
      // thread stopped, and takeBack has handed checkpoints back to the connection.
    } finally {
      this.releaseWrites();
      this.cycling = false;
    }
  }

  /** One pass; resolves with the number of frames it copied. */
  private async pass(): Promise<number> {
    const worker = this.worker;
    if (!worker || this.closed) throw new Error('the checkpointer is closed');
    const result = await new Promise<CheckpointResult>((resolve, reject) => {
      this.pendingPass = { resolve, reject };
      worker.postMessage('checkpoint');
    });
    // Frame numbers start over with the WAL, which a write may have done since the last pass.
    const copied =
      result.checkpointed >= this.lastCheckpointed
        ? result.checkpointed - this.lastCheckpointed
        : result.checkpointed;
    this.lastCheckpointed = result.checkpointed;
    return copied;
  }

  private settlePass(message: CheckpointResult | { error: string }): void {
    const pending = this.pendingPass;
    this.pendingPass = undefined;
    if ('error' in message) {
      pending?.reject(new Error(message.error));
      return;
    }
    for (const listener of this.listeners) listener(message);
    pending?.resolve(message);
  }

  private releaseWrites(): void {
    this.holding = false;
    for (const callback of this.writableAgain.splice(0)) callback();
  }

  /** The thread has stopped: the connection checkpoints by itself again, and nothing waits on it. */
  private takeBack(failure: Error | undefined): void {
    clearInterval(this.timer);
    if (!this.closed) this.events.stopped(failure);
    if (this.connection.open) this.connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.pendingPass?.reject(new Error('the checkpointer thread stopped'));
    this.pendingPass = undefined;
    this.releaseWrites();
  }
}
