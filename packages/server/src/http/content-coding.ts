import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * A route's `preParsing` hook: a body in a content coding (RFC 9110 §8.4: `Content-Encoding:
 * gzip` and the like) is refused with a 415 (the token endpoint's 400), and `Accept-Encoding:
 * identity` says what would have been accepted (§15.5.16). Bodies here are one small JSON or
 * form object, not worth compressing; without this the parser would read gzip bytes as text (a
 * misleading 400), or take a plain body that only claims a coding.
 */
export function refuseContentCodings(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: RequestPayload,
  done: (error: Error | null, payload?: RequestPayload) => void,
): void {
  const coding = request.headers['content-encoding'];
  if (coding === undefined || isIdentity(coding)) {
    done(null, payload);
    return;
  }
  done(
    new ApiError('unsupported_media_type', {
      message: 'A Content-Encoding is not supported here: send the body uncompressed',
      headers: { 'accept-encoding': 'identity' },
    }),
  );
}

/** `identity` (or nothing) in any case, the one coding that is no coding at all. */
function isIdentity(coding: string): boolean {
  const trimmed = coding.trim();
  return trimmed === '' || trimmed.toLowerCase() === 'identity';
}
