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

/** --db, else DATABASE_URL, else the embedded file. */
export function databaseUrlArgument(flag: string | undefined, env: Environment): string {
  try {
    return configuredDatabaseUrl(env, flag);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
