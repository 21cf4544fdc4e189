import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { AccessLine, AccessLines } from '../logging/access-lines.js';

/**
 * One log line per request, after the answer: who (client), what (dealer, site, route), the
 * outcome and how long it took, under the request's trace_id. The path is logged without its
 * query string and no header is logged, so no token or secret can reach the log.
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
    const queryAt = request.url.indexOf('?');
    const line: AccessLine = {
      trace_id: request.id,
      method: request.method,
      path: queryAt < 0 ? request.url : request.url.slice(0, queryAt),
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
}
