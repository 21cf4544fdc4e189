import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a request's preconditions (RFC 9110 §13) ask of a resource that exists: go on, answer 304
 * Not Modified (GET and HEAD), or answer 412 Precondition Failed.
 */
export type PreconditionOutcome = 'proceed' | 'not_modified' | 'failed';

/**
 * RFC 9110 §13.2.2, for resources that have no entity tag and no modification date, as the arming
 * settings do not (the API reference gives them none, so neither does this server). A client that
 * guards a PATCH with `If-Match: "<a tag>"` can never have had that tag from here: the guard fails
 * (412) rather than being ignored, which would let the change through unguarded.
 * - If-Match: `*` holds (the resource exists); anything else is a list of tags, none of which
 *   match, and fails.
 * - If-None-Match: `*` fails (the resource exists): 304 for GET and HEAD, else 412. A list of tags
 *   holds: none of them match.
 * - If-Unmodified-Since and If-Modified-Since are ignored, as the RFC requires without a date.
 * Called once the resource is known to exist: a 404 comes first (§13.2.1).
 */
export function evaluatePreconditions(headers: IncomingHttpHeaders, method: string): PreconditionOutcome {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined && ifMatch.trim() !== '*') return 'failed';
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch === undefined || ifNoneMatch.trim() !== '*') return 'proceed';
  return method === 'GET' || method === 'HEAD' ? 'not_modified' : 'failed';
}
