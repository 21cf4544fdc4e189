/**
 * Everything the server can be told, read once at start, validated, and frozen.
 * Nothing reads process.env but the CLI's entry point, which hands it to the commands.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly tokenTtlSeconds: number;
  readonly logLevel: LogLevel;
  /** Explicit issuer (e.g. the public URL behind a proxy); undefined means "the address we listen on". */
  readonly issuerUrl: string | undefined;
  readonly pgPoolSize: number;
  readonly pgStatementTimeoutMs: number;
  /** SQLite: how much of the database file to read through a memory map (0: none, the default). */
  readonly sqliteMmapMb: number;
  /** On SIGTERM, how long requests in flight may take before their connections are cut. */
  readonly shutdownTimeoutMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const DEFAULT_DATABASE_URL = 'sqlite:./data/chekt-partner.db';
/** The Partner API's documented token lifetime: about an hour. */
const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Flags (already named like the variables) win over the environment. */
export function loadConfig(env: Environment, overrides: Partial<Record<keyof Config, string>> = {}): Config {
  const read = (key: keyof Config, envName: string): string | undefined => overrides[key] ?? env[envName];
  // A bad value is named as it was given: after `serve --port 70000` there is no PORT to go and fix.
  const named = (key: keyof Config, envName: string, flag: string): string =>
    overrides[key] === undefined ? envName : flag;
  const config: Config = {
    port: integerIn(named('port', 'PORT', '--port'), read('port', 'PORT') ?? '8080', 0, 65535),
    host: nonEmpty(named('host', 'HOST', '--host'), read('host', 'HOST') ?? '127.0.0.1'),
    databaseUrl: configuredDatabaseUrl(env, overrides.databaseUrl),
    tokenTtlSeconds: integerIn(
      'TOKEN_TTL_SECONDS',
      read('tokenTtlSeconds', 'TOKEN_TTL_SECONDS') ?? String(DEFAULT_TOKEN_TTL_SECONDS),
      1,
      86400,
    ),
    logLevel: logLevel(read('logLevel', 'LOG_LEVEL') ?? 'info'),
    issuerUrl: issuerUrl(read('issuerUrl', 'ISSUER_URL')),
    pgPoolSize: integerIn('PG_POOL_SIZE', read('pgPoolSize', 'PG_POOL_SIZE') ?? '10', 1, 1000),
    // At least 1: PostgreSQL reads 0 as "no limit", but the pool's own wait for an answer is this
    // plus a second, so 0 would fail every query that runs longer than a second.
    pgStatementTimeoutMs: integerIn(
      'PG_STATEMENT_TIMEOUT_MS',
      read('pgStatementTimeoutMs', 'PG_STATEMENT_TIMEOUT_MS') ?? '5000',
      1,
      600000,
    ),
    // SQLite's own ceiling for a map in this build is 2 GB (SQLITE_MAX_MMAP_SIZE).
    sqliteMmapMb: integerIn('SQLITE_MMAP_MB', read('sqliteMmapMb', 'SQLITE_MMAP_MB') ?? '0', 0, 2047),
    shutdownTimeoutMs: integerIn(
      'SHUTDOWN_TIMEOUT_MS',
      read('shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS') ?? '10000',
      0,
      600000,
    ),
  };
  return Object.freeze(config);
}

/**
 * What a valid configuration may still get wrong, for the server to warn about at start. Listening
 * on every address without ISSUER_URL, tokens and the discovery document can only name
 * `localhost`, which no other machine can reach.
 */
export function configWarnings(config: Pick<Config, 'host' | 'issuerUrl'>): string[] {
  const everyAddress = config.host === '0.0.0.0' || config.host === '::';
  if (!everyAddress || config.issuerUrl) return [];
  return [
    `HOST=${config.host} without ISSUER_URL: tokens and /.well-known/oauth-authorization-server ` +
      'name http://localhost:<port> as the issuer; set ISSUER_URL to the address integrators use',
  ];
}

function integerIn(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  // Digits only: no sign, no exponent, no spaces; and the range said whatever was wrong.
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

function nonEmpty(name: string, text: string): string {
  if (text.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return text;
}

function logLevel(text: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text);
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  return level;
}

/** The --db flag, else DATABASE_URL, else the embedded file: what every command runs against. */
export function configuredDatabaseUrl(env: Environment, flag: string | undefined): string {
  return databaseUrl(flag ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
}

function databaseUrl(text: string): string {
  if (/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(text) && text.length > 'sqlite:'.length) return text;
  throw new ConfigError(
    `DATABASE_URL / --db must be sqlite:<path> or postgres://..., got "${redactUrl(text)}"`,
  );
}

/**
 * The issuer is used as written, not as the URL parser would normalise it: every token's `iss` and
 * every URL of the metadata (RFC 8414) start with this text. So what the parser forgives and would
 * still leave in that text is refused: spaces (a trailing one from a .env file or a YAML value), a
 * `?` or `#` even with nothing after it, a scheme without `//` or with a `/` too many, a backslash
 * (read as `/`), and credentials, which would be published in every token (and fetch refuses a
 * URL that holds them): those are refused first, so that no message quotes them.
 */
function issuerUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (/\s/.test(text))
    throw new ConfigError(`ISSUER_URL must not contain spaces, got ${JSON.stringify(text)}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparsed, it may still hold a password (`https://user:pw@host:99999`): never quoted.
    throw new ConfigError(`ISSUER_URL must be an absolute http(s) URL, got "${redactUrl(text)}"`);
  }
  if (url.username !== '' || url.password !== '')
    throw new ConfigError('ISSUER_URL must not contain credentials');
  if (!/^https?:\/\/[^/\\]/i.test(text)) {
    throw new ConfigError(`ISSUER_URL must be an http(s) URL, got "${text}"`);
  }
  if (text.includes('\\')) throw new ConfigError(`ISSUER_URL must not contain a backslash, got "${text}"`);
  if (/[?#]/.test(text)) throw new ConfigError('ISSUER_URL must not have a query or fragment');
  return text.replace(/\/+$/, '');
}

/**
 * A database URL fit for a log line or an error message: the password replaced, whether it is
 * in the user info or, as node-postgres also reads it, a `password` or `sslpassword` parameter.
 */
export function redactUrl(text: string): string {
  return redactUserInfo(text).replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}

function redactUserInfo(text: string): string {
  // A password may hold '@' itself: node-postgres reads the user info up to the last '@' before
  // the path, and so does this; and a '?' (then it ends before the first '/'). In a URL that does
  // not parse, which is the one an error quotes, it may hold an unencoded '/' (a generated base64
  // one, say) and a '?' or '#' as well, and where it ends cannot be told: then it runs to the last
  // '@' of all. In one that parses, an '@' past the first '?' is the query's (`application_name=ops@box`).
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const password = URL.canParse(text)
      ? /^([^:]+:\/\/[^:/@]*):(?:[^?#]*|[^/]*)@/
      : /^([^:]+:\/\/[^:/@]*):.*@/s;
    return text.replace(password, '$1:***@');
  }
  // Not a URL of the expected form (a typo such as `postgres:/user:pw@host`): whatever could be
  // a password, up to the last '@', is hidden.
  return text.replace(/:[^@]*@/, ':***@');
}
