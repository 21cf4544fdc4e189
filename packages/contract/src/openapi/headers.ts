import { Type } from 'typebox';
import { ArmingSettingsPathSchema } from '../arming-settings.js';
import { TRACE_ID_EXAMPLE, TRACE_ID_HEADER, TRACE_ID_PATTERN } from '../trace-id.js';
import { documentSchema } from './schemas.js';
import type { JsonObject, Reference } from './types.js';

/** The header's value as a schema, from the same pattern the server enforces. */
const TraceIdSchema = Type.String({
  pattern: TRACE_ID_PATTERN.source,
  description: 'Request tracking id: 1-128 visible ASCII characters; a UUID is recommended',
  examples: [TRACE_ID_EXAMPLE],
});

/** Request parameters shared by operations, referenced as #/components/parameters/<name>. */
export function componentParameters(): Record<string, JsonObject> {
  const path = ArmingSettingsPathSchema.properties;
  return {
    DealerId: pathParameter('dealerId', path.dealerId),
    SiteId: pathParameter('siteId', path.siteId),
    TraceId: {
      name: TRACE_ID_HEADER,
      in: 'header',
      required: false,
      description:
        'Your id for this request, echoed in the response header and in error bodies, and written to ' +
        'the server log. When absent the server makes up a UUID.',
      schema: documentSchema(TraceIdSchema),
      example: TRACE_ID_EXAMPLE,
    },
  };
}

function pathParameter(name: string, schema: object): JsonObject {
  const { description, examples } = schema as { description?: string; examples?: unknown[] };
  return {
    name,
    in: 'path',
    required: true,
    description,
    schema: documentSchema(schema),
    example: examples?.[0],
  };
}

/** Response headers, referenced as #/components/headers/<name>. */
export function componentHeaders(): Record<string, JsonObject> {
  return {
    TraceId: {
      description: "The request's trace id: the one sent in x-partner-trace-id, or a fresh UUID",
      required: true,
      schema: documentSchema(TraceIdSchema),
      example: TRACE_ID_EXAMPLE,
    },
    BearerChallenge: {
      description: 'RFC 6750 §3 challenge: what to do about a missing, invalid or insufficient token',
      required: true,
      schema: { type: 'string' },
      example: 'Bearer realm="chekt-partner", error="invalid_token"',
    },
    BasicChallenge: {
      description: 'RFC 6749 §5.2: the client may authenticate with HTTP Basic',
      required: true,
      schema: { type: 'string' },
      example: 'Basic realm="chekt-partner"',
    },
    RetryAfter: {
      description: 'Seconds to wait before retrying',
      required: true,
      schema: { type: 'integer', minimum: 0 },
      example: 2,
    },
    AcceptEncoding: {
      description:
        'RFC 9110 §15.5.16: the one content coding the endpoint accepts, sent when a body came in ' +
        'another (Content-Encoding)',
      required: false,
      schema: { type: 'string', const: 'identity' },
    },
    AcceptPatch: {
      description:
        'RFC 5789 §2.2: the patch document type a PATCH takes, sent when a PATCH came in another ' +
        '(Content-Type)',
      required: false,
      schema: { type: 'string', const: 'application/json' },
    },
    NoStore: {
      description:
        "No cache may store this response: a token (RFC 6749 §5.1), or a site's settings, which are " +
        'for the caller alone and change under it',
      required: true,
      schema: { type: 'string', const: 'no-store' },
    },
    SettingsErrorNoStore: {
      description:
        "No cache may store this refusal either (a 404 is heuristically cacheable): sent by every error of the arming settings endpoints but a 400 about the request's own headers, which comes first",
      required: false,
      schema: { type: 'string', const: 'no-store' },
    },
    NoCache: {
      description: 'RFC 6749 §5.1: for HTTP/1.0 caches',
      required: true,
      schema: { type: 'string', const: 'no-cache' },
    },
  };
}

export type HeaderName = keyof ReturnType<typeof componentHeaders>;

export function headerRef(name: HeaderName): Reference {
  return { $ref: `#/components/headers/${name}` };
}

export function parameterRef(name: 'DealerId' | 'SiteId' | 'TraceId'): Reference {
  return { $ref: `#/components/parameters/${name}` };
}

/** Every response carries the trace id; this is the header map each response starts from. */
export function traceIdHeader(): Record<string, Reference> {
  return { [TRACE_ID_HEADER]: headerRef('TraceId') };
}
