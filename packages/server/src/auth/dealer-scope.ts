import { ApiError } from '../errors.js';
import { parseId } from '../ids.js';
import type { DealerAccess } from './client-directory.js';

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
