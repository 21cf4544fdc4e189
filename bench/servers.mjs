import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnPinned, stop } from './processes.mjs';

const CLI = fileURLToPath(new URL('../packages/server/dist/chekt-partner.mjs', import.meta.url));
const BASELINE = fileURLToPath(new URL('./baseline.mjs', import.meta.url));

/**
 * The production build of `chekt-partner serve`, as an operator runs it: production logging
 * (LOG_LEVEL=info, pino JSON lines) to a file, so the bench never has to read its log stream.
 * Start-up time is from spawn to the "server listening" line.
 */
export async function startApiServer({ dbUrl, logFile, cpuProfDir }) {
  // As the README tells operators to run it (npm start): V8's young generation capped at 8 MB.
  const nodeArgs = ['--max-semi-space-size=8'];
  if (cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
  return startLogged(
    [...nodeArgs, CLI, 'serve', '--port', '0', '--db', dbUrl],
    { LOG_LEVEL: 'info' },
    logFile,
  );
}

/** The ceiling: a bare Fastify process answering the same route with the same constant body. */
export async function startBaseline({ logFile }) {
  return startLogged([BASELINE], {}, logFile);
}

async function startLogged(args, env, logFile) {
  // Append mode, so the bench may truncate the log between runs while the server keeps writing.
  writeFileSync(logFile, '');
  const out = openSync(logFile, 'a');
  const startedAt = performance.now();
  const child = spawnPinned('server', process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  try {
    const url = await waitForListening(child, logFile, () => stderr);
    const startupMs = performance.now() - startedAt;
    return { child, url, pid: child.pid, startupMs, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

// Polls the log file: bounded (60 s) and cheap (every 5 ms) next to a start-up of ~0.5 s.
async function waitForListening(child, logFile, stderr) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr()}`);
    }
    const url = listeningUrl(readFileSync(logFile, 'utf8'));
    if (url) return url;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`server did not start within 60 s: ${stderr()}`);
}

function listeningUrl(log) {
  for (const line of log.split('\n')) {
    if (!line.includes('server listening')) continue;
    try {
      const parsed = JSON.parse(line);
      if (parsed.msg === 'server listening' && typeof parsed.url === 'string') return parsed.url;
    } catch {
      // A partly written line: read again on the next poll.
    }
  }
  return undefined;
}
