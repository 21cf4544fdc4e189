// Imports nothing, so the SDK can load it at runtime (subpath ./trace-id) without TypeBox.
export const TRACE_ID_HEADER = 'x-partner-trace-id';

/** The API reference's own example value, used wherever the documentation shows a trace id. */
export const TRACE_ID_EXAMPLE = '550e8400-e29b-41d4-a716-123456789000';

/** Visible ASCII only, at most 128 characters: safe to echo in a header and write in a log line. */
export const TRACE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export function isValidTraceId(value: string): boolean {
  return TRACE_ID_PATTERN.test(value);
}
