// Imports nothing, so the SDK can load it at runtime (subpath ./trace-id) without TypeBox.
export const TRACE_ID_HEADER = 'x-partner-trace-id';

/** Visible ASCII only, at most 128 characters: safe to echo in a header and write in a log line. */
const TRACE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export function isValidTraceId(value: string): boolean {
  return TRACE_ID_PATTERN.test(value);
}
