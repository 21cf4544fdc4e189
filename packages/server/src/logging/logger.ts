import pino, { type Logger } from 'pino';
import { AccessLines } from './access-lines.js';
import { BatchedLogLines } from './log-lines.js';
import { type LogOutput, logOutput } from './log-output.js';

/** The server's logger, and the fast path for its per-request access lines. */
export interface Logging {
  logger: Logger;
  accessLines: AccessLines;
}

const BASE = { service: 'chekt-partner' };

/** pino JSON lines on stdout (or `out`), at `level`. */
export function createLogging(level: string, out: LogOutput = logOutput(1)): Logging {
  // Batched writes: lines gather into 16-64 KiB writes (a write(2) per line was ~5% of a GET's CPU),
  // and a quiet server's lines still appear within 50 ms. The writes are synchronous:
  // asynchronous ones cost the same CPU but kept ~50 MB more memory under load (GET bench: 142 MB
  // RSS against 92 MB), and a synchronous write makes a slow log reader slow the server down
  // instead of filling its memory.
  const destination = new BatchedLogLines(out);
  // Whatever is still gathered when the process ends anyway (process.exit, a crash) is written now.
  process.once('exit', () => {
    destination.flushSync();
  });
  const time = isoTimePerMillisecond();
  const logger = pino(
    {
      level,
      base: BASE,
      timestamp: time,
      // Belt and braces: even if a header object were logged one day, these never reach the output.
      redact: ['req.headers.authorization', 'headers.authorization', 'client_secret', 'access_token'],
    },
    destination,
  );
  const baseFields = `,${JSON.stringify(BASE).slice(1, -1)}`;
  return { logger, accessLines: new AccessLines(logger, destination, time, baseFields) };
}

/**
 * pino's isoTime output (`,"time":"2026-01-01T00:00:00.000Z"`), formatting the date once per
 * millisecond: under load many lines share a millisecond, and toISOString was a few % of a GET.
 */
function isoTimePerMillisecond(): () => string {
  let lastMs = -1;
  let lastField = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastField = `,"time":"${new Date(now).toISOString()}"`;
    }
    return lastField;
  };
}
