import type { ArmingSettings } from '@chekt-partner/contract';
import { SECURITY_TYPES, type SecurityType } from '@chekt-partner/contract/security-types';

/** "3 (CHeKT Video Security System)": the number scripts use and the name people read. */
export function describeSecurityType(type: SecurityType): string {
  return `${type} (${SECURITY_TYPES[type].name})`;
}

export function describeSite(settings: ArmingSettings): string {
  return `Site ${settings.site_id} "${printable(settings.name)}" (external id ${printable(settings.external_site_id)})`;
}

/**
 * A stored name as a terminal shows it safely: control characters (an escape sequence that would
 * recolour or clear the screen, a newline that would fake a line of output) as \u escapes.
 */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
