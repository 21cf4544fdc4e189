import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { CLI_PATH } from './server-process.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the operator CLI's production build, as a script would. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like runCli, without waiting: for commands that must run at the same moment. */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

export interface ReaderlessCli {
  child: ChildProcess;
  /** What it wrote on stderr so far. */
  stderr(): string;
  exited: Promise<{ status: number | null; stderr: string }>;
}

/**
 * Starts the CLI with its stdout a pipe whose reader is gone (`| head -1` once done reading): the
 * read end is closed before the process has started, so every write to stdout fails with EPIPE.
 */
export function startCliWithoutReader(args: string[], env: Record<string, string> = {}): ReaderlessCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.destroy();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ status: number | null; stderr: string }>((resolve) => {
    child.on('close', (status) => resolve({ status, stderr }));
  });
  return { child, stderr: () => stderr, exited };
}
