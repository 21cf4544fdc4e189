import type { SecurityType } from '@chekt-partner/contract';
import type { Kysely } from 'kysely';
import { MAX_ID } from '../ids.js';
import { generateClientId, generateClientSecret, hashClientSecret } from '../oauth/client-secrets.js';
import {
  type ClientRow,
  findClient,
  insertClient,
  reinstateClient,
  revokeClient,
} from '../store/repositories/clients.js';
import { findDealer, insertDealer } from '../store/repositories/dealers.js';
import {
  dealerHasSite,
  findSiteByExternalId,
  insertSite,
  nextSiteId,
  type SiteRow,
  siteIdTaken,
} from '../store/repositories/sites.js';
import type { Database } from '../store/schema.js';
import { isUniqueViolation } from '../store/unique-violation.js';

/** Why a provisioning request was refused: stable, for scripts that read `--json` output. */
export type ProvisioningErrorCode =
  | 'dealer_exists'
  | 'dealer_not_found'
  | 'site_exists'
  | 'site_id_taken'
  | 'site_ids_exhausted'
  | 'client_not_found';

/** A provisioning request that conflicts with what is stored (not a usage mistake). */
export class ProvisioningError extends Error {
  override name = 'ProvisioningError';

  constructor(
    readonly code: ProvisioningErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NewClient {
  clientId: string;
  clientSecret: string;
  name: string;
  dealerIds: number[] | 'all';
}

/** What operators set up: dealers, their sites, and the partner clients that may reach them. */
export class Provisioning {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async addDealer(dealerId: number, name: string): Promise<{ dealer_id: number; name: string }> {
    const exists = new ProvisioningError('dealer_exists', `dealer ${dealerId} already exists`);
    if (await findDealer(this.db, dealerId)) throw exists;
    try {
      await insertDealer(this.db, { id: dealerId, name, created_at: this.now().toISOString() });
    } catch (error) {
      // Added by another command since the check: the same refusal, not a database error.
      throw isUniqueViolation(error) ? exists : error;
    }
    return { dealer_id: dealerId, name };
  }

  async addSite(site: {
    dealerId: number;
    externalSiteId: string;
    name: string;
    siteId?: number;
    securityType?: SecurityType;
  }): Promise<SiteRow> {
    await this.requireDealers([site.dealerId]);
    if (await findSiteByExternalId(this.db, site.dealerId, site.externalSiteId)) {
      throw siteExists(site.dealerId, site.externalSiteId);
    }
    const id = site.siteId ?? (await nextSiteId(this.db));
    // The API could never address a site above it (and PostgreSQL could not store it).
    if (id > MAX_ID) {
      throw new ProvisioningError(
        'site_ids_exhausted',
        `the next site id would be above ${MAX_ID}, the largest: give --site-id`,
      );
    }
    if (await siteIdTaken(this.db, id))
      throw new ProvisioningError('site_id_taken', `site id ${id} is already taken`);
    const now = this.now().toISOString();
    const row: SiteRow = {
      id,
      dealer_id: site.dealerId,
      external_site_id: site.externalSiteId,
      name: site.name,
      security_type: site.securityType ?? 1,
      created_at: now,
      updated_at: now,
      last_history_id: null,
    };
    // The CLI runs this in oneInstanceAtATime, so no other command adds a site between the checks
    // and the insert; without it, the primary key and the external id's unique constraint still
    // refuse a site added in between, with the same refusal as the checks.
    try {
      await insertSite(this.db, row);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (error.message.includes('external')) throw siteExists(site.dealerId, site.externalSiteId);
      throw new ProvisioningError('site_id_taken', `site id ${id} is already taken`);
    }
    return row;
  }

  async addClient(name: string, dealersAsked: number[] | 'all'): Promise<NewClient> {
    // A dealer named twice is granted once, and reported once.
    const dealers = dealersAsked === 'all' ? 'all' : unique(dealersAsked);
    if (dealers !== 'all') await this.requireDealers(dealers);
    const client: NewClient = {
      clientId: generateClientId(),
      clientSecret: generateClientSecret(),
      name,
      dealerIds: dealers,
    };
    const row = this.clientRow(client);
    await this.db.transaction().execute((trx) => insertClient(trx, row, dealers === 'all' ? [] : dealers));
    return client;
  }

  async revokeClient(clientId: string): Promise<void> {
    if (!(await revokeClient(this.db, clientId, this.now().toISOString()))) {
      throw new ProvisioningError('client_not_found', `no client with id ${clientId}`);
    }
  }

  /**
   * The seed document's own example, created once: dealer 12345 with site 1 "Gangnam Headquarters".
   * The demo client's secret is renewed on every call, because only its hash is stored and the
   * operator needs a secret they can paste.
   */
  async seedDemo(): Promise<NewClient> {
    // Decided by the site, not the dealer: an older version's --demo stopped between the two left
    // the demo dealer without its site, and the demo would print a path that is a 404.
    if (!(await dealerHasSite(this.db, DEMO.dealerId, DEMO.siteId))) {
      // Checked before anything is added: the demo dealer is never left without its site.
      if (await siteIdTaken(this.db, DEMO.siteId)) {
        throw new ProvisioningError(
          'site_id_taken',
          `site id ${DEMO.siteId} is already taken, and the demo needs it: use --demo with another database`,
        );
      }
      if (!(await findDealer(this.db, DEMO.dealerId))) await this.addDealer(DEMO.dealerId, DEMO.dealerName);
      await this.addSite({
        dealerId: DEMO.dealerId,
        siteId: DEMO.siteId,
        externalSiteId: DEMO.externalSiteId,
        name: DEMO.siteName,
        securityType: 1,
      });
    }
    const client: NewClient = {
      clientId: DEMO.clientId,
      clientSecret: generateClientSecret(),
      name: 'Demo client',
      dealerIds: [DEMO.dealerId],
    };
    if (await findClient(this.db, DEMO.clientId)) {
      await reinstateClient(this.db, DEMO.clientId, hashClientSecret(client.clientSecret));
    } else {
      await insertClient(this.db, this.clientRow(client), [DEMO.dealerId]);
    }
    return client;
  }

  /** A new client as stored: only a hash of its secret, never the secret. */
  private clientRow(client: NewClient): ClientRow {
    return {
      id: client.clientId,
      name: client.name,
      secret_hash: hashClientSecret(client.clientSecret),
      all_dealers: client.dealerIds === 'all' ? 1 : 0,
      created_at: this.now().toISOString(),
      revoked_at: null,
      tokens_valid_from: null,
    };
  }

  private async requireDealers(dealerIds: number[]): Promise<void> {
    for (const dealerId of dealerIds) {
      if (!(await findDealer(this.db, dealerId)))
        throw new ProvisioningError('dealer_not_found', `no dealer with id ${dealerId}`);
    }
  }
}

export const DEMO = {
  dealerId: 12345,
  dealerName: 'Demo Dealer',
  siteId: 1,
  externalSiteId: '1234567890',
  siteName: 'Gangnam Headquarters',
  clientId: 'demo-client',
} as const;

function unique(values: number[]): number[] {
  return [...new Set(values)];
}

function siteExists(dealerId: number, externalSiteId: string): ProvisioningError {
  return new ProvisioningError(
    'site_exists',
    `dealer ${dealerId} already has a site with external id "${externalSiteId}"`,
  );
}
