import { ArmingSettingsSchema, ArmingSettingsUpdateSchema, SecurityTypeSchema } from '../arming-settings.js';
import { AuthorizationServerMetadataSchema, HealthSchema, JwkSchema, JwksSchema } from '../discovery.js';
import { ErrorBodySchema } from '../errors.js';
import { OAuthErrorSchema, TokenRequestSchema, TokenResponseSchema } from '../oauth.js';
import { securityTypesTable } from './security-types-table.js';
import type { JsonObject, Reference } from './types.js';

/**
 * The contract's schemas by the name they carry in the document. These are the very objects the
 * server validates and serializes with, so the document cannot describe a different shape.
 */
const NAMED_SCHEMAS = {
  ArmingSettings: ArmingSettingsSchema,
  ArmingSettingsUpdate: ArmingSettingsUpdateSchema,
  SecurityType: SecurityTypeSchema,
  Error: ErrorBodySchema,
  TokenRequest: TokenRequestSchema,
  TokenResponse: TokenResponseSchema,
  OAuthError: OAuthErrorSchema,
  Jwk: JwkSchema,
  Jwks: JwksSchema,
  AuthorizationServerMetadata: AuthorizationServerMetadataSchema,
  Health: HealthSchema,
} as const;

export type SchemaName = keyof typeof NAMED_SCHEMAS;

export function schemaRef(name: SchemaName): Reference {
  return { $ref: `#/components/schemas/${name}` };
}

/** components.schemas: each named schema, with every nested named schema replaced by a $ref. */
export function componentSchemas(): Record<SchemaName, JsonObject> {
  const names = new Map<object, SchemaName>(
    Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [schema, name as SchemaName]),
  );
  const components = {} as Record<SchemaName, JsonObject>;
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) {
    components[name as SchemaName] = toDocumentSchema(schema, names) as JsonObject;
  }
  components.SecurityType = { ...components.SecurityType, description: securityTypeDescription() };
  return components;
}

/** Any JSON Schema from the contract, as it must appear inside the document (no $id, no $ref names). */
export function documentSchema(schema: object): JsonObject {
  return toDocumentSchema(schema, new Map()) as JsonObject;
}

/**
 * A plain-JSON copy. TypeBox keeps its bookkeeping in non-enumerable keys, which Object.entries
 * skips; `$id` is dropped because inside the document a schema is named by its components key,
 * and an `$id` there would start a new base URI for its references.
 */
function toDocumentSchema(value: unknown, names: ReadonlyMap<object, SchemaName>, root = true): unknown {
  if (Array.isArray(value)) return value.map((item) => toDocumentSchema(item, names, false));
  if (value === null || typeof value !== 'object') return value;
  const name = names.get(value);
  if (!root && name) return schemaRef(name);
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key !== '$id') copy[key] = toDocumentSchema(item, names, false);
  }
  return copy;
}

function securityTypeDescription(): string {
  return ['Security system type.', '', ...securityTypesTable()].join('\n');
}
