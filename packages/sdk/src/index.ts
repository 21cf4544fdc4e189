export type {
  ArmingSettings,
  ArmingSettingsUpdate,
  ErrorCode,
  OAuthErrorCode,
} from '@chekt-partner/contract';
// The security types are values as well as types; they come from the contract's TypeBox-free
// module, so using the SDK loads no schema library.
export {
  isSecurityType,
  parseSecurityType,
  SECURITY_TYPE_VALUES,
  SECURITY_TYPES,
  type SecurityType,
  type SecurityTypeSlug,
} from '@chekt-partner/contract/security-types';
export type { RequestOptions } from './api-requester.js';
export type { ArmingSettingsResource } from './arming-settings.js';
export {
  ChektPartnerClient,
  type ChektPartnerClientOptions,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
} from './client.js';
export {
  ChektApiError,
  ChektAuthenticationError,
  ChektConnectionError,
  ChektError,
  type ChektErrorCode,
  ChektForbiddenError,
  ChektNotFoundError,
  ChektRateLimitError,
  ChektServerError,
  ChektTimeoutError,
  ChektUnexpectedResponseError,
  ChektValidationError,
} from './errors.js';
export { MAX_RETRY_AFTER_SECONDS } from './retry-policy.js';
export { MAX_RESPONSE_BYTES } from './transport.js';
