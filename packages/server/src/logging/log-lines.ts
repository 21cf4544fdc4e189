import { fstatSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import type { LogOutput } from './log-output.js';

/**
 * pino's destination, and the access lines' (access-lines.ts): gathers log lines as bytes into
 * chunks and writes each chunk in one write(2). A write per line was ~5% of a GET's CPU, and
 * SonicBoom's own buffering measured its pending chunk on every line (~1.5 µs of a GET). A quiet
 * server's lines still appear within `flushEveryMs`.
 *
 * pino hands over each line as a string (`write`); the access lines are written straight into
 * the chunk (`room`, `bytes`, `endLine`). The chunk size follows the output (chunkBytesFor).
 */
export class BatchedLogLines implements DestinationStream {
  private chunk: Buffer;
  private used = 0;
  /** The chunk written last, which takes the lines after the next write. */
  private spare: Buffer | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: LogOutput,
    private readonly chunkBytes = chunkBytesFor(out),
    flushEveryMs = 50,
  ) {
    this.chunk = this.freshChunk();
    this.timer = setInterval(() => this.flush(), flushEveryMs);
    this.timer.unref();
  }

  /** A line from pino. */
  write(line: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 code unit.
    const at = this.room(3 * line.length);
    this.endLine(at + this.chunk.write(line, at, 'utf8'));
  }

  /**
   * Makes room for a line of at most `maxBytes` bytes and returns where in `bytes` it starts.
   * The writer then calls `endLine` with where it ended.
   */
  room(maxBytes: number): number {
    if (this.used + maxBytes <= this.chunk.length) return this.used;
    this.flush();
    if (maxBytes > this.chunk.length) this.chunk = Buffer.allocUnsafeSlow(maxBytes);
    return 0;
  }

  /** The chunk being gathered; valid until the next `room` or `write`. */
  get bytes(): Buffer {
    return this.chunk;
  }

  endLine(end: number): void {
    this.used = end;
    if (end >= this.chunkBytes) this.flush();
  }

  /** Writes what is gathered now (pino's logger.flush calls this). */
  flush(done?: (error?: Error) => void): void {
    if (this.used > 0) {
      const written = this.chunk;
      const full = written.subarray(0, this.used);
      this.chunk = this.spare ?? this.freshChunk();
      this.spare = undefined;
      this.used = 0;
      this.out.write(full);
      // Written (or dropped) before write returned, so it can take new lines; an output that
      // threw may still hold it, and it is not reused then. Two chunks in turn, rather than a new 80 KiB one for each write; a chunk made for one
      // overlong line (room) is not kept.
      if (written.length === this.chunkBytes + LINE_ROOM) this.spare = written;
    }
    done?.();
  }

  /** For process exit: everything gathered, written before this returns (the output is synchronous). */
  flushSync(): void {
    this.flush();
  }

  /** Room for a full chunk and the line that fills it. */
  private freshChunk(): Buffer {
    return Buffer.allocUnsafeSlow(this.chunkBytes + LINE_ROOM);
  }
}

/** Lines longer than this get a chunk of their own. */
const LINE_ROOM = 16 * 1024;

/**
 * 64 KiB chunks to a regular file, 16 KiB to anything else. Per access line, the write(2) to a
 * file cost ~400 ns in 4 KiB chunks, ~260 ns in 16 KiB and ~170 ns in 64 KiB ones (`npm run
 * bench:micro log-chunks`); but a 64 KiB chunk would fill a pipe's whole default buffer at once.
 */
export function chunkBytesFor(out: LogOutput): number {
  const { fd } = out;
  if (fd === undefined) return STREAM_CHUNK_BYTES;
  try {
    return fstatSync(fd).isFile() ? FILE_CHUNK_BYTES : STREAM_CHUNK_BYTES;
  } catch {
    return STREAM_CHUNK_BYTES;
  }
}

const FILE_CHUNK_BYTES = 64 * 1024;
const STREAM_CHUNK_BYTES = 16 * 1024;
