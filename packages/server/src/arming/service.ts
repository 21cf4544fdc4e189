import type { ArmingSettings, SecurityType } from '@chekt-partner/contract';
import { ApiError } from '../errors.js';
import { parseId } from '../ids.js';
import { findDealer } from '../store/repositories/dealers.js';
import {
  type SecurityTypeChanges,
  securityTypeChangesFor,
} from '../store/repositories/security-type-changes.js';
import { findSite, type SiteSummary } from '../store/repositories/sites.js';
import type { Store } from '../store/store.js';

/** Who asked for a change, recorded with it. */
export interface Actor {
  clientId: string;
  traceId: string;
}

/** The arming-settings rules; knows nothing of HTTP. */
export class ArmingService {
  private readonly changes: SecurityTypeChanges;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.changes = securityTypeChangesFor(store);
  }

  /**
   * The site under an (already authorized) dealer, or a 404 naming what is missing. Every GET
   * comes through here, so it chains a `then` instead of being an async function, which would
   * cost each GET one promise more (findSite does the same).
   */
  locate(dealerId: number, siteIdText: string): Promise<SiteSummary> {
    const siteId = parseId(siteIdText);
    if (siteId === undefined) return this.notFound(dealerId);
    return findSite(this.store, dealerId, siteId).then((site) => site ?? this.notFound(dealerId));
  }

  /**
   * Sets the security type and records the change in the same transaction, so the stored value
   * and its history never disagree. Every accepted request writes one history row, even when the
   * type is unchanged: the history is the audit trail of requests, not only of differences.
   * The change's own read finds the site: a missing one is a 404, and nothing is written.
   */
  async update(
    dealerId: number,
    siteIdText: string,
    securityType: SecurityType,
    actor: Actor,
  ): Promise<SiteSummary> {
    const siteId = parseId(siteIdText);
    if (siteId === undefined) return this.notFound(dealerId);
    const site = await this.changes.apply({
      dealerId,
      siteId,
      securityType,
      clientId: actor.clientId,
      traceId: actor.traceId,
      changedAt: this.now().toISOString(),
    });
    return site ?? this.notFound(dealerId);
  }

  /** Rejects with the 404 that names what is missing: the dealer, or only the site. */
  private async notFound(dealerId: number): Promise<never> {
    const dealer = await findDealer(this.store.db, dealerId);
    throw new ApiError(dealer ? 'site_not_found' : 'dealer_not_found');
  }
}

/** The API's view of a site: exactly the four documented fields. */
export function toArmingSettings(site: SiteSummary): ArmingSettings {
  return {
    site_id: Number(site.id),
    external_site_id: site.external_site_id,
    name: site.name,
    security_type: Number(site.security_type) as SecurityType,
  };
}
