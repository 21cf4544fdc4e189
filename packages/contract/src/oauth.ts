import { type Static, Type } from 'typebox';

/** Scopes a client-credentials token may carry. A token asked for without `scope` gets all of them. */
export const SCOPES = {
  'arming_settings:read': 'Read arming settings',
  'arming_settings:write': 'Change arming settings',
} as const;
export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

/** What a token without the operation's scope is told (403 insufficient_scope). */
export function insufficientScopeMessage(scope: Scope): string {
  return `This operation needs the ${scope} scope`;
}

/** One of SCOPES' own names: `in` would also take `constructor`, `toString` and `__proto__`. */
export function isScope(name: string): name is Scope {
  return Object.hasOwn(SCOPES, name);
}

export const TokenRequestSchema = Type.Object(
  {
    grant_type: Type.Literal('client_credentials'),
    // Examples that the server takes: the /docs page fills a form field in with its example, else
    // with the word "string", and sends that unless the field is cleared (`scope=string`: a 400).
    client_id: Type.Optional(Type.String({ examples: ['demo-client'] })),
    client_secret: Type.Optional(Type.String()),
    scope: Type.Optional(
      Type.String({ description: 'Space-separated scopes; default: all', examples: [ALL_SCOPES.join(' ')] }),
    ),
  },
  { $id: 'TokenRequest' },
);

export const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String({ description: 'A signed JWT (RFC 9068)' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires', examples: [3600] }),
    scope: Type.String({ examples: ['arming_settings:read arming_settings:write'] }),
  },
  { additionalProperties: false, $id: 'TokenResponse' },
);

/** RFC 6749 §5.2 error codes. `invalid_grant` and `unauthorized_client` have no cause in this grant. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export const OAuthErrorSchema = Type.Object(
  {
    error: Type.Union(OAUTH_ERROR_CODES.map((code) => Type.Literal(code))),
    error_description: Type.String(),
  },
  { additionalProperties: false, $id: 'OAuthError' },
);

export type TokenResponse = Static<typeof TokenResponseSchema>;
export type OAuthError = Static<typeof OAuthErrorSchema>;
