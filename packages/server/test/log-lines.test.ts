import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchedLogLines, chunkBytesFor } from '../src/logging/log-lines.js';
import { type LogOutput, logOutput } from '../src/logging/log-output.js';

describe('BatchedLogLines: log lines gathered into chunks', () => {
  let dir: string;
  let file: string;
  let out: LogOutput;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chekt-log-lines-'));
    file = join(dir, 'out.log');
    out = logOutput(file);
  });

  afterEach(() => {
    out.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const written = () => readFileSync(file, 'utf8');

  it('holds lines until a chunk is full, then writes them all, in order', () => {
    const lines = new BatchedLogLines(out, 100, 60_000);
    lines.write(`${'a'.repeat(40)}\n`);
    lines.write(`${'b'.repeat(40)}\n`);
    expect(written()).toBe('');
    lines.write(`${'c'.repeat(40)}\n`);
    expect(written()).toBe(`${'a'.repeat(40)}\n${'b'.repeat(40)}\n${'c'.repeat(40)}\n`);
  });

  it('keeps a line longer than a whole chunk whole, and characters past ASCII as UTF-8', () => {
    const lines = new BatchedLogLines(out, 100, 60_000);
    const long = `${'é'.repeat(40_000)}\n`;
    lines.write('first\n');
    lines.write(long);
    lines.write('last \u2028\n');
    lines.flush();
    expect(written()).toBe(`first\n${long}last \u2028\n`);
  });

  it('takes lines written straight into its chunk (room, bytes, endLine) between the others', () => {
    const lines = new BatchedLogLines(out, 4096, 60_000);
    lines.write('from pino\n');
    const at = lines.room(64);
    const end = at + lines.bytes.write('written in place\n', at, 'latin1');
    lines.endLine(end);
    lines.write('from pino again\n');
    lines.flush();
    expect(written()).toBe('from pino\nwritten in place\nfrom pino again\n');
  });

  it('writes chunk after chunk intact, and never reuses a chunk whose write failed', () => {
    let failed: Buffer | undefined;
    const written: string[] = [];
    const failingOnce: LogOutput = {
      write(chunk: Buffer) {
        if (failed === undefined) {
          // An output that throws may keep the chunk, to try it again.
          failed = chunk;
          throw new Error('disk full');
        }
        written.push(chunk.toString());
      },
      destroy() {},
    };
    const lines = new BatchedLogLines(failingOnce, 100, 60_000);
    const line = (n: number) => `${String(n).padStart(3, '0')}${'x'.repeat(46)}\n`;
    lines.write(line(0));
    expect(() => lines.write(line(1))).toThrow('disk full');
    for (let n = 2; n < 12; n += 1) lines.write(line(n));
    expect(failed?.toString()).toBe(line(0) + line(1));
    expect(written).toEqual([2, 4, 6, 8, 10].map((n) => line(n) + line(n + 1)));
  });

  it('writes what it holds on flush (pino logger.flush) and on flushSync (process exit)', () => {
    const lines = new BatchedLogLines(out, 4096, 60_000);
    const logger = pino({ base: null, timestamp: false }, lines);
    logger.info('first');
    expect(written()).toBe('');
    let flushed = false;
    logger.flush(() => {
      flushed = true;
    });
    expect(flushed).toBe(true);
    expect(written()).toBe('{"level":30,"msg":"first"}\n');
    logger.info('second');
    lines.flushSync();
    expect(written()).toBe('{"level":30,"msg":"first"}\n{"level":30,"msg":"second"}\n');
  });

  it("writes a quiet server's lines within the flush interval", async () => {
    const lines = new BatchedLogLines(out, 4096, 20);
    lines.write('quiet\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written()).toBe('quiet\n');
  });

  it('writes 64 KiB chunks to a file, 16 KiB ones to anything else', () => {
    const lines = new BatchedLogLines(out, undefined, 60_000);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 63; i += 1) lines.write(line);
    expect(written()).toBe('');
    lines.write(line);
    expect(written()).toHaveLength(64 * 1024);
    expect(chunkBytesFor(out)).toBe(64 * 1024);
    const device = logOutput('/dev/null');
    try {
      expect(chunkBytesFor(device)).toBe(16 * 1024);
    } finally {
      device.destroy();
    }
  });
});
