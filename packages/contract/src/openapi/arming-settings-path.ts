import { BODY_ERROR_CODES, type ErrorCode } from '../errors.js';
import { insufficientScopeMessage } from '../oauth.js';
import { errorResponses, REQUEST_ERRORS } from './error-responses.js';
import {
  ARMING_SETTINGS_EXAMPLE,
  ARMING_SETTINGS_UPDATE_EXAMPLE,
  UPDATED_ARMING_SETTINGS_EXAMPLE,
} from './examples.js';
import { headerRef, parameterRef, traceIdHeader } from './headers.js';
import { schemaRef } from './schemas.js';
import type { JsonObject } from './types.js';

export const ARMING_SETTINGS_TAG = 'Arming Settings';

// What each operation can answer, in the server's precedence: 401, 403, 404, 412, then the body's 4xx.
// GET has no body, so none of the body codes. The drift test holds the server to these lists.
const AUTH_AND_LOOKUP_ERRORS: readonly ErrorCode[] = [
  ...REQUEST_ERRORS,
  'unauthorized',
  'invalid_token',
  'forbidden',
  'insufficient_scope',
  'dealer_not_found',
  'site_not_found',
  'precondition_failed',
  'service_unavailable',
];

// RFC 9110 §13, for settings that have no entity tag or modification date.
const PRECONDITIONS =
  'Arming settings carry no `ETag` and no `Last-Modified`. So `If-Match` holds only as `*` and is ' +
  'otherwise a 412 `precondition_failed` (a tag from elsewhere never matches here), and `If-None-Match: *` ' +
  'fails (304 for GET and HEAD, 412 for PATCH); `If-Modified-Since` and `If-Unmodified-Since` are ignored. ' +
  'A 412 comes after the 404s and before any error about the body.';

/** GET and PATCH /partner/v1/dealers/{dealerId}/sites/{siteId}/arming-settings. */
export function armingSettingsPathItem(): JsonObject {
  return {
    parameters: [parameterRef('DealerId'), parameterRef('SiteId'), parameterRef('TraceId')],
    get: {
      tags: [ARMING_SETTINGS_TAG],
      operationId: 'getArmingSettings',
      summary: 'Get Arming Settings',
      description:
        'Retrieve current arming settings for a site. Needs the `arming_settings:read` scope.\n\n' +
        PRECONDITIONS,
      security: [{ oauth2: ['arming_settings:read'] }],
      responses: {
        200: armingSettingsResponse('The current arming settings', {
          seed: {
            summary: 'Gangnam Headquarters, alarm panel with primary bridge',
            value: ARMING_SETTINGS_EXAMPLE,
          },
        }),
        304: {
          description: 'Not Modified: sent only for `If-None-Match: *`, since the site exists',
          headers: settingsHeaders(),
        },
        ...settingsErrorResponses(AUTH_AND_LOOKUP_ERRORS, {
          insufficient_scope: insufficientScopeMessage('arming_settings:read'),
        }),
      },
    },
    patch: {
      tags: [ARMING_SETTINGS_TAG],
      operationId: 'updateArmingSettings',
      summary: 'Update Arming Settings',
      description:
        'Change the security type for a site. Needs the `arming_settings:write` scope. The change is ' +
        'stored durably, and recorded in the site history, before the answer.\n\n' +
        '**Changing security type may affect how devices are monitored and how alarms are processed. ' +
        'Ensure the new type is compatible with installed devices.**\n\n' +
        PRECONDITIONS,
      security: [{ oauth2: ['arming_settings:write'] }],
      requestBody: {
        required: true,
        description: 'The new security type, sent once; no other field is accepted',
        content: {
          'application/json': {
            schema: schemaRef('ArmingSettingsUpdate'),
            examples: {
              seed: {
                summary: 'Switch to the CHeKT Video Security System',
                value: ARMING_SETTINGS_UPDATE_EXAMPLE,
              },
            },
          },
        },
      },
      responses: {
        200: armingSettingsResponse('The arming settings, with the new security type', {
          seed: { summary: 'Now a CHeKT Video Security System', value: UPDATED_ARMING_SETTINGS_EXAMPLE },
        }),
        ...settingsErrorResponses([...AUTH_AND_LOOKUP_ERRORS, ...BODY_ERROR_CODES], {
          insufficient_scope: insufficientScopeMessage('arming_settings:write'),
        }),
      },
    },
  };
}

function armingSettingsResponse(description: string, examples: JsonObject): JsonObject {
  return {
    description,
    headers: settingsHeaders(),
    content: { 'application/json': { schema: schemaRef('ArmingSettings'), examples } },
  };
}

/** The headers of an answer that shows a site's settings: no cache may keep them. */
function settingsHeaders(): JsonObject {
  return { ...traceIdHeader(), 'Cache-Control': headerRef('NoStore') };
}

/** The endpoints' errors: each says no cache may keep it either (SettingsErrorNoStore). */
function settingsErrorResponses(...args: Parameters<typeof errorResponses>): Record<string, JsonObject> {
  const responses = errorResponses(...args);
  for (const response of Object.values(responses)) {
    response.headers = {
      ...(response.headers as JsonObject),
      'Cache-Control': headerRef('SettingsErrorNoStore'),
    };
  }
  return responses;
}
