import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The production build of the operator CLI, as an operator would run it. */
export const CLI_PATH = fileURLToPath(new URL('../../dist/chekt-partner.mjs', import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Every stdout line so far (pino JSON lines, plus the demo document with --json). */
  stdout: string[];
  stderr: string[];
  /** Sends the signal and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// Servers still running when the test worker exits (a failed assertion before stop()) are
// ended with it, so no test ever leaves a process behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `chekt-partner serve` as a separate process on a free port and waits until it says it is
 * listening. Only this process is ever signalled, by its own PID.
 */
export async function startServerProcess(options: {
  db: string;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** A command that runs node in turn, as another user say (`setpriv --reuid=...`); it must exec it. */
  runAs?: string[];
}): Promise<ServerProcess> {
  const nodeCommand = [
    process.execPath,
    CLI_PATH,
    'serve',
    '--port',
    '0',
    '--db',
    options.db,
    ...(options.args ?? []),
  ];
  const [command = process.execPath, ...commandArgs] = [...(options.runAs ?? []), ...nodeCommand];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  collectLines(child.stderr, stderr);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started server behind.
      child.kill('SIGKILL');
      reject(new Error(`server did not say it was listening: ${stderr.join('\n')}`));
    }, options.timeoutMs ?? 15000);
    collectLines(child.stdout, stdout, (line) => {
      const parsed = parseJson(line);
      if (parsed?.msg === 'server listening' && typeof parsed.url === 'string') {
        clearTimeout(timer);
        resolve(parsed.url);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr.join('\n')}`));
    });
  });

  return {
    url,
    pid: child.pid as number,
    child,
    stdout,
    stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function collectLines(
  stream: NodeJS.ReadableStream | null,
  into: string[],
  onLine?: (line: string) => void,
): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      into.push(line);
      onLine?.(line);
    }
  });
}

export function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
