import { type Static, Type } from 'typebox';
import { SECURITY_TYPE_VALUES, SECURITY_TYPES, type SecurityType } from './security-types.js';

const securityTypeDescription = SECURITY_TYPE_VALUES.map(
  (value) => `${value}: ${SECURITY_TYPES[value].name}`,
).join('; ');

// An integer enum rather than a union of literals: the same static type (1|2|3|4), a plain
// schema that validators and the compiled serializer handle fastest, and names kept for the docs.
export const SecurityTypeSchema = Type.Unsafe<SecurityType>({
  type: 'integer',
  enum: [...SECURITY_TYPE_VALUES],
  description: `Security system type. ${securityTypeDescription}.`,
  'x-enum-varnames': SECURITY_TYPE_VALUES.map((value) => SECURITY_TYPES[value].slug),
  'x-enum-descriptions': SECURITY_TYPE_VALUES.map((value) => SECURITY_TYPES[value].name),
  examples: [1],
});

export const ArmingSettingsPathSchema = Type.Object({
  dealerId: Type.String({ description: 'The dealer ID from CHeKT', examples: ['12345'] }),
  siteId: Type.String({ description: 'The site ID from CHeKT', examples: ['1'] }),
});

export const ArmingSettingsSchema = Type.Object(
  {
    site_id: Type.Integer({ description: 'Unique identifier assigned by CHeKT', examples: [1] }),
    external_site_id: Type.String({ description: "Your system's site identifier", examples: ['1234567890'] }),
    name: Type.String({ description: 'Site name', examples: ['Gangnam Headquarters'] }),
    security_type: SecurityTypeSchema,
  },
  { additionalProperties: false, $id: 'ArmingSettings' },
);

export const ArmingSettingsUpdateSchema = Type.Object(
  { security_type: SecurityTypeSchema },
  { additionalProperties: false, $id: 'ArmingSettingsUpdate' },
);

export type ArmingSettingsPath = Static<typeof ArmingSettingsPathSchema>;
export type ArmingSettings = Static<typeof ArmingSettingsSchema>;
export type ArmingSettingsUpdate = Static<typeof ArmingSettingsUpdateSchema>;
