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
  if (ifMatch !== undefined && !membersOf(ifMatch).every(isAny)) return 'failed';
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch === undefined || !membersOf(ifNoneMatch).some(isAny)) return 'proceed';
  return method === 'GET' || method === 'HEAD' ? 'not_modified' : 'failed';
}

/**
 * The members of a list header, as Node hands over a header sent twice (`*, *`) or a list. Both
 * rules fail closed on what is not well formed: an If-Match holds only if all it says is `*`
 * (an empty one holds nothing), and a `*` anywhere in an If-None-Match makes it fail.
 */
function membersOf(value: string): string[] {
  return value.split(',').map((member) => member.trim());
}

function isAny(member: string): boolean {
  return member === '*';
}
