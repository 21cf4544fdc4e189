import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { armingSettingsPath, READINESS_PATH } from '@chekt-partner/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../src/oauth/signing-keys.js';
import { openStore } from '../src/store/store.js';
import { runCli } from './support/cli.js';
import { testBackend } from './support/database.js';
import { call, patchJson } from './support/http.js';
import { addClient, fetchToken, seedExample } from './support/provision.js';
import { CLI_PATH, parseJson, startServerProcess } from './support/server-process.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

// The file holds the token-signing private key: whoever reads it can sign a token for any client.
describe.skipIf(testBackend() !== 'sqlite')('the SQLite database file (it holds the signing key)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chekt-db-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created readable by its owner only, with its -wal and -shm files, in a folder only its owner opens', async () => {
    const file = join(dir, 'new', 'folder', 'partner.db');
    const store = await openStore(`sqlite:${file}`);
    try {
      expect(store.warnings).toEqual([]);
      expect(modeOf(join(dir, 'new'))).toBe(0o700);
      expect(modeOf(join(dir, 'new', 'folder'))).toBe(0o700);
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path), path).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('is as private when its path is a symbolic link to a file not made yet', async () => {
    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'partner.db');
    symlinkSync(real, join(dir, 'partner.db'));
    expect(
      runCli(['dealer', 'add', '1', '--name', 'One', '--db', `sqlite:${join(dir, 'partner.db')}`]).status,
    ).toBe(0);
    expect(modeOf(real)).toBe(0o600);
    const store = await openStore(`sqlite:${join(dir, 'partner.db')}`);
    try {
      expect(store.warnings).toEqual([]);
      for (const path of [real, `${real}-wal`, `${real}-shm`]) expect(modeOf(path), path).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('an existing file keeps its mode; one open to other users is warned about when the server starts', async () => {
    const file = join(dir, 'partner.db');
    expect(runCli(['dealer', 'add', '1', '--name', 'One', '--db', `sqlite:${file}`]).status).toBe(0);
    expect(modeOf(file)).toBe(0o600);
    chmodSync(file, 0o644);

    const server = await startServerProcess({ db: `sqlite:${file}` });
    const warnings = server.stdout.map(parseJson).filter((line) => line?.level === 40);
    expect(await server.stop()).toBe(0);
    expect(modeOf(file)).toBe(0o644);
    // SQLite gives the -wal and -shm files the database file's mode: one warning names all three.
    expect(warnings.map((line) => line?.msg)).toEqual([
      `database files open to other users hold the token-signing key: ${file} (mode 0644), ` +
        `${file}-wal (mode 0644), ${file}-shm (mode 0644); chmod 600 ${file} and its -wal and -shm files`,
    ]);
  });

  it('a -wal or -shm file left open to other users is warned about too', async () => {
    const file = join(dir, 'partner.db');
    const store = await openStore(`sqlite:${file}`);
    try {
      chmodSync(`${file}-wal`, 0o640);
      const reopened = await openStore(`sqlite:${file}`);
      await reopened.close();
      expect(reopened.warnings).toEqual([
        `database files open to other users hold the token-signing key: ${file}-wal (mode 0640); ` +
          `chmod 600 ${file} and its -wal and -shm files`,
      ]);
    } finally {
      await store.close();
    }
  });

  it('a -wal file open to other users is found beside the real file when the path is a symbolic link', async () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real', 'partner.db'), join(dir, 'partner.db'));
    const store = await openStore(`sqlite:${join(dir, 'partner.db')}`);
    try {
      const wal = join(dir, 'real', 'partner.db-wal');
      chmodSync(wal, 0o640);
      const reopened = await openStore(`sqlite:${join(dir, 'partner.db')}`);
      await reopened.close();
      expect(reopened.warnings).toHaveLength(1);
      expect(reopened.warnings[0]).toContain(`${wal} (mode 0640)`);
    } finally {
      await store.close();
    }
  });

  // The server's connection keeps writing the files it opened, which no path names any more: a
  // 200 would be lost at the next start, which opens whatever the path names then.
  it.each([
    ['deleted', (file: string) => rmSync(file)],
    ['replaced', (file: string) => renameSync(`${file}.copy`, file)],
    ['left without its -wal file', (file: string) => rmSync(`${file}-wal`)],
  ])('one %s while the server runs: each PATCH a 503, /readyz 503, GETs go on', async (_, mishap) => {
    const file = join(dir, 'partner.db');
    const store = await openStore(`sqlite:${file}`);
    await seedExample(store);
    const client = await addClient(store, [12345]);
    await store.close();
    copyFileSync(file, `${file}.copy`);
    const server = await startServerProcess({ db: `sqlite:${file}` });
    try {
      const token = await fetchToken(server.url, client);
      const example = armingSettingsPath(12345, 1);
      expect((await patchJson(server.url, example, token, { security_type: 2 })).status).toBe(200);
      expect((await call(server.url, READINESS_PATH)).status).toBe(200);

      mishap(file);
      const patched = await patchJson(server.url, example, token, { security_type: 3 });
      expect(patched.status).toBe(503);
      expect(patched.body).toMatchObject({ error: { code: 'service_unavailable' } });
      expect(patched.headers.get('retry-after')).toBeTruthy();
      expect((await patchJson(server.url, example, token, { security_type: 4 })).status).toBe(503);
      const readiness = await call(server.url, READINESS_PATH);
      expect(readiness.status).toBe(503);
      expect(readiness.body).toMatchObject({ error: { message: 'The database takes no writes' } });
      expect((await call(server.url, example, { token })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('one reached through a symbolic link takes writes (its -wal file is beside the real file)', async () => {
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'link'));
    symlinkSync('../real/partner.db', join(dir, 'link', 'partner.db'));
    const store = await openStore(`sqlite:${join(dir, 'link', 'partner.db')}`);
    await seedExample(store);
    const client = await addClient(store, [12345]);
    await store.close();
    const server = await startServerProcess({ db: `sqlite:${join(dir, 'link', 'partner.db')}` });
    try {
      const token = await fetchToken(server.url, client);
      const example = armingSettingsPath(12345, 1);
      expect((await patchJson(server.url, example, token, { security_type: 2 })).status).toBe(200);
      expect(existsSync(join(dir, 'real', 'partner.db-wal'))).toBe(true);
      expect((await call(server.url, READINESS_PATH)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  // root writes any file whatever its mode: as root, the server runs as nobody (setpriv, util-linux).
  const root = process.getuid?.() === 0;
  const canRunAsNobody = !root || existsSync('/usr/bin/setpriv');

  it.runIf(canRunAsNobody)(
    'one this process may not write: a warning at start, /readyz 503, and each PATCH a 503 logged as a warning, not a 500',
    async () => {
      const file = join(dir, 'partner.db');
      const store = await openStore(`sqlite:${file}`);
      await seedExample(store);
      const client = await addClient(store, [12345]);
      await loadSigningKeys(store.db); // the first start's write: a server that cannot write cannot make them
      await store.close();
      const nobody = 65534;
      if (root) {
        chmodSync(dir, 0o777);
        for (const path of [file, `${file}-wal`, `${file}-shm`]) {
          if (existsSync(path)) chownSync(path, nobody, nobody);
        }
      }
      chmodSync(file, 0o400);
      const server = await startServerProcess({
        db: `sqlite:${file}`,
        runAs: root ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'] : [],
      });
      try {
        const warnings = server.stdout.map(parseJson).filter((line) => line?.level === 40);
        expect(warnings.map((line) => line?.msg)).toContainEqual(
          expect.stringContaining(`${file} (or its -wal or -shm file) is not writable by this process`),
        );
        const readiness = await call(server.url, READINESS_PATH);
        expect(readiness.status).toBe(503);
        expect(readiness.body).toMatchObject({ error: { message: 'The database takes no writes' } });
        const token = await fetchToken(server.url, client);
        const example = armingSettingsPath(12345, 1);
        expect((await call(server.url, example, { token })).status).toBe(200);
        const patched = await patchJson(server.url, example, token, { security_type: 3 });
        expect(patched.status).toBe(503);
        expect(patched.headers.get('retry-after')).toBeTruthy();
        // An outage to mend, not a bug: the refusal says why in a warning, with no stack.
        const traceId = patched.headers.get('x-partner-trace-id');
        const linesOfPatch = () => server.stdout.map(parseJson).filter((line) => line?.trace_id === traceId);
        await expect
          .poll(() => linesOfPatch().map((line) => [line?.msg, line?.level]))
          .toEqual([
            ['database unavailable', 40],
            ['request completed', 30],
          ]);
        expect(linesOfPatch()[0]?.reason).toEqual({
          type: 'SqliteError',
          code: 'SQLITE_READONLY',
          message: 'attempt to write a readonly database',
        });
      } finally {
        await server.stop();
      }
      expect(modeOf(file)).toBe(0o400);
    },
  );

  it.runIf(canRunAsNobody)(
    'one this process may not read (a backup put back by another user) is refused as such, not as "unable to open"',
    async () => {
      const file = join(dir, 'partner.db');
      const store = await openStore(`sqlite:${file}`);
      await store.close();
      const nobody = 65534;
      // Root's file, 0600, as `(umask 077 && sqlite3 ... ".backup ...")` run by root leaves it.
      if (root) chmodSync(dir, 0o777);
      else chmodSync(file, 0o000);
      const asNobody = root ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'] : [];
      const [command = process.execPath, ...args] = [
        ...asNobody,
        process.execPath,
        CLI_PATH,
        'dealer',
        'add',
        '1',
        '--name',
        'x',
        '--db',
        `sqlite:${file}`,
      ];
      const result = spawnSync(command, args, { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`permission denied, access '${file}'`);
    },
  );

  it.runIf(canRunAsNobody)(
    'counts as not writable when its -wal file is not, where every commit goes',
    () => {
      const file = join(dir, 'partner.db');
      const wal = `${file}-wal`;
      writeFileSync(file, '');
      writeFileSync(wal, '');
      const nobody = 65534;
      if (root) {
        chmodSync(dir, 0o777);
        chownSync(file, nobody, nobody);
      }
      // Not the caller's (root) or not writable (anyone else): either way nobody may not write it.
      chmodSync(wal, 0o644);
      if (!root) chmodSync(wal, 0o444);
      const asChecker = root ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups'] : [];
      const writable = () => {
        const [command = process.execPath, ...args] = [...asChecker, process.execPath, WRITABLE_CHECK, file];
        const result = spawnSync(command, args, { encoding: 'utf8' });
        expect(result.stderr).toBe('');
        return result.stdout.trim();
      };
      expect(writable()).toBe('false');
      rmSync(wal);
      expect(writable()).toBe('true');
    },
  );
});

/** Prints whether the database at argv[2] is writable, as the built server judges it. */
const WRITABLE_CHECK = join(dirname(fileURLToPath(import.meta.url)), 'support', 'writable-database.mjs');
