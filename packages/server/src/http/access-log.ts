import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { AccessLine, AccessLines } from '../logging/access-lines.js';
import { answerInFlight } from './connection-state.js';

/** Each answer's reply, for a connection that closes before the answer is made (connectionClosed). */
const REPLY = Symbol('reply');
type AnswerOfReply = ServerResponse & { [REPLY]?: FastifyReply };

/** Set on a reply once its line is written: a request has one line, whichever way it ended. */
const LOGGED = Symbol('logged');
type LoggedReply = FastifyReply & { [LOGGED]?: true };

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

  override incomingRequest(_request: FastifyRequest, reply: FastifyReply): void {
    // One line per request is enough; it is written when the request completes. The reply is
    // noted on its answer for connectionClosed: a property costs less than a listener a request.
    (reply.raw as AnswerOfReply)[REPLY] = reply;
  }

  /** Every connection of `server`, from its start, for connectionClosed. */
  watchConnections(server: Server): void {
    server.on('connection', (socket: Socket) => {
      socket.once('close', () => this.connectionClosed(socket));
    });
  }

  /**
   * A connection closed while its answer was being made (its client reset it, a proxy gave up,
   * the shutdown's deadline cut it). Node emits neither 'finish' nor 'error' for an answer then
   * ended on it, yet the request goes on to its end: a PATCH waiting on its write still makes its
   * change. Its line is written as its answer is ended ('prefinish', which Node still emits), with
   * the status it was given; or, for one ended after the connection failed but before its 'close'
   * (a PATCH committed in the turn its client's reset came in), a turn later, should no 'finish'
   * or 'error' have written it by then. A request whose body had not all arrived is left to the
   * line of a request that could not be parsed (unparseable-requests.ts).
   */
  private connectionClosed(socket: Socket): void {
    const answer = answerInFlight(socket) as AnswerOfReply | null | undefined;
    const reply = answer?.[REPLY];
    if (!answer || !reply || !answer.req.complete) return;
    const completed = () => this.requestCompleted(null, reply.request, reply);
    if (answer.writableEnded) setImmediate(completed);
    else answer.once('prefinish', completed);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if ((reply as LoggedReply)[LOGGED]) return;
    (reply as LoggedReply)[LOGGED] = true;
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
