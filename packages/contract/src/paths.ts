// Imports nothing, so the SDK can load it at runtime (subpath ./paths) without TypeBox.
export const API_PREFIX = '/partner/v1';
export const ARMING_SETTINGS_ROUTE = `${API_PREFIX}/dealers/:dealerId/sites/:siteId/arming-settings`;
export const TOKEN_PATH = '/oauth/token';
export const JWKS_PATH = '/.well-known/jwks.json';
export const AUTHORIZATION_SERVER_METADATA_PATH = '/.well-known/oauth-authorization-server';

export function armingSettingsPath(dealerId: string | number, siteId: string | number): string {
  return `${API_PREFIX}/dealers/${encodeURIComponent(String(dealerId))}/sites/${encodeURIComponent(String(siteId))}/arming-settings`;
}
export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';
