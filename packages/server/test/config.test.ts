import { describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, loadConfig, redactUrl } from '../src/config.js';

describe('configuration', () => {
  it('has defaults that need no setup', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/chekt-partner.db',
      tokenTtlSeconds: 3600,
      logLevel: 'info',
      issuerUrl: undefined,
      sqliteMmapMb: 0,
      shutdownTimeoutMs: 10000,
    });
  });

  it('reads the environment, and flags win over it; the result is frozen', () => {
    const config = loadConfig(
      {
        PORT: '9000',
        TOKEN_TTL_SECONDS: '60',
        LOG_LEVEL: 'warn',
        ISSUER_URL: 'https://partner.example.com/',
        DATABASE_URL: 'postgres://u@h/db',
        SQLITE_MMAP_MB: '256',
        SHUTDOWN_TIMEOUT_MS: '2500',
      },
      { port: '9100' },
    );
    expect(config).toMatchObject({
      port: 9100,
      tokenTtlSeconds: 60,
      logLevel: 'warn',
      issuerUrl: 'https://partner.example.com',
      databaseUrl: 'postgres://u@h/db',
      sqliteMmapMb: 256,
      shutdownTimeoutMs: 2500,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ PORT: 'x' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TOKEN_TTL_SECONDS: '0' }, 'TOKEN_TTL_SECONDS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ISSUER_URL: 'not a url' }, 'ISSUER_URL'],
    [{ ISSUER_URL: 'ftp://x' }, 'ISSUER_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SQLITE_MMAP_MB: '2048' }, 'SQLITE_MMAP_MB'],
    [{ SQLITE_MMAP_MB: '-1' }, 'SQLITE_MMAP_MB'],
    [{ SHUTDOWN_TIMEOUT_MS: '600001' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ SHUTDOWN_TIMEOUT_MS: '1.5' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ PG_STATEMENT_TIMEOUT_MS: '0' }, 'PG_STATEMENT_TIMEOUT_MS'],
  ])('refuses %o, naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  // The issuer is used as written: in every token's `iss` and at the head of every metadata URL.
  it.each([
    [
      'https://partner.example.com ',
      'ISSUER_URL must not contain spaces, got "https://partner.example.com "',
    ],
    ['https://partner.example.com/a b', 'ISSUER_URL must not contain spaces'],
    ['https://partner.example.com/?', 'ISSUER_URL must not have a query or fragment'],
    ['https://partner.example.com#', 'ISSUER_URL must not have a query or fragment'],
    ['https:partner.example.com', 'ISSUER_URL must be an http(s) URL'],
    ['https://user:secret@partner.example.com', 'ISSUER_URL must not contain credentials'],
    // Credentials are refused before any message quotes the text.
    ['https:user:secret@partner.example.com', 'ISSUER_URL must not contain credentials'],
    ['https://user:secret@partner.example.com:99999', 'ISSUER_URL must be an absolute http(s) URL'],
    // A '/' in the password ends the authority for the URL parser, which then fails on the port.
    ['https://user:secret/x@partner.example.com', 'ISSUER_URL must be an absolute http(s) URL'],
    // The parser reads both as https://partner.example.com/..., but the issuer would keep the text.
    ['https:///partner.example.com', 'ISSUER_URL must be an http(s) URL'],
    ['https://partner.example.com\\api', 'ISSUER_URL must not contain a backslash'],
  ])('refuses ISSUER_URL %j, which would name an issuer and endpoints no client can use', (text, message) => {
    expect(() => loadConfig({ ISSUER_URL: text })).toThrow(message);
    expect(() => loadConfig({ ISSUER_URL: text })).not.toThrow('secret');
  });

  it('says the range of an integer setting, whatever was wrong with the value', () => {
    for (const text of ['-1', 'x', '70000', '']) {
      expect(() => loadConfig({ PORT: text })).toThrow(
        `PORT must be an integer from 0 to 65535, got "${text}"`,
      );
    }
  });

  it('names the flag, not the variable, when the bad value came from the flag', () => {
    expect(() => loadConfig({}, { port: '70000' })).toThrow(
      '--port must be an integer from 0 to 65535, got "70000"',
    );
    expect(() => loadConfig({}, { host: ' ' })).toThrow('--host must not be empty');
    expect(() => loadConfig({ PORT: '70000' })).toThrow('PORT must be an integer');
  });

  it('warns when it listens on every address and can only name localhost as the issuer', () => {
    expect(configWarnings(loadConfig({}))).toEqual([]);
    for (const host of ['0.0.0.0', '::']) {
      expect(configWarnings(loadConfig({ HOST: host }))).toEqual([
        expect.stringContaining('name http://localhost:<port> as the issuer; set ISSUER_URL'),
      ]);
      expect(configWarnings(loadConfig({ HOST: host, ISSUER_URL: 'https://partner.example.com' }))).toEqual(
        [],
      );
    }
  });

  it('never prints a database password', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    // node-postgres also takes the password (and the SSL key's) from the query string.
    expect(redactUrl('postgres://app@db/x?password=s3cret&sslmode=require')).toBe(
      'postgres://app@db/x?password=***&sslmode=require',
    );
    expect(redactUrl('postgres://app@db/x?sslmode=require&SSLPASSWORD=k3y#f')).toBe(
      'postgres://app@db/x?sslmode=require&SSLPASSWORD=***#f',
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://app@db/x?password=s3cret' })).toThrow(
      'mysql://app@db/x?password=***',
    );
    // node-postgres reads this password as "top@s3cret": all of it is hidden.
    expect(redactUrl('postgres://app:top@s3cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    // A '/' left unencoded in a password makes the URL invalid, and the error message quotes it.
    expect(redactUrl('postgres://app:s3/cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    expect(redactUrl('postgres://app:top@s3/cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    expect(redactUrl('postgres://app:s3?cret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    // With a '/' and a '?' or '#' as well, nothing tells where it ends: all up to the last '@' goes.
    expect(redactUrl('postgres://app:s3/c#ret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    expect(redactUrl('postgres://app:s3/c?ret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    expect(redactUrl('postgres://app:s3?c/ret@db:5432/x')).toBe('postgres://app:***@db:5432/x');
    // An '@' in the query is not a password's.
    expect(redactUrl('postgres://app:s3cret@db/x?application_name=ops@box')).toBe(
      'postgres://app:***@db/x?application_name=ops@box',
    );
    expect(redactUrl('postgres://db:5432/x?application_name=ops@box')).toBe(
      'postgres://db:5432/x?application_name=ops@box',
    );
    // A mistyped URL is refused without its password.
    for (const typo of ['postgres:/app:s3cret@db/x', 'app:s3cret@db:5432/x', 'postgres:app:s3c@ret@db']) {
      expect(() => loadConfig({ DATABASE_URL: typo })).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_URL: typo })).not.toThrow(/s3c/);
    }
  });
});
