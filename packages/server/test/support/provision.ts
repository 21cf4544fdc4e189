import type { SecurityType, TokenResponse } from '@chekt-partner/contract';
import { Provisioning } from '../../src/provisioning/provisioning.js';
import { openStore, type Store } from '../../src/store/store.js';

export interface TestClient {
  clientId: string;
  clientSecret: string;
}

/** Sets up data through the same provisioning code the operator CLI uses. */
export function provisioning(store: Store): Provisioning {
  return new Provisioning(store.db);
}

/** The seed document's example: dealer 12345, site 1 "Gangnam Headquarters", type 1. */
export async function seedExample(store: Store): Promise<void> {
  const p = provisioning(store);
  await p.addDealer(12345, 'Example Dealer');
  await p.addSite({ dealerId: 12345, siteId: 1, externalSiteId: '1234567890', name: 'Gangnam Headquarters' });
}

export async function addClient(
  store: Store,
  dealers: number[] | 'all',
  name = 'test client',
): Promise<TestClient> {
  const created = await provisioning(store).addClient(name, dealers);
  return { clientId: created.clientId, clientSecret: created.clientSecret };
}

export async function addSite(
  store: Store,
  dealerId: number,
  externalSiteId: string,
  securityType: SecurityType = 1,
): Promise<number> {
  const row = await provisioning(store).addSite({
    dealerId,
    externalSiteId,
    name: `Site ${externalSiteId}`,
    securityType,
  });
  return row.id;
}

/** A token from the real token endpoint (client_secret_post). */
export async function fetchToken(baseUrl: string, client: TestClient, scope?: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    ...(scope === undefined ? {} : { scope }),
  });
  const response = await fetch(`${baseUrl}/oauth/token`, { method: 'POST', body });
  if (response.status !== 200)
    throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  const token = (await response.json()) as TokenResponse;
  return token.access_token;
}

/**
 * A dealer with sites (by external id) and a client granted it, in the database at `url`, for a
 * test that then starts a server process on that database (the process opens its own store).
 */
export async function provisionDealer(
  url: string,
  dealerId: number,
  dealerName: string,
  externalSiteIds: string[],
): Promise<{ client: TestClient; siteIds: number[] }> {
  const store = await openStore(url);
  try {
    await provisioning(store).addDealer(dealerId, dealerName);
    const siteIds: number[] = [];
    for (const externalSiteId of externalSiteIds)
      siteIds.push(await addSite(store, dealerId, externalSiteId));
    return { client: await addClient(store, [dealerId]), siteIds };
  } finally {
    await store.close();
  }
}
