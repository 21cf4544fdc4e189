import type { ArmingSettings } from '@chekt-partner/contract';
import { SECURITY_TYPES, type SecurityType } from '@chekt-partner/contract/security-types';
import { printable } from './printable.js';

/** "3 (CHeKT Video Security System)": the number scripts use and the name people read. */
export function describeSecurityType(type: SecurityType): string {
  return `${type} (${SECURITY_TYPES[type].name})`;
}

export function describeSite(settings: ArmingSettings): string {
  return `Site ${settings.site_id} "${printable(settings.name)}" (external id ${printable(settings.external_site_id)})`;
}
