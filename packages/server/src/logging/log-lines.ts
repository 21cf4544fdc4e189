import type pino from 'pino';
import type { DestinationStream } from 'pino';

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * pino's destination: gathers log lines into ~16 KiB chunks and hands each chunk to SonicBoom
 * (synchronous, no buffering of its own), which writes it with its handling of partial writes and
 * EAGAIN. SonicBoom's own buffering appends each line to its pending chunk and measures that
 * chunk's byte length on every line, which flattened up to 4 KiB per log line (~1.5 µs of a GET).
 * A quiet server's lines still appear within `flushEveryMs`.
 *
 * Why 16 KiB: per access line, the write(2) to a file cost ~400 ns in 4 KiB chunks and ~260 ns in
 * 16 KiB ones (`npm run bench:micro`). 64 KiB chunks (~170 ns) would fill a pipe's whole default
 * buffer in one write.
 */
export class BatchedLogLines implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: SonicBoom,
    private readonly chunkChars = 16 * 1024,
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
