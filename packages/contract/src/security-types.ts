// Imports nothing, so the SDK can load it at runtime (subpath ./security-types) without TypeBox.
/**
 * The four security system types a site can run, exactly as the API reference lists them.
 * The numeric value is what travels on the wire; the slug is the stable name tools use.
 */
export const SECURITY_TYPES = {
  1: {
    slug: 'primary-bridge',
    name: 'Alarm Panel - Primary Bridge',
    description: 'Traditional alarm panel with primary bridge communication',
  },
  2: {
    slug: 'individual-bridge',
    name: 'Alarm Panel - Individual Bridge',
    description: 'Alarm panel with individual bridge per zone',
  },
  3: {
    slug: 'video',
    name: 'CHeKT Video Security System',
    description: 'Native CHeKT video-based security',
  },
  4: {
    slug: 'alarm-com',
    name: 'Alarm.com Security System',
    description: 'Alarm.com integrated system',
  },
} as const;

export type SecurityType = 1 | 2 | 3 | 4;
export type SecurityTypeSlug = (typeof SECURITY_TYPES)[SecurityType]['slug'];

export const SECURITY_TYPE_VALUES: readonly SecurityType[] = [1, 2, 3, 4];

export function isSecurityType(value: unknown): value is SecurityType {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

/** Accepts `3` or `video` (the slug); returns undefined for anything else. */
export function parseSecurityType(text: string): SecurityType | undefined {
  const trimmed = text.trim();
  if (/^[1-4]$/.test(trimmed)) return Number(trimmed) as SecurityType;
  for (const value of SECURITY_TYPE_VALUES) {
    if (SECURITY_TYPES[value].slug === trimmed) return value;
  }
  return undefined;
}
