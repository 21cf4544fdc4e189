import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, CHROMIUM_PATH, hasChromium, launchBrowser } from './support/browser.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';
import { type DemoDocument, waitForDemo } from './support/demo.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

// Screenshots for a person to look at; the folder is gitignored.
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

if (!hasChromium && process.env.CI) {
  throw new Error(`${CHROMIUM_PATH} is missing: .ci/run installs Debian's chromium package`);
}

/**
 * A person's path through /docs, in a real browser against the production build of
 * `serve --demo`: open the page, authorize with the demo client, run GET then PATCH.
 */
// The page does not depend on the storage backend: one run, on SQLite, is enough.
describe.skipIf(!hasChromium || testBackend() !== 'sqlite')('the API reference page in Chromium', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let demo: DemoDocument;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServerProcess({ db: database.url, args: ['--demo', '--json'] });
    demo = await waitForDemo(server);
    browser = await launchBrowser(new URL(demo.url).origin);
    page = await browser.context.newPage();
    // A script error or a Content-Security-Policy violation shows up here.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
  });

  it('shows the API from /openapi.json, with nothing loaded from outside the server', async () => {
    await page.goto(`${demo.url}/docs`);
    await expect.poll(() => page.locator('.info .title').textContent()).toContain('Arming Settings');
    for (const operationId of ['getArmingSettings', 'updateArmingSettings', 'issueToken']) {
      await expect.poll(() => page.locator(`[id$="-${operationId}"]`).count()).toBe(1);
    }
    await page.screenshot({ path: `${ARTIFACTS}docs-page-top.png` });
    expect(browser.foreignRequests).toEqual([]);
  });

  // The token endpoint answers a wrong secret 401 with `WWW-Authenticate: Basic` (RFC 6749 §5.2), a
  // challenge a browser takes up itself with its own login dialog (headless: a request that never
  // ends) unless the page's requests leave credentials out.
  it('shows a wrong secret refused in the page, not as the browser login dialog', async () => {
    const errorsBefore = pageErrors.length;
    await page.locator('.auth-wrapper button.authorize').click();
    const oauth2 = page.locator('.auth-container').filter({ hasText: 'oauth2' });
    await oauth2.locator('input[data-name="clientId"]').fill(demo.client_id);
    await oauth2.locator('input[data-name="clientSecret"]').fill('not-the-secret');
    await oauth2.locator('button.modal-btn.authorize').click();
    await expect
      .poll(() => oauth2.locator('.errors').allInnerTexts(), { timeout: 5000 })
      .toEqual([expect.stringContaining('invalid_client')]);
    await oauth2.locator('button.btn-done').click();
    // The browser logs the refused request itself: that line is expected, no other.
    const refused = pageErrors.splice(errorsBefore);
    expect(refused).toEqual([expect.stringContaining('401 (Unauthorized)')]);
  });

  it('authorizes with the demo client through the token endpoint', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const oauth2 = page.locator('.auth-container').filter({ hasText: 'oauth2' });
    await oauth2.locator('input[data-name="clientId"]').fill(demo.client_id);
    await oauth2.locator('input[data-name="clientSecret"]').fill(demo.client_secret);
    await oauth2.locator('button.modal-btn.authorize').click();
    await expect.poll(() => oauth2.locator('button', { hasText: 'Logout' }).count()).toBe(1);
    await oauth2.locator('button.btn-done').click();
  });

  // The page fills each form field in with its schema's example, else with the word "string", and
  // sends what is there: a person who types in only the client's id and secret gets a token.
  it('runs POST /oauth/token with only the client id and secret typed in', async () => {
    const operation = await openOperation(page, 'issueToken');
    const field = (name: string) => operation.locator(`tr[data-property-name="${name}"] input[type="text"]`);
    await field('client_id').fill(demo.client_id);
    await field('client_secret').fill(demo.client_secret);
    await operation.locator('button.execute').click();
    await expectLiveResponse(operation, 200, '"access_token"');
  });

  it('runs GET arming-settings and shows the 200 body', async () => {
    const operation = await openOperation(page, 'getArmingSettings');
    await fillParameters(operation);
    await operation.locator('button.execute').click();
    await expectLiveResponse(operation, 200, '"security_type": 1');
    await expect.poll(() => responseBody(operation)).toContain('Gangnam Headquarters');
    await page.screenshot({ path: `${ARTIFACTS}docs-page.png`, fullPage: true });
    await operation
      .locator('.live-responses-table')
      .screenshot({ path: `${ARTIFACTS}docs-get-arming-settings.png` });
  });

  it('runs PATCH arming-settings with the example body and shows the new type', async () => {
    const operation = await openOperation(page, 'updateArmingSettings');
    await fillParameters(operation);
    await operation.locator('textarea.body-param__text').fill('{"security_type": 3}');
    await operation.locator('button.execute').click();
    await expectLiveResponse(operation, 200, '"security_type": 3');
    await operation
      .locator('.live-responses-table')
      .screenshot({ path: `${ARTIFACTS}docs-patch-arming-settings.png` });
    expect(browser.foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

async function openOperation(page: Page, operationId: string): Promise<Locator> {
  const operation = page.locator(`[id$="-${operationId}"]`);
  await operation.locator('.opblock-summary').first().click();
  await expect.poll(() => operation.locator('button.execute').count()).toBe(1);
  return operation;
}

async function fillParameters(operation: Locator): Promise<void> {
  await operation.locator('tr[data-param-name="dealerId"] input').fill('12345');
  await operation.locator('tr[data-param-name="siteId"] input').fill('1');
}

async function expectLiveResponse(operation: Locator, status: number, bodyText: string): Promise<void> {
  const live = operation.locator('.live-responses-table');
  await expect
    .poll(() => live.locator('tbody tr.response .response-col_status').first().textContent(), {
      timeout: 15000,
    })
    .toContain(String(status));
  await expect.poll(() => responseBody(operation)).toContain(bodyText);
}

async function responseBody(operation: Locator): Promise<string> {
  return (
    (await operation
      .locator('.live-responses-table tbody tr.response pre.microlight')
      .first()
      .textContent()) ?? ''
  );
}
