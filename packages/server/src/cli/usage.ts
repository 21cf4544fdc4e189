import { parseSecurityType, type SecurityType } from '@chekt-partner/contract/security-types';
import { ConfigError, configuredDatabaseUrl, type Environment } from '../config.js';
import { MAX_ID, parseId } from '../ids.js';

/** A mistake in how the command was called: message on stderr, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function idArgument(label: string, text: string): number {
  const id = parseId(text);
  if (id === undefined)
    throw new UsageError(`${label} must be an integer from 1 to ${MAX_ID}, got "${text}"`);
  return id;
}

export function securityTypeArgument(text: string): SecurityType {
  const type = parseSecurityType(text);
  if (type === undefined) {
    throw new UsageError(
      `--security-type must be 1-4 or primary-bridge|individual-bridge|video|alarm-com, got "${text}"`,
    );
  }
  return type;
}

export function nonEmptyArgument(label: string, text: string): string {
  if (text.trim() === '') throw new UsageError(`${label} must not be empty`);
  return text;
}

/**
 * The longest external site id, in characters. It is unique per dealer, so PostgreSQL indexes it,
 * and its index refuses an entry over ~2.7 KB with a message of its own, while SQLite takes any:
 * a bound both backends keep, with room for any partner's identifier (4 bytes a character at most).
 */
export const MAX_EXTERNAL_ID_LENGTH = 255;

export function externalIdArgument(text: string): string {
  const externalId = nonEmptyArgument('--external-id', text);
  if ([...externalId].length > MAX_EXTERNAL_ID_LENGTH)
    throw new UsageError(`--external-id must be at most ${MAX_EXTERNAL_ID_LENGTH} characters`);
  return externalId;
}

/** --db, else DATABASE_URL, else the embedded file. */
export function databaseUrlArgument(flag: string | undefined, env: Environment): string {
  try {
    return configuredDatabaseUrl(env, flag);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
