import { execFile } from 'node:child_process';
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
  const cleanEnv = { ...process.env };
  for (const name of ['CHEKT_CLIENT_ID', 'CHEKT_CLIENT_SECRET', 'CHEKT_BASE_URL', 'CHEKT_TOKEN_URL']) {
    delete cleanEnv[name];
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CHEKT_PATH, ...args],
      { env: { ...cleanEnv, ...env }, timeout: 20000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
