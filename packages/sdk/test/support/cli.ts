import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The production build of `chekt`, as an integrator's script would run it. */
export const CHEKT_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface ChektResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `chekt` asynchronously: the API under test runs in this very process, so a synchronous
 * spawn would block the server the CLI is talking to.
 */
export function runChekt(args: string[], env: Record<string, string> = {}): Promise<ChektResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CHEKT_PATH, ...args],
      { env: chektEnvironment(env), timeout: 20000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `chekt` with its stdout a pipe whose reader is gone (`| head -1` once done reading): the
 * read end is closed before the process has started, so every write to stdout fails with EPIPE.
 */
export function runChektWithoutReader(
  args: string[],
  env: Record<string, string> = {},
): Promise<ChektResult> {
  const child = spawn(process.execPath, [CHEKT_PATH, ...args], {
    env: chektEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout: '', stderr }));
  });
}

/** This process's environment without the caller's own CHEKT_* settings, plus `env`. */
function chektEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const cleanEnv = { ...process.env };
  for (const name of ['CHEKT_CLIENT_ID', 'CHEKT_CLIENT_SECRET', 'CHEKT_BASE_URL', 'CHEKT_TOKEN_URL']) {
    delete cleanEnv[name];
  }
  return { ...cleanEnv, ...env };
}
