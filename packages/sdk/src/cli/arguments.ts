import { parseSecurityType, type SecurityType } from '@chekt-partner/contract/security-types';
import { isSendableId } from '../arming-settings.js';
import { UsageError } from './usage.js';

/** Exactly `names.length` positionals, none empty, in that order. */
export function positionals(args: string[], names: readonly string[]): string[] {
  if (args.length !== names.length) {
    const wanted = names.map((name) => `<${name}>`).join(' ');
    throw new UsageError(`expected ${wanted}, got ${args.length === 0 ? 'nothing' : `"${args.join(' ')}"`}`);
  }
  for (const [index, value] of args.entries()) {
    if (value.trim() === '') throw new UsageError(`<${names[index]}> must not be empty`);
  }
  return args;
}

/** A dealer or site id the SDK can put in the path: `.` and `..` would name another path. */
export function idArgument(name: string, text: string): string {
  if (!isSendableId(text)) throw new UsageError(`<${name}> cannot be "${text}"`);
  return text;
}

export function securityTypeArgument(text: string): SecurityType {
  const type = parseSecurityType(text);
  if (type === undefined) {
    throw new UsageError(
      `<type> must be 1-4 or primary-bridge|individual-bridge|video|alarm-com, got "${text}"`,
    );
  }
  return type;
}
