import type { ArmingSettings, ArmingSettingsUpdate } from '../arming-settings.js';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../errors.js';
import type { OAuthErrorCode, TokenResponse } from '../oauth.js';
import { TRACE_ID_EXAMPLE, TRACE_ID_HEADER } from '../trace-id.js';

// The API reference's examples, verbatim. Typed with the contract's types, so an example that
// drifts from its schema stops compiling before Spectral would even see it.

export const ARMING_SETTINGS_EXAMPLE: ArmingSettings = {
  site_id: 1,
  external_site_id: '1234567890',
  name: 'Gangnam Headquarters',
  security_type: 1,
};

export const ARMING_SETTINGS_UPDATE_EXAMPLE: ArmingSettingsUpdate = { security_type: 3 };

export const UPDATED_ARMING_SETTINGS_EXAMPLE: ArmingSettings = {
  ...ARMING_SETTINGS_EXAMPLE,
  security_type: 3,
};

export const TOKEN_RESPONSE_EXAMPLE: TokenResponse = {
  access_token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJpc3MiOiIuLi4ifQ.c2lnbmF0dXJl',
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'arming_settings:read arming_settings:write',
};

// Spelled out rather than Static<typeof OAuthErrorSchema>: its union is built from an array, which
// TypeBox cannot narrow to the literal codes.
interface OAuthErrorExample {
  summary: string;
  value: { error: OAuthErrorCode; error_description: string };
}

// Keyed by the code itself, so a misspelt code in an example or a reference to one cannot compile.
export const OAUTH_ERROR_EXAMPLES = {
  invalid_request: {
    summary: 'The request breaks RFC 6749 (not form-encoded, a repeated parameter, two auth methods)',
    value: {
      error: 'invalid_request',
      error_description: 'The token request must be application/x-www-form-urlencoded',
    },
  },
  unsupported_grant_type: {
    summary: 'Only client_credentials is supported',
    value: {
      error: 'unsupported_grant_type',
      error_description: 'Only grant_type=client_credentials is supported',
    },
  },
  invalid_scope: {
    summary: 'A scope this server does not know',
    value: { error: 'invalid_scope', error_description: 'Unknown scope: arming_settings:delete' },
  },
  invalid_client: {
    summary: 'Unknown client, wrong secret, or a revoked client',
    value: { error: 'invalid_client', error_description: 'Client authentication failed' },
  },
} satisfies Partial<Record<OAuthErrorCode, OAuthErrorExample>>;

/**
 * A refused trace id is not echoed (it may not be safe to); the answer carries a fresh one, so the
 * example shows a different UUID from the reference's.
 */
const FRESH_TRACE_ID_EXAMPLE = '0b9d3c7e-6f1a-4c2b-9e8d-5a4f3b2c1d0e';

/** What the server adds to the generic message for some codes: the field at fault, a sharper text. */
const ERROR_DETAILS: Partial<Record<ErrorCode, { field?: string; message?: string; traceId?: string }>> = {
  invalid_security_type: { field: 'security_type' },
  unknown_field: {
    field: 'note',
    message: 'Unknown field "note": only security_type may be sent',
  },
  invalid_trace_id: { field: TRACE_ID_HEADER, traceId: FRESH_TRACE_ID_EXAMPLE },
  unauthorized: { message: 'Send an access token: Authorization: Bearer <token>' },
  invalid_token: { message: 'The access token expired' },
};

/** The example of `code`'s error body; `message`: what this operation says instead of the usual. */
export function errorExample(code: ErrorCode, message?: string): ErrorBody {
  const details = { ...ERROR_DETAILS[code], ...(message === undefined ? {} : { message }) };
  const traceId = details.traceId ?? TRACE_ID_EXAMPLE;
  const body: ErrorBody = {
    error: {
      code,
      message: details.message ?? ERROR_CODES[code].message,
      trace_id: traceId,
      request_id: traceId,
    },
  };
  if (details.field !== undefined) body.error.field = details.field;
  return body;
}
