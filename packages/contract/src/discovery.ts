import { type Static, Type } from 'typebox';

// What a client or resource server needs to find and check this authorization server's tokens,
// and what operators' probes read. Schemas, so the server serializes with them and the OpenAPI
// document shows them.

/** RFC 7517 public key. More members than these may appear (other key types carry other fields). */
export const JwkSchema = Type.Object(
  {
    kty: Type.String({ examples: ['EC'] }),
    kid: Type.String({ description: 'Matches the `kid` in an access token header' }),
    alg: Type.String({ examples: ['ES256'] }),
    use: Type.Literal('sig'),
    crv: Type.Optional(Type.String({ examples: ['P-256'] })),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'Jwk' },
);

export const JwksSchema = Type.Object(
  { keys: Type.Array(JwkSchema, { description: 'Every public key an unexpired token may be signed with' }) },
  { additionalProperties: false, $id: 'Jwks' },
);

/** RFC 8414 §2, the members this server publishes. */
export const AuthorizationServerMetadataSchema = Type.Object(
  {
    issuer: Type.String({ description: 'The `iss` of every access token' }),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
    grant_types_supported: Type.Array(Type.String(), { examples: [['client_credentials']] }),
    token_endpoint_auth_methods_supported: Type.Array(Type.String(), {
      examples: [['client_secret_basic', 'client_secret_post']],
    }),
    scopes_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String(), { description: 'None: no authorization endpoint' }),
  },
  { additionalProperties: false, $id: 'AuthorizationServerMetadata' },
);

export const HealthSchema = Type.Object(
  { status: Type.Union([Type.Literal('ok'), Type.Literal('ready')]) },
  { additionalProperties: false, $id: 'Health' },
);

export type Jwks = Static<typeof JwksSchema>;
export type AuthorizationServerMetadata = Static<typeof AuthorizationServerMetadataSchema>;
export type Health = Static<typeof HealthSchema>;
