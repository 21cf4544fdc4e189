import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where chunks of log lines go: a file descriptor (logOutput), or a stand-in in a test. */
export interface LogOutput {
  /** The file descriptor written to, when there is one (chunkBytesFor reads what it is). */
  readonly fd?: number;
  write(chunk: Buffer): void;
  /** Closes it (tests; the server's output lives as long as the process). */
  destroy(): void;
}

/** How a failing output is told to the operator: on stderr, and never by throwing. */
export type LogOutputReport = (text: string) => void;

/**
 * Writes each chunk at once and whole with write(2), on stdout (fd 1) or a file. A pipe whose
 * reader is behind (EAGAIN) is waited for: a slow log reader slows the server down rather than
 * filling its memory (logger.ts). A chunk that cannot be written at all (a full disk, an I/O
 * error, a reader that is gone) is dropped, and said so on stderr once, then once more when
 * writing works again: logging must never stop the server from answering. (pino's SonicBoom
 * turns such an error into an uncaught exception, and its flushSync at exit retries it forever,
 * so a full disk left the server hung.)
 */
export function logOutput(dest: number | string, report: LogOutputReport = reportOnStderr): LogOutput {
  const fd = typeof dest === 'number' ? dest : openForAppend(dest);
  let droppedBytes = 0;
  // A disk that fills up takes what still fits of a chunk: the output then ends inside a line.
  let midLine = false;
  return {
    fd,
    write(chunk) {
      // The cut line is ended first: the next line, written right behind it, would join it, and
      // a reader of JSON lines would lose that one too.
      const bytes = midLine ? Buffer.concat([LINE_END, chunk]) : chunk;
      const failure = writeWhole(fd, bytes);
      if (failure) {
        if (failure.written > 0) midLine = true;
        if (droppedBytes === 0) {
          report(
            `chekt-partner: log lines could not be written (${describe(failure.error)}); dropping them until they can\n`,
          );
        }
        droppedBytes += chunk.length;
        return;
      }
      midLine = false;
      if (droppedBytes > 0) {
        report(`chekt-partner: log lines are written again; ${droppedBytes} bytes of them were lost\n`);
        droppedBytes = 0;
      }
    },
    destroy() {
      if (typeof dest === 'string') closeSync(fd);
    },
  };
}

function openForAppend(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}

const LINE_END = Buffer.from('\n');

/**
 * Writes the whole chunk, waiting out a full pipe in short sleeps. On any other error, says which,
 * and how many of the chunk's bytes had gone out before it.
 */
function writeWhole(fd: number, chunk: Buffer): { error: unknown; written: number } | undefined {
  let offset = 0;
  while (offset < chunk.length) {
    try {
      offset += writeSync(fd, chunk, offset);
    } catch (error) {
      if (!isBusy(error)) return { error, written: offset };
      sleep(PIPE_FULL_WAIT_MS);
    }
  }
  return undefined;
}

const PIPE_FULL_WAIT_MS = 2;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'EAGAIN' || code === 'EBUSY';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : String(error);
}

/** Straight to fd 2: process.stderr would emit an error event of its own if stderr failed too. */
function reportOnStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // Nowhere left to say it.
  }
}
