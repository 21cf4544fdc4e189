import type { ArmingSettings, ArmingSettingsUpdate } from '@chekt-partner/contract';
import { armingSettingsPath } from '@chekt-partner/contract/paths';
import { isSecurityType } from '@chekt-partner/contract/security-types';
import type { ApiRequester, RequestOptions } from './api-requester.js';
import { ChektUnexpectedResponseError } from './errors.js';

/** `client.armingSettings`: how a site's security system is set up. */
export class ArmingSettingsResource {
  constructor(private readonly api: ApiRequester) {}

  /** GET /partner/v1/dealers/{dealerId}/sites/{siteId}/arming-settings */
  async get(
    dealerId: string | number,
    siteId: string | number,
    options?: RequestOptions,
  ): Promise<ArmingSettings> {
    const { body, traceId } = await this.api.request('GET', pathOf(dealerId, siteId), undefined, options);
    return expectArmingSettings(body, traceId);
  }

  /** PATCH /partner/v1/dealers/{dealerId}/sites/{siteId}/arming-settings; resolves with the stored result. */
  async update(
    dealerId: string | number,
    siteId: string | number,
    update: ArmingSettingsUpdate,
    options?: RequestOptions,
  ): Promise<ArmingSettings> {
    const { body, traceId } = await this.api.request(
      'PATCH',
      pathOf(dealerId, siteId),
      { security_type: update.security_type },
      options,
    );
    return expectArmingSettings(body, traceId);
  }
}

/**
 * The path, for ids that can be sent: an empty id would leave a `//` in it, and URL parsing turns
 * `.` and `..` (even percent-encoded) into a move up the path, so the request would go elsewhere.
 */
function pathOf(dealerId: string | number, siteId: string | number): string {
  return armingSettingsPath(sendableId('dealerId', dealerId), sendableId('siteId', siteId));
}

function sendableId(name: string, id: string | number): string {
  const text = String(id);
  if (!isSendableId(text)) throw new TypeError(`${name} "${text}" cannot be sent in a URL path`);
  return text;
}

/** Whether an id can go into the path as it is (pathOf); the `chekt` CLI checks its arguments with it. */
export function isSendableId(text: string): boolean {
  return text !== '' && text !== '.' && text !== '..';
}

/** The documented shape, checked, so a wrong base URL fails here rather than somewhere downstream. */
function expectArmingSettings(body: unknown, traceId: string): ArmingSettings {
  const candidate = body as Partial<ArmingSettings> | undefined;
  if (
    typeof candidate?.site_id === 'number' &&
    typeof candidate.external_site_id === 'string' &&
    typeof candidate.name === 'string' &&
    isSecurityType(candidate.security_type)
  ) {
    return {
      site_id: candidate.site_id,
      external_site_id: candidate.external_site_id,
      name: candidate.name,
      security_type: candidate.security_type,
    };
  }
  throw new ChektUnexpectedResponseError('The API answered 2xx without arming settings in the body', traceId);
}
