import type { Logger } from 'pino';
import {
  MAX_JSON_NUMBER_BYTES,
  maxJsonStringBytes,
  putBytes,
  putJsonHundredths,
  putJsonNumber,
  putJsonString,
} from './json-bytes.js';
import type { BatchedLogLines } from './log-lines.js';

/** What the access line of one request says, after its trace id. */
export interface AccessLine {
  trace_id: string;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  client_id?: string | undefined;
  dealer_id?: number | undefined;
  site_id?: number | undefined;
}

export const ACCESS_LINE_MESSAGE = 'request completed';

const ascii = (text: string) => Buffer.from(text, 'latin1');
const METHOD = ascii(',"method":');
const PATH = ascii(',"path":');
const STATUS = ascii(',"status":');
const LATENCY = ascii(',"latency_ms":');
const CLIENT_ID = ascii(',"client_id":');
const DEALER_ID = ascii(',"dealer_id":');
const SITE_ID = ascii(',"site_id":');
const END = ascii(`,"msg":"${ACCESS_LINE_MESSAGE}"}\n`);
/** The keys, the message, and four numbers at their longest. */
const MAX_FIXED_BYTES =
  Buffer.concat([METHOD, PATH, STATUS, LATENCY, CLIENT_ID, DEALER_ID, SITE_ID, END]).length +
  4 * MAX_JSON_NUMBER_BYTES;

/**
 * Writes a request's access line exactly as `logger.child({ trace_id }).info(fields, msg)` would
 * (a test compares them byte for byte), as bytes straight into the log chunk (json-bytes.ts).
 * pino's generic serializer inspects every key of every object (~2 µs a line), and a compiled
 * one (fast-json-stringify) left ~1 µs. A line pasted together as one string cost ~0.75 µs
 * (`npm run bench:micro access-line`), but in the server its tree of pieces was copied once more
 * by the garbage collector and walked again, out of the CPU's caches, when its chunk was joined:
 * in `perf` profiles of a GET the access line and the garbage collector took 13% of the CPU
 * that way and ~10% as bytes.
 */
export class AccessLines {
  private readonly levelField: string;
  private timeField = '';
  /** `{"level":30,"time":"…","service":…,"trace_id":`, for the current `timeField`. */
  private head: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly logger: Logger,
    private readonly destination: BatchedLogLines,
    private readonly time: () => string,
    /** The base fields as pino writes them, e.g. `,"service":"chekt-partner"`. */
    private readonly baseFields: string,
  ) {
    this.levelField = `{"level":${logger.levels.values.info}`;
  }

  /** False when the logger's level hides info lines; nothing is written then. */
  write(line: AccessLine): boolean {
    if (!this.logger.isLevelEnabled('info')) return false;
    const head = this.headFor(this.time());
    const out = this.destination;
    // Property order is output order: the same as pino's (trace_id right after the base fields).
    let at = out.room(head.length + MAX_FIXED_BYTES + maxStringBytesOf(line));
    const bytes = out.bytes;
    at = putBytes(bytes, at, head);
    at = putJsonString(bytes, at, line.trace_id);
    at = putJsonString(bytes, putBytes(bytes, at, METHOD), line.method);
    at = putJsonString(bytes, putBytes(bytes, at, PATH), line.path);
    at = putJsonNumber(bytes, putBytes(bytes, at, STATUS), line.status);
    at = putJsonHundredths(bytes, putBytes(bytes, at, LATENCY), line.latency_ms);
    if (line.client_id !== undefined) {
      at = putJsonString(bytes, putBytes(bytes, at, CLIENT_ID), line.client_id);
    }
    if (line.dealer_id !== undefined) {
      at = putJsonNumber(bytes, putBytes(bytes, at, DEALER_ID), line.dealer_id);
    }
    if (line.site_id !== undefined) {
      at = putJsonNumber(bytes, putBytes(bytes, at, SITE_ID), line.site_id);
    }
    out.endLine(putBytes(bytes, at, END));
    return true;
  }

  /** The line's start changes only with its time, which changes at most once a millisecond. */
  private headFor(timeField: string): Uint8Array {
    if (timeField !== this.timeField) {
      this.timeField = timeField;
      this.head = Buffer.from(`${this.levelField}${timeField}${this.baseFields},"trace_id":`, 'utf8');
    }
    return this.head;
  }
}

/** Room for the line's strings, each as JSON at its longest; the rest fits in MAX_FIXED_BYTES. */
function maxStringBytesOf(line: AccessLine): number {
  const clientId = line.client_id === undefined ? 0 : maxJsonStringBytes(line.client_id);
  return (
    maxJsonStringBytes(line.trace_id) +
    maxJsonStringBytes(line.method) +
    maxJsonStringBytes(line.path) +
    clientId
  );
}
