import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { AccessLine, AccessLines } from '../logging/access-lines.js';

/**
 * One log line per request, after the answer: who (client), what (dealer, site, route), the
 * outcome and how long it took, under the request's trace_id. Only the target's path is logged
 * (loggedPath) and no header is, so no token or secret a client sends where it belongs can reach
 * the log.
 */
export class AccessLog extends LogController {
  /** `accessLines` is absent only in an app built without logging. */
  constructor(private readonly accessLines?: AccessLines) {
    super({ requestIdLogLabel: 'trace_id' });
  }

  override incomingRequest(): void {
    // One line per request is enough; it is written when the request completes.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line: AccessLine = {
      trace_id: request.id,
      method: request.method,
      path: loggedPath(request.url),
      status: reply.statusCode,
      latency_ms: Math.round(reply.elapsedTime * 100) / 100,
      client_id: request.caller?.clientId,
      dealer_id: request.dealerId ?? undefined,
      site_id: request.site?.id,
    };
    if (error) {
      reply.server.log.error({ ...line, err: error }, 'request errored');
      return;
    }
    this.accessLines?.write(line);
  }

  /**
   * A streamed answer (a /docs asset) cut off after its headers went, most often by a client
   * that went away: it never finishes, so this is its one access line.
   */
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    const prematureClose = (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
    this.requestCompleted(prematureClose ? null : error, request, reply);
  }
}

/**
 * The request target's path: without its query string or fragment, and for a target in absolute
 * form (`http://user:password@host/path`, RFC 9112 §3.2.2) without its scheme and authority,
 * whose user info may hold credentials.
 */
export function loggedPath(target: string): string {
  const path = target.charCodeAt(0) === SLASH ? target : pathOfAbsoluteForm(target);
  const query = path.indexOf('?');
  const fragment = path.indexOf('#');
  const end = Math.min(query < 0 ? path.length : query, fragment < 0 ? path.length : fragment);
  return end === path.length ? path : path.slice(0, end);
}

const SLASH = 0x2f;

function pathOfAbsoluteForm(target: string): string {
  const scheme = target.indexOf('://');
  if (scheme < 0) return target;
  // The authority ends at the first '/', '?' or '#' after it.
  for (let at = scheme + 3; at < target.length; at += 1) {
    const char = target[at];
    if (char === '/') return target.slice(at);
    if (char === '?' || char === '#') return '/';
  }
  return '/';
}
