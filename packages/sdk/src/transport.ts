import { TRACE_ID_HEADER } from '@chekt-partner/contract/trace-id';
import { onAbort, pause } from './cancellation.js';
import { ChektConnectionError, ChektTimeoutError, ChektUnexpectedResponseError } from './errors.js';
import { type AttemptOutcome, retryDelayMs } from './retry-policy.js';

export interface TransportSettings {
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
}

export interface OutgoingRequest {
  url: string;
  method: 'GET' | 'PATCH' | 'POST';
  headers: Record<string, string>;
  body?: string;
  traceId: string;
  /** The caller's own cancellation; never retried. */
  signal?: AbortSignal | undefined;
}

export interface ReceivedResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  body: unknown;
}

/**
 * Sends a request, retrying as retry-policy.ts says. Resolves with the last answer whatever its
 * status (the caller turns refusals into errors); rejects only when no answer came at all.
 * Every attempt carries the same trace id: it names the operation, not the attempt.
 */
export async function send(settings: TransportSettings, request: OutgoingRequest): Promise<ReceivedResponse> {
  for (let retriesDone = 0; ; retriesDone++) {
    const result = await attempt(settings, request);
    const outcome: AttemptOutcome =
      result instanceof ChektTimeoutError
        ? { kind: 'timed-out' }
        : result instanceof ChektConnectionError
          ? { kind: 'connection-failed' }
          : { kind: 'response', status: result.status, headers: result.headers };
    const delayMs = retryDelayMs(outcome, retriesDone, settings.maxRetries);
    if (delayMs === undefined) {
      if (result instanceof ChektConnectionError) throw result;
      return result;
    }
    await pause(delayMs, request.signal);
  }
}

/** One attempt with its own deadline; a failure to get any answer comes back as a value, not thrown. */
async function attempt(
  settings: TransportSettings,
  request: OutgoingRequest,
): Promise<ReceivedResponse | ChektConnectionError> {
  // One controller per attempt, aborted by the deadline or by the caller, and detached from both
  // when the attempt ends. Not AbortSignal.any: Node 20 keeps every signal it combines reachable
  // from the caller's, so one long-lived signal (a shutdown signal) passed to every call would grow
  // without bound (nodejs/node#55351).
  const attemptController = new AbortController();
  const signal = attemptController.signal;
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    attemptController.abort(new DOMException('The attempt timed out', 'TimeoutError'));
  }, settings.timeoutMs);
  const stopListening = onAbort(request.signal, (reason) => attemptController.abort(reason));
  try {
    const response = await settings.fetch(request.url, {
      method: request.method,
      headers: { ...request.headers, [TRACE_ID_HEADER]: request.traceId },
      body: request.body,
      // A redirect is answered, not followed: fetch would send a PATCH on to the new address without
      // its Authorization (another origin), or turn the token POST into a GET without credentials,
      // and the 401 or 405 that comes back would blame the token or the credentials.
      redirect: 'manual',
      signal,
    });
    // The deadline covers the body too: a server that stalls mid-answer is as stuck as a silent one.
    const text = await readText(response, request, () => attemptController.abort());
    return { status: response.status, headers: response.headers, body: parseJson(text) };
  } catch (error) {
    // An answer came, and sending the request again would bring the same one.
    if (error instanceof ChektUnexpectedResponseError) throw error;
    // The caller cancelled: theirs to handle, not ours to retry.
    if (request.signal?.aborted) throw request.signal.reason;
    if (timedOut) {
      return new ChektTimeoutError(
        `No answer from ${request.method} ${request.url} within ${settings.timeoutMs} ms`,
        request.traceId,
        { cause: error },
      );
    }
    return new ChektConnectionError(
      `Could not reach ${request.method} ${request.url}: ${describe(error)}`,
      request.traceId,
      { cause: error },
    );
  } finally {
    clearTimeout(deadline);
    stopListening();
  }
}

/**
 * The API's answers, errors included, are a few hundred bytes. A body past this is not the API's
 * (a proxy's page, a misrouted download, a compression bomb) and, read whole, would fill memory.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The body as text, read no further than MAX_RESPONSE_BYTES (counted after decompression).
 * `endRequest` ends the request whose body is left unread: cancelling a Node.js stream's reading
 * (bodyReader) stops only the stream that node-fetch pipes the connection into, and the connection
 * would stay open, its answer paused, until the server gave up on it.
 */
async function readText(
  response: Response,
  request: OutgoingRequest,
  endRequest: () => void,
): Promise<string> {
  if (!response.body) return '';
  // Decoded as it comes, as response.text() would: a character split between chunks is kept whole.
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  const reader = bodyReader(response.body);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      // Before the cancel: node-fetch reports the end on the stream, which must still be read then.
      endRequest();
      await reader.cancel().catch(() => {});
      throw new ChektUnexpectedResponseError(
        `${request.method} ${request.url} answered HTTP ${response.status} with a body over ${MAX_RESPONSE_BYTES} bytes: not the API's answer`,
        request.traceId,
      );
    }
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text + decoder.decode();
}

/** The two reads readText makes of a body, whatever kind of stream it is. */
interface BodyReader {
  read(): Promise<{ done: true } | { done: false; value: Uint8Array }>;
  cancel(): Promise<unknown>;
}

/**
 * The platform's fetch answers with a WHATWG stream. A fetch passed as an option may answer with a
 * Node.js stream instead (node-fetch, the usual way through a proxy agent): it has no reader, and
 * calling for one would fail every answered request as a network failure, and send it again.
 * Its chunks come the same way through async iteration.
 */
function bodyReader(body: ReadableStream<Uint8Array>): BodyReader {
  if (typeof body.getReader === 'function') return body.getReader();
  const chunks = (body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return {
    read: async () => {
      const next = await chunks.next();
      return next.done ? { done: true } : { done: false, value: next.value };
    },
    cancel: async () => chunks.return?.(),
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch reports every network failure as "fetch failed"; the useful part is in the cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause ? `${error.message} (${cause})` : error.message;
}
