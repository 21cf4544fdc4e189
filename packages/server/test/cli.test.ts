import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClient, listGrantedDealerIds } from '../src/store/repositories/clients.js';
import { openStore } from '../src/store/store.js';
import { runCli, startCli, startCliWithoutReader } from './support/cli.js';
import { createTestDatabase, type TestDatabase, testBackend } from './support/database.js';
import { demoSiteAnswer, waitForDemo } from './support/demo.js';
import { call } from './support/http.js';
import { failEvery, stopFailing } from './support/injected-failure.js';
import { fetchToken } from './support/provision.js';
import { parseJson, type ServerProcess, startServerProcess } from './support/server-process.js';

describe('the operator CLI, chekt-partner', () => {
  let database: TestDatabase;
  const cli = (...args: string[]) => runCli([...args, '--db', database.url]);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('dealer add: human and --json output; a duplicate is refused with exit 1', () => {
    const added = cli('dealer', 'add', '12345', '--name', 'Acme Alarms');
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('dealer 12345 "Acme Alarms" added');
    const json = cli('dealer', 'add', '777', '--name', 'Other', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ dealer_id: 777, name: 'Other' });
    const again = cli('dealer', 'add', '12345', '--name', 'Acme Alarms');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('site add: defaults to the next id and type 1; takes --site-id and a type by number or name', () => {
    const first = JSON.parse(
      cli('site', 'add', '--dealer', '12345', '--external-id', 'ext-1', '--name', 'One', '--json').stdout,
    );
    expect(first).toEqual({
      dealer_id: 12345,
      site_id: 1,
      external_site_id: 'ext-1',
      name: 'One',
      security_type: 1,
    });
    const second = JSON.parse(
      cli(
        'site',
        'add',
        '--dealer',
        '12345',
        '--external-id',
        'ext-2',
        '--name',
        'Two',
        '--site-id',
        '40',
        '--security-type',
        'video',
        '--json',
      ).stdout,
    );
    expect(second).toMatchObject({ site_id: 40, security_type: 3 });
    const human = cli(
      'site',
      'add',
      '--dealer',
      '12345',
      '--external-id',
      'ext-3',
      '--name',
      'Three',
      '--security-type',
      '4',
    );
    expect(human.stdout).toContain(
      'site 41 "Three" added to dealer 12345 (security type 4: Alarm.com Security System)',
    );
    const duplicate = cli('site', 'add', '--dealer', '12345', '--external-id', 'ext-1', '--name', 'Dup');
    expect(duplicate.status).toBe(1);
    const noDealer = cli('site', 'add', '--dealer', '555', '--external-id', 'x', '--name', 'X');
    expect(noDealer.status).toBe(1);
    expect(noDealer.stderr).toContain('no dealer with id 555');
  });

  it('client add: prints credentials once; only a hash is stored; grants as asked', async () => {
    // A dealer named twice is granted, and reported, once.
    const added = cli(
      'client',
      'add',
      '--name',
      'app',
      '--dealer',
      '12345',
      '--dealer',
      '777',
      '--dealer',
      '12345',
      '--json',
    );
    expect(added.status).toBe(0);
    const credentials = JSON.parse(added.stdout);
    expect(credentials).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      dealers: [12345, 777],
    });
    expect(credentials.client_secret.length).toBeGreaterThanOrEqual(40);
    const platform = JSON.parse(cli('client', 'add', '--name', 'platform', '--all-dealers', '--json').stdout);
    expect(platform.dealers).toBe('all');

    const store = await openStore(database.url);
    try {
      const row = await findClient(store.db, credentials.client_id);
      expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row?.secret_hash).not.toContain(credentials.client_secret);
      expect((await listGrantedDealerIds(store.db, credentials.client_id)).sort((a, b) => a - b)).toEqual([
        777, 12345,
      ]);
    } finally {
      await store.close();
    }
  });

  it('client revoke: revokes; an unknown client is exit 1', () => {
    const created = JSON.parse(cli('client', 'add', '--name', 'tmp', '--dealer', '12345', '--json').stdout);
    const revoked = cli('client', 'revoke', created.client_id, '--json');
    expect(revoked.status).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ client_id: created.client_id, revoked: true });
    expect(cli('client', 'revoke', 'cp_nobody').status).toBe(1);
  });

  it('site add: an external id of 255 characters is kept whole on either backend, even of 4-byte ones', () => {
    const longest = '😀'.repeat(255);
    const added = cli(
      'site',
      'add',
      '--dealer',
      '12345',
      '--external-id',
      longest,
      '--name',
      'Long',
      '--json',
    );
    expect(added.status).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ external_site_id: longest });
  });

  it.each([
    ['a non-numeric dealer id', ['dealer', 'add', 'abc', '--name', 'x']],
    ['a missing --name', ['dealer', 'add', '1']],
    [
      'an out-of-range security type',
      ['site', 'add', '--dealer', '12345', '--external-id', 'q', '--name', 'Q', '--security-type', '5'],
    ],
    [
      'an external id over 255 characters',
      ['site', 'add', '--dealer', '12345', '--external-id', 'é'.repeat(256), '--name', 'Long'],
    ],
    ['a client with no dealer scope', ['client', 'add', '--name', 'x']],
    ['a client with both scopes', ['client', 'add', '--name', 'x', '--dealer', '1', '--all-dealers']],
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['dealer', 'add', '9', '--name', 'x', '--colour', 'red']],
    ['a bad database URL', ['dealer', 'add', '9', '--name', 'x', '--db', 'mysql://x']],
  ])('bad arguments: %s -> message on stderr, exit 2', (_label, args) => {
    const result = runCli([...args, ...(args.includes('--db') ? [] : ['--db', database.url])]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error/i);
    expect(result.stdout).toBe('');
  });

  it('serve --demo seeds the example once and prints working credentials and a curl command', async () => {
    const demoDb = await createTestDatabase();
    try {
      let server = await startServerProcess({ db: demoDb.url, args: ['--demo'] });
      // The banner is on stderr, which may arrive after the listening line on stdout.
      await expect.poll(() => server.stderr.join('\n'), { timeout: 5000 }).toContain('Or in a browser');
      const banner = server.stderr.join('\n');
      expect(banner).toContain('client_id:     demo-client');
      expect(banner).toMatch(
        /curl "http:\/\/127\.0\.0\.1:\d+\/partner\/v1\/dealers\/12345\/sites\/1\/arming-settings"/,
      );
      // The command as pasted into a shell. Its stderr is kept (in the error, should it fail): its
      // last curl, writing to a pipe rather than a terminal, shows a progress meter there, which
      // would otherwise land in the middle of `npm test`'s output.
      const tryIt = /Try it:\n([\s\S]*?)\n\n/.exec(banner)?.[1] as string;
      const pasted = execFileSync('bash', ['-c', tryIt], { encoding: 'utf8', stdio: 'pipe' });
      expect(JSON.parse(pasted)).toMatchObject({
        site_id: 1,
        security_type: 1,
      });
      const secret = /client_secret: (\S+)/.exec(banner)?.[1] as string;
      const token = await fetchToken(server.url, { clientId: 'demo-client', clientSecret: secret });
      const read = await call(server.url, '/partner/v1/dealers/12345/sites/1/arming-settings', { token });
      expect(read.body).toEqual({
        site_id: 1,
        external_site_id: '1234567890',
        name: 'Gangnam Headquarters',
        security_type: 1,
      });
      await call(server.url, '/partner/v1/dealers/12345/sites/1/arming-settings', {
        method: 'PATCH',
        token,
        headers: { 'content-type': 'application/json' },
        body: '{"security_type":2}',
      });
      await server.stop();

      // A second --demo start seeds nothing again (the change survives) and renews the secret.
      server = await startServerProcess({ db: demoDb.url, args: ['--demo', '--json'] });
      const demo = server.stdout.map(parseJson).find((line) => line?.demo)?.demo as Record<string, string>;
      expect(demo.client_secret).not.toBe(secret);
      const again = await fetchToken(server.url, {
        clientId: demo.client_id as string,
        clientSecret: demo.client_secret as string,
      });
      const reread = await call(server.url, demo.path as string, { token: again });
      expect((reread.body as { security_type: number }).security_type).toBe(2);
      await server.stop();
    } finally {
      await demoDb.drop();
    }
  });

  // The page sends its requests to the server /openapi.json names (ISSUER_URL when set), and its
  // Content-Security-Policy lets it connect to its own origin only: opened anywhere else, its
  // Authorize and Try it out are blocked.
  it('serve --demo with ISSUER_URL names the /docs page on the origin its requests go to', async () => {
    const demoDb = await createTestDatabase();
    try {
      const server = await startServerProcess({
        db: demoDb.url,
        args: ['--demo'],
        env: { ISSUER_URL: 'https://gateway.example.com/chekt' },
      });
      try {
        await expect.poll(() => server.stderr.join('\n'), { timeout: 5000 }).toContain('Or in a browser');
        const docsUrl = /Or in a browser: (\S+)/.exec(server.stderr.join('\n'))?.[1] as string;
        const document = (await call(server.url, '/openapi.json')).body as { servers: { url: string }[] };
        expect(docsUrl).toBe('https://gateway.example.com/chekt/docs');
        expect(new URL(docsUrl).origin).toBe(new URL(document.servers[0]?.url ?? '').origin);
      } finally {
        await server.stop();
      }
    } finally {
      await demoDb.drop();
    }
  });

  it('serve --demo that cannot listen still prints the secret it renewed, which the running server takes', async () => {
    const demoDb = await createTestDatabase();
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess({ db: demoDb.url, args: ['--demo', '--json'] });
      const first = await waitForDemo(server);
      const port = new URL(server.url).port;
      const second = await startCli(['serve', '--demo', '--port', port, '--db', demoDb.url]);
      expect(second.status).toBe(1);
      const renewed = /client_secret: (\S+)/.exec(second.stderr)?.[1] as string;
      expect(renewed).toBeDefined();
      expect(renewed).not.toBe(first.client_secret);
      // The running server shares the database: the renewed secret is the one that works now.
      const token = await fetchToken(server.url, { clientId: 'demo-client', clientSecret: renewed });
      expect((await call(server.url, first.path, { token })).status).toBe(200);
    } finally {
      // Also when an assertion failed: the server must not outlive the test.
      await server?.stop();
      await demoDb.drop();
    }
  });

  it('a command group without its subcommand prints the help and exits 2: a script must not take it for success', () => {
    for (const args of [[], ['dealer'], ['client'], ['site']]) {
      const result = runCli(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('Usage:');
    }
    expect(runCli(['--help']).status).toBe(0);
  });

  it("serve's help says what its --json prints: stdout carries the JSON log lines whatever the flag", () => {
    const help = (...args: string[]) => runCli([...args, '--help']).stdout.replace(/\s+/g, ' ');
    expect(help('serve')).toContain(
      '--json with --demo, print its credentials as one JSON line on stdout, before the JSON log lines',
    );
    expect(help('serve')).not.toContain('print one JSON document');
    expect(help('dealer', 'add')).toContain('--json print one JSON document on stdout');
  });

  it('site add stops with exit 1 once the largest site id is taken, free ids below it or not', async () => {
    // The help says what the default is: one above the largest, not the lowest id still free.
    expect(runCli(['site', 'add', '--help']).stdout).toContain('(default: largest so far + 1)');
    const fullDb = await createTestDatabase();
    try {
      const onFull = (...args: string[]) => runCli([...args, '--db', fullDb.url]);
      expect(onFull('dealer', 'add', '7', '--name', 'Other').status).toBe(0);
      const last = onFull(
        'site',
        'add',
        '--dealer',
        '7',
        '--external-id',
        'a',
        '--name',
        'A',
        '--site-id',
        '2147483647',
      );
      expect(last.status).toBe(0);
      const next = onFull('site', 'add', '--dealer', '7', '--external-id', 'b', '--name', 'B');
      expect(next.status).toBe(1);
      expect(next.stderr).toContain('give --site-id');
      expect(
        onFull('site', 'add', '--dealer', '7', '--external-id', 'b', '--name', 'B', '--site-id', '5').status,
      ).toBe(0);
    } finally {
      await fullDb.drop();
    }
  });

  it('serve --demo on a database whose site 1 is taken stops with exit 1 and writes nothing', async () => {
    const takenDb = await createTestDatabase();
    try {
      const onTaken = (...args: string[]) => runCli([...args, '--db', takenDb.url]);
      expect(onTaken('dealer', 'add', '7', '--name', 'Other').status).toBe(0);
      expect(
        onTaken('site', 'add', '--dealer', '7', '--external-id', 'x', '--name', 'X', '--site-id', '1').status,
      ).toBe(0);
      const demo = onTaken('serve', '--demo', '--port', '0');
      expect(demo.status).toBe(1);
      expect(demo.stderr).toContain('site id 1 is already taken');
      // Not even the demo's dealer was added: it can still be added by hand.
      expect(onTaken('dealer', 'add', '12345', '--name', 'Example').status).toBe(0);
    } finally {
      await takenDb.drop();
    }
  });

  it('serve --demo stopped halfway through seeding leaves nothing, and the next --demo seeds it whole', async () => {
    const demoDb = await createTestDatabase();
    try {
      const setUp = async (change: (db: Kysely<unknown>) => Promise<void>) => {
        const store = await openStore(demoDb.url);
        try {
          await change(store.db as Kysely<unknown>);
        } finally {
          await store.close();
        }
      };
      // The demo dealer goes in first, then its site: the site's insert fails.
      await setUp((db) => failEvery(db, demoDb.backend, 'insert', 'sites'));
      const failed = runCli(['serve', '--demo', '--port', '0', '--db', demoDb.url]);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain('injected failure');
      await setUp((db) => stopFailing(db, demoDb.backend, 'sites'));

      const server = await startServerProcess({ db: demoDb.url, args: ['--demo', '--json'] });
      try {
        expect((await demoSiteAnswer(server)).body).toMatchObject({
          site_id: 1,
          name: 'Gangnam Headquarters',
        });
      } finally {
        await server.stop();
      }
    } finally {
      await demoDb.drop();
    }
  });

  it('serve --demo on a database an older version left with the demo dealer but not its site seeds the site', async () => {
    const demoDb = await createTestDatabase();
    try {
      // What an older version's --demo left when it stopped between the dealer and the site.
      expect(runCli(['dealer', 'add', '12345', '--name', 'Demo Dealer', '--db', demoDb.url]).status).toBe(0);
      const server = await startServerProcess({ db: demoDb.url, args: ['--demo', '--json'] });
      try {
        const printed = await demoSiteAnswer(server);
        expect(printed.status).toBe(200);
        expect(printed.body).toMatchObject({ site_id: 1, name: 'Gangnam Headquarters' });
      } finally {
        await server.stop();
      }
    } finally {
      await demoDb.drop();
    }
  });

  it('site adds started together without --site-id each get an id of their own', async () => {
    expect(cli('dealer', 'add', '4242', '--name', 'Busy').status).toBe(0);
    const adds = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        startCli([
          'site',
          'add',
          '--dealer',
          '4242',
          '--external-id',
          `busy-${i}`,
          '--name',
          `Busy ${i}`,
          '--json',
          '--db',
          database.url,
        ]),
      ),
    );
    expect(adds.map((add) => [add.status, add.stderr])).toEqual(adds.map(() => [0, '']));
    const ids = adds.map((add) => (JSON.parse(add.stdout) as { site_id: number }).site_id);
    expect(new Set(ids).size).toBe(6);
  });

  it.runIf(testBackend() === 'sqlite')(
    'commands started together on a new SQLite file all succeed: its migrations take turns',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chekt-new-file-'));
      try {
        for (let round = 0; round < 16; round += 1) {
          const db = `sqlite:${join(dir, `round-${round}.db`)}`;
          const results = await Promise.all([
            startCli(['dealer', 'add', '100', '--name', 'A', '--db', db]),
            startCli(['dealer', 'add', '101', '--name', 'B', '--db', db]),
          ]);
          expect(results.map((result) => [result.status, result.stderr])).toEqual([
            [0, ''],
            [0, ''],
          ]);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    // 32 processes, two at a time: 27 s on a 2-core machine doing other work; 30 s was too tight.
    120_000,
  );

  it('an option followed by a flag instead of its value is a usage error, not a value (an empty $NAME)', () => {
    const swallowedJson = cli('dealer', 'add', '5150', '--name', '--json');
    expect(swallowedJson.status).toBe(2);
    expect(JSON.parse(swallowedJson.stdout)).toEqual({
      error: { code: 'usage', message: '--name needs a value, but the next word is the flag --json' },
    });
    const swallowedFlag = cli('client', 'add', '--name', '--all-dealers');
    expect(swallowedFlag.status).toBe(2);
    expect(swallowedFlag.stderr).toContain(
      '--name needs a value, but the next word is the flag --all-dealers',
    );
    const swallowedDealer = cli('client', 'add', '--name', 'x', '--dealer', '--json');
    expect(swallowedDealer.status).toBe(2);
    expect(JSON.parse(swallowedDealer.stdout).error.code).toBe('usage');
    // Before commander's own checks, which would blame the flag swallowed or the word after it.
    const swallowedRequired = cli('site', 'add', '--dealer', '--external-id', 'x', '--name', 'y', '--json');
    expect(swallowedRequired.status).toBe(2);
    expect(JSON.parse(swallowedRequired.stdout)).toEqual({
      error: {
        code: 'usage',
        message: '--dealer needs a value, but the next word is the flag --external-id',
      },
    });
    const swallowedDb = cli('dealer', 'add', '5150', '--name', '--db', database.url);
    expect(swallowedDb.status).toBe(2);
    expect(swallowedDb.stderr).toContain('--name needs a value, but the next word is the flag --db');
    // Nothing was added.
    expect(cli('dealer', 'add', '5150', '--name', 'Later', '--json').status).toBe(0);
  });

  it('an option given two values is a usage error naming it, and nothing is written', () => {
    expect(cli('dealer', 'add', '7070', '--name', 'Twice', '--json').status).toBe(0);
    const twoDealers = cli(
      'site',
      'add',
      '--dealer',
      '7070',
      '--dealer',
      '12345',
      '--external-id',
      'twice',
      '--name',
      'T',
      '--json',
    );
    expect(twoDealers.status).toBe(2);
    expect(JSON.parse(twoDealers.stdout)).toEqual({
      error: { code: 'usage', message: '--dealer was given twice: give it once' },
    });
    const twoTypes = cli(
      'site',
      'add',
      '--dealer',
      '7070',
      '--external-id',
      'twice',
      '--name',
      'T',
      '--security-type',
      '1',
      '--security-type',
      '4',
    );
    expect(twoTypes.status).toBe(2);
    expect(twoTypes.stderr).toContain('--security-type was given twice');
    expect(cli('dealer', 'add', '7071', '--name', 'A', '--name', 'B').stderr).toContain(
      '--name was given twice',
    );
    // --db given twice, the second a file that does not exist: not created.
    const dir = mkdtempSync(join(tmpdir(), 'chekt-two-dbs-'));
    try {
      const other = `sqlite:${join(dir, 'other.db')}`;
      const twoDbs = cli('dealer', 'add', '7072', '--name', 'A', '--db', other);
      expect(twoDbs.status).toBe(2);
      expect(twoDbs.stderr).toContain('--db was given twice');
      expect(existsSync(join(dir, 'other.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Nothing was added: the site's external id and both dealers are still free.
    expect(
      cli('site', 'add', '--dealer', '7070', '--external-id', 'twice', '--name', 'Once', '--json').status,
    ).toBe(0);
    expect(cli('dealer', 'add', '7071', '--name', 'Once').status).toBe(0);
    expect(cli('dealer', 'add', '7072', '--name', 'Once').status).toBe(0);
    // A list takes any number of values.
    expect(
      cli('client', 'add', '--name', 'Both', '--dealer', '7070', '--dealer', '7071', '--json').status,
    ).toBe(0);
  });

  it('an empty or blank name or external id (a quoted $NAME left unset) is a usage error, and nothing is written', () => {
    for (const name of ['', '   ']) {
      const dealer = cli('dealer', 'add', '6060', '--name', name);
      expect(dealer.status).toBe(2);
      expect(dealer.stderr).toContain('--name must not be empty');
      const client = cli('client', 'add', '--name', name, '--all-dealers', '--json');
      expect(client.status).toBe(2);
      expect(JSON.parse(client.stdout)).toEqual({
        error: { code: 'usage', message: '--name must not be empty' },
      });
    }
    expect(cli('dealer', 'add', '6060', '--name', 'Named', '--json').status).toBe(0);
    const site = cli('site', 'add', '--dealer', '6060', '--external-id', ' ', '--name', 'Site');
    expect(site.status).toBe(2);
    expect(site.stderr).toContain('--external-id must not be empty');
    const unnamed = cli('site', 'add', '--dealer', '6060', '--external-id', 'ext-1', '--name', '');
    expect(unnamed.status).toBe(2);
    expect(unnamed.stderr).toContain('--name must not be empty');
    // Neither was added: the first site of dealer 6060 is still to come.
    const added = cli(
      'site',
      'add',
      '--dealer',
      '6060',
      '--external-id',
      'ext-1',
      '--name',
      'Site',
      '--json',
    );
    expect(added.status).toBe(0);
  });

  it('an id out of range says what the range is', () => {
    const result = cli('dealer', 'add', '2147483648', '--name', 'Too far');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('dealerId must be an integer from 1 to 2147483647, got "2147483648"');
  });

  it('--json: a failure is one JSON document on stdout too, with a stable code a script can branch on', () => {
    const failure = (result: ReturnType<typeof cli>) => ({
      status: result.status,
      error: (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error,
    });
    expect(cli('dealer', 'add', '4040', '--name', 'Once', '--json').status).toBe(0);
    const duplicate = cli('dealer', 'add', '4040', '--name', 'Twice', '--json');
    expect(failure(duplicate)).toEqual({
      status: 1,
      error: { code: 'dealer_exists', message: 'dealer 4040 already exists' },
    });
    expect(duplicate.stderr).toContain('dealer 4040 already exists');
    expect(failure(cli('client', 'revoke', 'cp_nobody', '--json'))).toMatchObject({
      status: 1,
      error: { code: 'client_not_found' },
    });
    expect(
      failure(cli('site', 'add', '--dealer', '999999', '--external-id', 'x', '--name', 'X', '--json')),
    ).toMatchObject({
      status: 1,
      error: { code: 'dealer_not_found' },
    });
    expect(failure(cli('dealer', 'add', 'abc', '--name', 'X', '--json'))).toMatchObject({
      status: 2,
      error: { code: 'usage' },
    });
    expect(failure(cli('dealer', 'add', '1', '--json'))).toMatchObject({
      status: 2,
      error: { code: 'usage' },
    });
    // Commander refuses a value for the flag, but the call asked for JSON all the same.
    expect(failure(cli('dealer', 'add', '1', '--name', 'X', '--json=true'))).toMatchObject({
      status: 2,
      error: { code: 'usage' },
    });
    // Nothing listens on port 1: the database cannot be reached, which a script may retry.
    const unreachable = runCli([
      'dealer',
      'add',
      '1',
      '--name',
      'X',
      '--json',
      '--db',
      'postgres://u@127.0.0.1:1/x',
    ]);
    expect(failure(unreachable)).toMatchObject({ status: 1, error: { code: 'database_unavailable' } });
    expect(failure(runCli(['dealer', 'add', '--json']))).toMatchObject({
      status: 2,
      error: { code: 'usage', message: "required option '--name <name>' not specified" },
    });
    // Without --json, stdout stays empty: the message is on stderr.
    expect(cli('dealer', 'add', '4040', '--name', 'Twice').stdout).toBe('');
  });

  it("output nobody reads any more (a closed pipe) is dropped: the exit code is the command's own", async () => {
    const added = await startCliWithoutReader([
      'dealer',
      'add',
      '6061',
      '--name',
      'Piped',
      '--json',
      '--db',
      database.url,
    ]).exited;
    expect(added).toEqual({ status: 0, stderr: '' });
    const duplicate = await startCliWithoutReader([
      'dealer',
      'add',
      '6061',
      '--name',
      'Piped',
      '--json',
      '--db',
      database.url,
    ]).exited;
    expect(duplicate).toEqual({ status: 1, stderr: 'error: dealer 6061 already exists\n' });
    // The dealer was added once, by the first command.
    expect(cli('dealer', 'add', '6061', '--name', 'Again', '--json').status).toBe(1);

    // serve --demo --json writes its credentials to stdout as it starts: it must go on serving.
    const demoDb = await createTestDatabase();
    const server = startCliWithoutReader(['serve', '--demo', '--json', '--port', '0', '--db', demoDb.url]);
    try {
      await expect
        .poll(server.stderr, { timeout: 10000 })
        .toContain('log lines could not be written (EPIPE)');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(server.child.exitCode).toBeNull();
      server.child.kill('SIGTERM');
      expect((await server.exited).status).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await demoDb.drop();
    }
  });

  it('serve: a database or an address it cannot use stops it with exit 1, naming which', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chekt-not-a-db-'));
    try {
      const file = join(dir, 'notes.db');
      writeFileSync(file, 'not a database, just some notes\n'.repeat(200));
      const notSqlite = runCli(['serve', '--port', '0', '--db', `sqlite:${file}`]);
      expect(notSqlite.status).toBe(1);
      expect(notSqlite.stderr).toContain(`database sqlite:${file}: file is not a database`);
      const badHost = runCli([
        'serve',
        '--port',
        '0',
        '--host',
        'no-such-host.invalid',
        '--db',
        database.url,
      ]);
      expect(badHost.status).toBe(1);
      // Named as given: the flags, which no HOST or PORT variable would fix.
      expect(badHost.stderr).toContain('cannot listen on host no-such-host.invalid, port 0');
      expect(badHost.stderr).not.toMatch(/HOST|PORT/);
      // A setting to fix, not a database to wait for (its ENOTFOUND is no database's).
      const badHostJson = runCli([
        'serve',
        '--port',
        '0',
        '--host',
        'no-such-host.invalid',
        '--json',
        '--db',
        database.url,
      ]);
      expect(JSON.parse(badHostJson.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
        error: { code: 'failed' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a command that needs a dealer or a client refuses a SQLite file that does not exist, and creates none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chekt-missing-db-'));
    try {
      const db = `sqlite:${join(dir, 'typo', 'partner.db')}`;
      const codeOf = (result: ReturnType<typeof runCli>) => ({
        status: result.status,
        code: (JSON.parse(result.stdout) as { error: { code: string } }).error.code,
      });
      const site = runCli([
        'site',
        'add',
        '--dealer',
        '5',
        '--external-id',
        'x',
        '--name',
        'X',
        '--json',
        '--db',
        db,
      ]);
      expect(codeOf(site)).toEqual({ status: 1, code: 'dealer_not_found' });
      expect(site.stderr).toContain('does not exist yet');
      expect(codeOf(runCli(['client', 'revoke', 'cp_x', '--json', '--db', db]))).toEqual({
        status: 1,
        code: 'client_not_found',
      });
      expect(codeOf(runCli(['client', 'add', '--name', 'c', '--dealer', '5', '--json', '--db', db]))).toEqual(
        {
          status: 1,
          code: 'dealer_not_found',
        },
      );
      expect(existsSync(join(dir, 'typo'))).toBe(false);
      // Adding a dealer is how a new database begins.
      expect(runCli(['dealer', 'add', '5', '--name', 'Five', '--db', db]).status).toBe(0);
      expect(
        runCli(['site', 'add', '--dealer', '5', '--external-id', 'x', '--name', 'X', '--db', db]).status,
      ).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every command runs against DATABASE_URL when --db is not given, and --db wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chekt-database-url-'));
    try {
      const env = { DATABASE_URL: `sqlite:${join(dir, 'from-env.db')}` };
      const flag = `sqlite:${join(dir, 'from-flag.db')}`;
      expect(runCli(['dealer', 'add', '8', '--name', 'Eight'], env).status).toBe(0);
      const site = runCli(
        ['site', 'add', '--dealer', '8', '--external-id', 'e', '--name', 'E', '--json'],
        env,
      );
      expect(JSON.parse(site.stdout)).toMatchObject({ dealer_id: 8, site_id: 1 });
      const client = runCli(['client', 'add', '--name', 'c', '--dealer', '8', '--json'], env);
      const clientId = (JSON.parse(client.stdout) as { client_id: string }).client_id;
      expect(runCli(['client', 'revoke', clientId], env).status).toBe(0);

      expect(runCli(['dealer', 'add', '8', '--name', 'Eight', '--db', flag], env).status).toBe(0);
      expect(existsSync(join(dir, 'from-flag.db'))).toBe(true);
      const invalid = runCli(['dealer', 'add', '9', '--name', 'Nine'], { DATABASE_URL: 'mysql://x' });
      expect(invalid.status).toBe(2);
      expect(invalid.stderr).toContain('DATABASE_URL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serve: a bad flag value stops with exit 2 and names the flag it came from', () => {
    const result = runCli(['serve', '--port', 'eighty', '--db', database.url]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--port must be an integer from 0 to 65535, got "eighty"');
  });
});
