import { parseArgs } from 'node:util';
import { isValidTraceId } from '@chekt-partner/contract/trace-id';
import { ChektPartnerClient } from '../client.js';
import { UsageError } from './usage.js';

/** The option group every command takes: where the API is, who we are, how to answer. */
export const SHARED_OPTIONS = {
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'base-url': { type: 'string' },
  'token-url': { type: 'string' },
  'trace-id': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface ParsedCommandLine {
  positionals: string[];
  options: {
    'client-id'?: string;
    'client-secret'?: string;
    'base-url'?: string;
    'token-url'?: string;
    'trace-id'?: string;
    json: boolean;
    help: boolean;
  };
}

export type Environment = Readonly<Record<string, string | undefined>>;

export function parseCommandLine(args: string[]): ParsedCommandLine {
  try {
    const { positionals, values, tokens } = parseArgs({
      args,
      options: SHARED_OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    refuseValuesGivenTwice(tokens);
    return { positionals, options: values };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs throws TypeError with a readable message for unknown or malformed options.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * parseArgs keeps the last of two values for one option: `--base-url A --base-url B` would call B,
 * with nothing said. Which one was meant cannot be told (as with a JSON field sent twice, which
 * the API refuses), so neither is taken.
 */
function refuseValuesGivenTwice(tokens: ReturnType<typeof parseArgs>['tokens']): void {
  const given = new Set<string>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (given.has(token.name)) throw new UsageError(`--${token.name} was given twice: give it once`);
    given.add(token.name);
  }
}

/** Flags win over the environment; a missing credential is a usage error, not an API error. */
export function clientFrom(options: ParsedCommandLine['options'], env: Environment): ChektPartnerClient {
  const clientId = required(options['client-id'] ?? env.CHEKT_CLIENT_ID, '--client-id or CHEKT_CLIENT_ID');
  const clientSecret = required(
    options['client-secret'] ?? env.CHEKT_CLIENT_SECRET,
    '--client-secret or CHEKT_CLIENT_SECRET',
  );
  const baseUrl = required(options['base-url'] ?? env.CHEKT_BASE_URL, '--base-url or CHEKT_BASE_URL');
  const tokenUrl = options['token-url'] ?? nonEmptyOrUndefined(env.CHEKT_TOKEN_URL);
  try {
    return new ChektPartnerClient({ clientId, clientSecret, baseUrl, ...(tokenUrl ? { tokenUrl } : {}) });
  } catch (error) {
    // The constructor rejects a malformed URL with a TypeError naming the SDK's options.
    if (error instanceof TypeError) throw new UsageError(inCommandLineTerms(error.message));
    throw error;
  }
}

/** Where the command line sets each option of the SDK: what its user can go and fix. */
const COMMAND_LINE_SETTINGS = {
  baseUrl: '--base-url or CHEKT_BASE_URL',
  tokenUrl: '--token-url or CHEKT_TOKEN_URL',
  clientId: '--client-id or CHEKT_CLIENT_ID',
  clientSecret: '--client-secret or CHEKT_CLIENT_SECRET',
} as const;

/**
 * Every SDK option the message names, not only the one at fault: a URL with credentials in it is
 * told where the credentials go instead ("pass clientId and clientSecret"). Only the message's own
 * words: from its first `"` on, it quotes the value as given.
 */
function inCommandLineTerms(message: string): string {
  const quoteAt = message.indexOf('"');
  const words = quoteAt === -1 ? message : message.slice(0, quoteAt);
  const named = words.replace(
    /\b(baseUrl|tokenUrl|clientId|clientSecret)\b/g,
    (option) => COMMAND_LINE_SETTINGS[option as keyof typeof COMMAND_LINE_SETTINGS],
  );
  return named + message.slice(words.length);
}

/** --trace-id, when given, must be something the API accepts as x-partner-trace-id. */
export function traceIdFrom(options: ParsedCommandLine['options']): string | undefined {
  const traceId = options['trace-id'];
  if (traceId === undefined) return undefined;
  if (!isValidTraceId(traceId)) {
    throw new UsageError('--trace-id must be 1-128 visible ASCII characters (a UUID is recommended)');
  }
  return traceId;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing ${what}`);
  return value;
}

function nonEmptyOrUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
