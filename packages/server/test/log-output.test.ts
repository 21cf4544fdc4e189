import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIVENESS_PATH } from '@chekt-partner/contract';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { logOutput } from '../src/logging/log-output.js';
import { call } from './support/http.js';
import { CLI_PATH } from './support/server-process.js';

// /dev/full answers every write with ENOSPC, as a full disk does.
const hasDevFull = existsSync('/dev/full');

/**
 * A disk that fills up partway through a write, as a real one does: write(2) takes what still
 * fits, and the next call fails with ENOSPC. `roomLeft` undefined: the disk has room again.
 */
const disk = vi.hoisted(() => ({ roomLeft: undefined as number | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = (fd: number, data: Buffer | string, offset?: number) => {
    if (typeof data === 'string') return fs.writeSync(fd, data);
    if (disk.roomLeft === undefined) return fs.writeSync(fd, data, offset);
    if (disk.roomLeft === 0)
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const length = Math.min(disk.roomLeft, data.length - (offset ?? 0));
    disk.roomLeft -= length;
    return fs.writeSync(fd, data, offset, length);
  };
  return { ...fs, writeSync };
});

describe('logOutput: where the log lines are written', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chekt-log-output-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends each chunk whole to a file, creating its folder', () => {
    const file = join(dir, 'logs', 'out.log');
    const out = logOutput(file);
    try {
      out.write(Buffer.from('one\n'));
      out.write(Buffer.from('two\n'));
    } finally {
      out.destroy();
    }
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('a line cut off by a full disk is ended before the next ones, which stay whole', () => {
    const file = join(dir, 'out.log');
    const out = logOutput(file, () => {});
    try {
      disk.roomLeft = 5;
      out.write(Buffer.from('first line\n'));
      out.write(Buffer.from('lost line\n'));
      disk.roomLeft = undefined;
      out.write(Buffer.from('{"msg":"next"}\n'));
    } finally {
      disk.roomLeft = undefined;
      out.destroy();
    }
    // The cut line stays cut, but does not swallow the line written after it.
    expect(readFileSync(file, 'utf8').split('\n')).toEqual(['first', '{"msg":"next"}', '']);
  });

  it.runIf(hasDevFull)('drops what it cannot write, without throwing, and says so once', () => {
    const reports: string[] = [];
    const out = logOutput('/dev/full', (text) => reports.push(text));
    try {
      expect(() => out.write(Buffer.from('lost\n'))).not.toThrow();
      expect(() => out.write(Buffer.from('lost too\n'))).not.toThrow();
    } finally {
      out.destroy();
    }
    expect(reports).toEqual([
      'chekt-partner: log lines could not be written (ENOSPC); dropping them until they can\n',
    ]);
  });
});

describe('a server whose log output fails (a full disk)', () => {
  it.runIf(hasDevFull)(
    'goes on answering, says so on stderr, and stops at SIGTERM',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chekt-log-full-'));
      const port = await freePort();
      const full = openSync('/dev/full', 'w');
      const child = spawn(
        process.execPath,
        [CLI_PATH, 'serve', '--port', String(port), '--db', `sqlite:${join(dir, 'partner.db')}`],
        { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', full, 'pipe'] },
      );
      closeSync(full);
      // Also after a timeout, when the code below never resumes: the old build hung here.
      onTestFinished(() => {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const exited = once(child, 'exit');
      const url = `http://127.0.0.1:${port}`;
      expect((await untilAnswered(url)).status).toBe(200);
      // More lines than one chunk holds, so that writes fail while requests go on.
      for (let i = 0; i < 200; i += 1) expect((await call(url, LIVENESS_PATH)).status).toBe(200);
      expect(stderr).toContain('log lines could not be written (ENOSPC)');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    },
    30_000,
  );
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The server's log cannot say when it listens: ask until it answers. */
async function untilAnswered(url: string): Promise<{ status: number }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await call(url, LIVENESS_PATH);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
