import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite } from '../../server/test/support/provision.js';
import { runChekt, runChektWithoutReader } from './support/cli.js';
import { DEALER_ID, type PartnerApi, SEED_SITE, SITE_ID, startPartnerApi } from './support/partner-api.js';
import { startScriptedServer } from './support/scripted-server.js';

let api: PartnerApi;
let env: Record<string, string>;

beforeAll(async () => {
  api = await startPartnerApi();
  env = {
    CHEKT_CLIENT_ID: api.client.clientId,
    CHEKT_CLIENT_SECRET: api.client.clientSecret,
    CHEKT_BASE_URL: api.url,
  };
});
afterAll(() => api.close());

describe('chekt arming get', () => {
  it('prints the site and the type as number and name, exit 0', async () => {
    const result = await runChekt(['arming', 'get', String(DEALER_ID), String(SITE_ID)], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'Site 1 "Gangnam Headquarters" (external id 1234567890)\nSecurity type: 1 (Alarm Panel - Primary Bridge)\n',
    );
  });

  it("prints a stored name's control characters escaped: no terminal escape sequence, no fake line", async () => {
    const row = await api.server.store.db
      .insertInto('sites')
      .values({
        id: 777,
        dealer_id: DEALER_ID,
        external_site_id: 'ext\n777',
        name: 'Evil \u001b[2J\nSecurity type: 9 (fake)',
        security_type: 1,
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
        last_history_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const result = await runChekt(['arming', 'get', String(DEALER_ID), String(row.id)], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Site 777 "Evil \\u001b[2J\\u000aSecurity type: 9 (fake)" (external id ext\\u000a777)\n' +
        'Security type: 1 (Alarm Panel - Primary Bridge)\n',
    );
  });

  it('--json prints exactly one JSON document: the documented shape', async () => {
    const result = await runChekt(['arming', 'get', String(DEALER_ID), String(SITE_ID), '--json'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual(SEED_SITE);
  });

  it('takes credentials from flags, which win over the environment', async () => {
    const result = await runChekt(
      [
        'arming',
        'get',
        String(DEALER_ID),
        String(SITE_ID),
        '--client-id',
        api.client.clientId,
        '--client-secret',
        api.client.clientSecret,
        '--base-url',
        api.url,
      ],
      { CHEKT_CLIENT_SECRET: 'wrong', CHEKT_BASE_URL: 'http://127.0.0.1:1' },
    );
    expect(result.code).toBe(0);
  });

  it('sends --trace-id as x-partner-trace-id', async () => {
    const result = await runChekt(
      ['arming', 'get', String(DEALER_ID), String(SITE_ID), '--trace-id', 'cli-trace-7'],
      env,
    );
    expect(result.code).toBe(0);
    expect(api.log.apiRequests().at(-1)?.traceId).toBe('cli-trace-7');
  });
});

describe('chekt arming set', () => {
  it.each([
    ['3', 3, 'CHeKT Video Security System'],
    ['alarm-com', 4, 'Alarm.com Security System'],
    ['individual-bridge', 2, 'Alarm Panel - Individual Bridge'],
  ])('accepts "%s" and prints the stored type', async (typeArgument, number, name) => {
    const siteId = await addSite(api.server.store, DEALER_ID, `cli-set-${typeArgument}`);
    const result = await runChekt(['arming', 'set', String(DEALER_ID), String(siteId), typeArgument], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Security type set to ${number} (${name})`);
    const check = await runChekt(['arming', 'get', String(DEALER_ID), String(siteId), '--json'], env);
    expect(JSON.parse(check.stdout).security_type).toBe(number);
  });

  it('--json prints the stored settings as one document', async () => {
    const siteId = await addSite(api.server.store, DEALER_ID, 'cli-set-json');
    const result = await runChekt(
      ['arming', 'set', String(DEALER_ID), String(siteId), 'video', '--json'],
      env,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      site_id: siteId,
      external_site_id: 'cli-set-json',
      name: 'Site cli-set-json',
      security_type: 3,
    });
  });
});

describe('output nobody reads any more (a closed pipe)', () => {
  it("is dropped: the exit code is the command's own, and stderr has no stack trace", async () => {
    const siteId = await addSite(api.server.store, DEALER_ID, 'cli-set-piped');
    const set = await runChektWithoutReader(
      ['arming', 'set', String(DEALER_ID), String(siteId), 'video', '--json'],
      env,
    );
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const check = await runChekt(['arming', 'get', String(DEALER_ID), String(siteId), '--json'], env);
    expect(JSON.parse(check.stdout).security_type).toBe(3);
    const refused = await runChektWithoutReader(
      ['arming', 'get', String(DEALER_ID), '999999', '--json', '--trace-id', 'cli-piped'],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: The site does not exist under that dealer (HTTP 404, code site_not_found, trace id cli-piped)\n',
    );
  });
});

describe('exit code 1: the API refused', () => {
  it('prints the message, error code and trace id on stderr, nothing on stdout', async () => {
    const result = await runChekt(
      ['arming', 'get', String(DEALER_ID), '999999', '--trace-id', 'cli-404'],
      env,
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('site_not_found');
    expect(result.stderr).toContain('HTTP 404');
    expect(result.stderr).toContain('trace id cli-404');
  });

  it("prints a refusal's message with its control characters escaped, as it does a stored name", async () => {
    // Not this server's fixed text, but a proxy or another server on the way can say anything.
    const hostile = await startScriptedServer([
      { status: 400, body: { error: { code: 'bad_request', message: 'no\u001b[2J\nerror: fake line' } } },
    ]);
    try {
      const result = await runChekt(['arming', 'get', '1', '1'], { ...env, CHEKT_BASE_URL: hostile.url });
      expect(result.code).toBe(1);
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).toContain('no\\u001b[2J\\u000aerror: fake line');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await hostile.close();
    }
  });

  it('--json also prints the refusal as one JSON document on stdout', async () => {
    const result = await runChekt(
      ['arming', 'get', '77777', String(SITE_ID), '--json', '--trace-id', 'cli-403'],
      env,
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { status: 403, code: 'forbidden', message: expect.any(String), trace_id: 'cli-403' },
    });
    expect(result.stderr).toContain('forbidden');
  });

  it('wrong credentials: invalid_client', async () => {
    const result = await runChekt(['arming', 'get', String(DEALER_ID), String(SITE_ID)], {
      ...env,
      CHEKT_CLIENT_SECRET: 'wrong',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid_client');
  });

  it('an unreachable API is exit 1 too, with the trace id', async () => {
    // A port that was just ours and is closed again: nothing answers there.
    const closed = await startScriptedServer([]);
    await closed.close();
    const result = await runChekt(['arming', 'get', '1', '1', '--json'], {
      ...env,
      CHEKT_BASE_URL: closed.url,
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error.code).toBe('connection_failed');
  });

  it("an answer that is not the API's (a proxy's page, say) is exit 1, code unexpected_response", async () => {
    const proxy = await startScriptedServer([{ status: 200, body: { welcome: 'to the proxy' } }]);
    try {
      const result = await runChekt(['arming', 'get', '1', '1', '--json'], {
        ...env,
        CHEKT_BASE_URL: proxy.url,
      });
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).error.code).toBe('unexpected_response');
    } finally {
      await proxy.close();
    }
  });
});

describe('exit code 2: wrong usage', () => {
  it.each([
    [['arming', 'set', '12345', '1', '7'], '<type> must be 1-4'],
    [['arming', 'set', '12345', '1', 'panel'], '<type> must be 1-4'],
    [['arming', 'get', '12345'], 'expected <dealerId> <siteId>'],
    [['arming', 'get', '12345', '1', 'extra'], 'expected <dealerId> <siteId>'],
    [['arming', 'delete', '12345', '1'], 'unknown command'],
    [[], 'no command given'],
    [['arming'], 'arming needs a subcommand: arming get, arming set'],
    [['arming', 'get', '12345', '1', '--verbose'], "Unknown option '--verbose'"],
    [['arming', 'get', '12345', '1', '--trace-id', 'has space'], '--trace-id'],
    [['arming', 'get', '.', '1'], '<dealerId> cannot be "."'],
    [['arming', 'set', '12345', '..', '3'], '<siteId> cannot be ".."'],
  ])('%j', async (args, message) => {
    const result = await runChekt(args, env);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it.each([
    [['arming', 'set', '12345', '1', '7', '--json'], '<type> must be 1-4'],
    [['arming', 'get', '12345', '1', '--verbose', '--json'], "Unknown option '--verbose'"],
    [['arming', 'get', '..', '1', '--json'], '<dealerId> cannot be ".."'],
    [['arming', 'get', '12345', '1', '--json=true'], "'--json' does not take an argument"],
  ])('under --json, %j prints the usage error as one JSON document too', async (args, message) => {
    const result = await runChekt(args, env);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'usage', message: expect.stringContaining(message) },
    });
    expect(result.stderr).toContain(message);
  });

  it('missing credentials name the variable to set', async () => {
    const result = await runChekt(['arming', 'get', '12345', '1'], { CHEKT_BASE_URL: api.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CHEKT_CLIENT_ID');
  });

  it.each([
    [{ CHEKT_BASE_URL: 'api.chekt.com' }, '--base-url or CHEKT_BASE_URL must be an absolute URL'],
    [{ CHEKT_TOKEN_URL: 'chekt.com/oauth/token' }, '--token-url or CHEKT_TOKEN_URL must be an absolute URL'],
    // The credentials go where the command line takes them, not in the SDK's clientId and clientSecret.
    [
      { CHEKT_BASE_URL: 'http://demo-client:secret@127.0.0.1:8080' },
      '--base-url or CHEKT_BASE_URL must not contain credentials: pass --client-id or CHEKT_CLIENT_ID and --client-secret or CHEKT_CLIENT_SECRET',
    ],
    // The value given is quoted as it is, whatever words it holds.
    [{ CHEKT_BASE_URL: 'ftp://clientId.example' }, 'must be an http(s) URL, got "ftp://clientId.example"'],
  ])('a malformed URL (%j) is a usage error naming the flag and the variable', async (setting, message) => {
    const result = await runChekt(['arming', 'get', '12345', '1'], { ...env, ...setting });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('an option given two values is a usage error naming it, and nothing is sent', async () => {
    const before = api.log.seen.length;
    const twoUrls = await runChekt(
      [
        'arming',
        'set',
        String(DEALER_ID),
        String(SITE_ID),
        'video',
        '--base-url',
        api.url,
        '--base-url',
        api.url,
        '--json',
      ],
      env,
    );
    expect(twoUrls.code).toBe(2);
    expect(JSON.parse(twoUrls.stdout)).toEqual({
      error: { code: 'usage', message: '--base-url was given twice: give it once' },
    });
    const twoTraces = await runChekt(
      ['arming', 'get', String(DEALER_ID), String(SITE_ID), '--trace-id', 'a', '--trace-id=b'],
      env,
    );
    expect(twoTraces.code).toBe(2);
    expect(twoTraces.stderr).toContain('--trace-id was given twice');
    expect(api.log.seen.length).toBe(before);
    // A flag without a value may come twice: both say the same.
    expect(
      (await runChekt(['arming', 'get', String(DEALER_ID), String(SITE_ID), '--json', '--json'], env)).code,
    ).toBe(0);
  });

  it('a usage error sends nothing to the API', async () => {
    const before = api.log.seen.length;
    await runChekt(['arming', 'set', '12345', '1', 'nine'], env);
    expect(api.log.seen.length).toBe(before);
  });
});

describe('help', () => {
  it('--help prints the usage with the four type names, exit 0', async () => {
    const result = await runChekt(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['primary-bridge', 'individual-bridge', 'video', 'alarm-com', 'CHEKT_CLIENT_ID']) {
      expect(result.stdout).toContain(name);
    }
  });
});
