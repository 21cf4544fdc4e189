import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { parseJson, type ServerProcess, startServerProcess } from './support/server-process.js';

/**
 * The API reference's own examples, run as written against the production build started with
 * --demo; only the base URL (and the access token) is changed.
 */
const PRODUCTION = 'https://api.chekt.com';

describe("the API reference's examples, unchanged but for the base URL", () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let accessToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServerProcess({ db: database.url, args: ['--demo', '--json'] });
    const demo = server.stdout.map(parseJson).find((line) => line?.demo)?.demo as Record<string, string>;
    const token = execFileSync('curl', [
      '-s',
      '-X',
      'POST',
      `${server.url}/oauth/token`,
      '-d',
      'grant_type=client_credentials',
      '-d',
      `client_id=${demo.client_id}`,
      '-d',
      `client_secret=${demo.client_secret}`,
    ]);
    accessToken = JSON.parse(token.toString()).access_token;
  });
  afterAll(async () => {
    await server.stop();
    await database.drop();
  });

  const url = (documented: string) => documented.replace(PRODUCTION, server.url);

  it('cURL: get, then update, with the documented headers and bodies', () => {
    const get = execFileSync('curl', [
      '-s',
      '-i',
      '-X',
      'GET',
      url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'),
      '-H',
      `Authorization: Bearer ${accessToken}`,
      '-H',
      'x-partner-trace-id: 550e8400-e29b-41d4-a716-123456789000',
    ]).toString();
    expect(get).toMatch(/^HTTP\/1.1 200/);
    expect(get).toMatch(/x-partner-trace-id: 550e8400-e29b-41d4-a716-123456789000/i);
    expect(JSON.parse(get.slice(get.indexOf('\r\n\r\n') + 4))).toEqual({
      site_id: 1,
      external_site_id: '1234567890',
      name: 'Gangnam Headquarters',
      security_type: 1,
    });

    const patch = execFileSync('curl', [
      '-s',
      '-X',
      'PATCH',
      url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'),
      '-H',
      'Content-Type: application/json',
      '-H',
      `Authorization: Bearer ${accessToken}`,
      '-H',
      'x-partner-trace-id: 550e8400-e29b-41d4-a716-123456789000',
      '-d',
      '{\n    "security_type": 3\n  }',
    ]).toString();
    expect(JSON.parse(patch)).toEqual({
      site_id: 1,
      external_site_id: '1234567890',
      name: 'Gangnam Headquarters',
      security_type: 3,
    });
  });

  it('JavaScript: the fetch example', async () => {
    const response = await fetch(
      url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'),
      {
        headers: {
          Authorization: `Bearer ${accessToken}`,
          'x-partner-trace-id': '550e8400-e29b-41d4-a716-123456789000',
        },
      },
    );
    const settings = (await response.json()) as { security_type: number };
    expect(settings.security_type).toEqual(expect.any(Number));

    const updateResponse = await fetch(
      url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'),
      {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${accessToken}`,
          'x-partner-trace-id': '550e8400-e29b-41d4-a716-123456789000',
        },
        body: JSON.stringify({ security_type: 3 }),
      },
    );
    const updated = (await updateResponse.json()) as { security_type: number };
    expect(updated.security_type).toBe(3);
  });

  // The Python example needs the `requests` package; machines without it cannot run the example
  // as written, so the test says so (and how to enable it) instead of silently passing.
  const hasRequests = spawnSync('python3', ['-c', 'import requests']).status === 0;
  it.skipIf(!hasRequests)(
    'Python: the requests example (needs python3 with requests: pip install requests)',
    () => {
      // Set back to 1 first (not part of the example), so that its update to 3 is seen to change it.
      const reset = execFileSync('curl', [
        '-s',
        '-X',
        'PATCH',
        `${server.url}/partner/v1/dealers/12345/sites/1/arming-settings`,
        '-H',
        'Content-Type: application/json',
        '-H',
        `Authorization: Bearer ${accessToken}`,
        '-d',
        '{"security_type":1}',
      ]);
      expect(JSON.parse(reset.toString())).toMatchObject({ security_type: 1 });
      const script = `
import requests
access_token = ${JSON.stringify(accessToken)}
response = requests.get(
    ${JSON.stringify(url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'))},
    headers={
        "Authorization": f"Bearer {access_token}",
        "x-partner-trace-id": "550e8400-e29b-41d4-a716-123456789000"
    }
)
settings = response.json()
print(f"Current security type: {settings['security_type']}")
update_response = requests.patch(
    ${JSON.stringify(url('https://api.chekt.com/partner/v1/dealers/12345/sites/1/arming-settings'))},
    headers={
        "Content-Type": "application/json",
        "Authorization": f"Bearer {access_token}",
        "x-partner-trace-id": "550e8400-e29b-41d4-a716-123456789000"
    },
    json={
        "security_type": 3
    }
)
updated = update_response.json()
print(f"Updated security type: {updated['security_type']}")
`;
      const output = execFileSync('python3', ['-c', script]).toString();
      expect(output).toBe('Current security type: 1\nUpdated security type: 3\n');
    },
  );
});
