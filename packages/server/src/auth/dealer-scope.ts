import { ApiError } from '../errors.js';
import type { DealerAccess } from './client-directory.js';

// Identifiers are positive integers written canonically; anything else names nothing.
const CANONICAL_ID = /^[1-9][0-9]{0,9}$/;

/** The largest id: PostgreSQL's `integer`, which both backends' tables hold ids in. */
export const MAX_ID = 2147483647;

export function parseId(text: string): number | undefined {
  if (!CANONICAL_ID.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ID ? value : undefined;
}

/**
 * The one place that decides whether a caller may address a dealer. Default deny: a dealer app
 * reaches only its granted dealers (403 for any other, existing or not, so nothing leaks); a
 * platform partner reaches every dealer, and an ID that cannot exist is a 404.
 */
export function authorizeDealer(access: DealerAccess, dealerIdText: string): number {
  const dealerId = parseId(dealerIdText);
  if (access.kind === 'granted') {
    if (dealerId === undefined || !access.dealerIds.has(dealerId)) throw new ApiError('forbidden');
    return dealerId;
  }
  if (dealerId === undefined) throw new ApiError('dealer_not_found');
  return dealerId;
}
