import { fstatSync } from 'node:fs';
import type pino from 'pino';
import type { DestinationStream } from 'pino';

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * pino's destination: gathers log lines into chunks and hands each chunk to SonicBoom
 * (synchronous, no buffering of its own), which writes it with its handling of partial writes and
 * EAGAIN. SonicBoom's own buffering appends each line to its pending chunk and measures that
 * chunk's byte length on every line, which flattened up to 4 KiB per log line (~1.5 µs of a GET).
 * A quiet server's lines still appear within `flushEveryMs`.
 *
 * The chunk size follows the output (chunkCharsFor).
 */
export class BatchedLogLines implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: SonicBoom,
    private readonly chunkChars = chunkCharsFor(out),
    flushEveryMs = 50,
  ) {
    this.timer = setInterval(() => this.flush(), flushEveryMs);
    this.timer.unref();
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.chunkChars) this.flush();
  }

  /** Writes what is gathered now (pino's logger.flush calls this). */
  flush(done?: (error?: Error) => void): void {
    if (this.lines.length > 0) {
      const chunk = this.lines.join('');
      this.lines = [];
      this.chars = 0;
      this.out.write(chunk);
    }
    done?.();
  }

  /** For process exit: everything gathered, written before this returns. */
  flushSync(): void {
    this.flush();
    this.out.flushSync();
  }
}

/**
 * 64 KiB chunks to a regular file, 16 KiB to anything else. Per access line, the write(2) to a
 * file cost ~400 ns in 4 KiB chunks, ~260 ns in 16 KiB and ~170 ns in 64 KiB ones (`npm run
 * bench:micro log-chunks`); but a 64 KiB chunk would fill a pipe's whole default buffer at once.
 */
export function chunkCharsFor(out: SonicBoom): number {
  // SonicBoom keeps its file descriptor as `fd`, which its types do not declare.
  const { fd } = out as unknown as { fd?: unknown };
  if (typeof fd !== 'number') return STREAM_CHUNK_CHARS;
  try {
    return fstatSync(fd).isFile() ? FILE_CHUNK_CHARS : STREAM_CHUNK_CHARS;
  } catch {
    return STREAM_CHUNK_CHARS;
  }
}

const FILE_CHUNK_CHARS = 64 * 1024;
const STREAM_CHUNK_CHARS = 16 * 1024;
