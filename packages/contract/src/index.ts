export * from './arming-settings.js';
export * from './discovery.js';
export * from './errors.js';
export * from './oauth.js';
export * from './openapi/document.js';
export type { OpenApiDocument } from './openapi/types.js';
export * from './paths.js';
export * from './security-types.js';
export * from './trace-id.js';
