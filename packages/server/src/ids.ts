/**
 * Dealer and site ids: numbers in bodies, strings in paths and on the command line. One rule reads
 * them everywhere, so an id the API refuses is refused by the operator CLI too.
 */

// Identifiers are positive integers written canonically; anything else names nothing.
const CANONICAL_ID = /^[1-9][0-9]{0,9}$/;

/** The largest id: PostgreSQL's `integer`, which both backends' tables hold ids in. */
export const MAX_ID = 2147483647;

/** The id a path segment or argument names, or undefined when it cannot name one. */
export function parseId(text: string): number | undefined {
  if (!CANONICAL_ID.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ID ? value : undefined;
}
