/**
 * JSON values written as bytes straight into a buffer, as JSON.stringify would write them. Each
 * function writes at `at` and returns where it stopped; the caller has made room (see
 * maxJsonStringBytes). For the access line (access-lines.ts): a line built as a string is a tree
 * of small strings that V8 must walk and copy again when the log chunk is joined, and that the
 * garbage collector copies while it waits there.
 */

/** Room enough for any string as JSON: `\u001f` is 6 bytes for one character. */
export function maxJsonStringBytes(value: string): number {
  return 6 * value.length + 2;
}

/** Room enough for any number as JSON (`-1.7976931348623157e+308`). */
export const MAX_JSON_NUMBER_BYTES = 24;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PLAIN = 0x20;
const LAST_PLAIN = 0x7e;

/**
 * A JSON string. Printable ASCII other than `"` and `\` is copied as it is; a string with
 * anything else (rare here: a path as Node decoded it, a caller's trace id) goes through
 * JSON.stringify.
 */
export function putJsonString(bytes: Buffer, at: number, value: string): number {
  bytes[at] = QUOTE;
  let end = at + 1;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < FIRST_PLAIN || code > LAST_PLAIN || code === QUOTE || code === BACKSLASH) {
      return at + bytes.write(JSON.stringify(value), at, 'utf8');
    }
    bytes[end] = code;
    end += 1;
  }
  bytes[end] = QUOTE;
  return end + 1;
}

/** A number as JSON.stringify writes it; NaN and the infinities, which JSON cannot hold, as null. */
export function putJsonNumber(bytes: Buffer, at: number, value: number): number {
  if (isSmallNatural(value)) return putDigits(bytes, at, value);
  return at + bytes.write(Number.isFinite(value) ? `${value}` : 'null', at, 'latin1');
}

/**
 * A number that has at most two decimals (a latency rounded to hundredths), without converting a
 * double to a string: JavaScript writes c / 100 as the digits of c with the point put back and
 * trailing zeros dropped (the shortest decimal that reads back as the same double).
 */
export function putJsonHundredths(bytes: Buffer, at: number, value: number): number {
  const hundredths = Math.round(value * 100);
  if (!isSmallNatural(hundredths) || hundredths / 100 !== value) return putJsonNumber(bytes, at, value);
  let end = putDigits(bytes, at, Math.floor(hundredths / 100));
  const fraction = hundredths % 100;
  if (fraction === 0) return end;
  bytes[end] = 0x2e; // "."
  bytes[end + 1] = 0x30 + Math.floor(fraction / 10);
  end += 2;
  if (fraction % 10 === 0) return end;
  bytes[end] = 0x30 + (fraction % 10);
  return end + 1;
}

/** Bytes that never change (the keys and punctuation between the values). */
export function putBytes(bytes: Buffer, at: number, constant: Uint8Array): number {
  bytes.set(constant, at);
  return at + constant.length;
}

/** 0 ≤ value < 2³¹ and whole: written digit by digit. */
function isSmallNatural(value: number): boolean {
  return (value | 0) === value && value >= 0;
}

function putDigits(bytes: Buffer, at: number, value: number): number {
  let end = at + 1;
  for (let limit = 10; value >= limit && limit <= 1e9; limit *= 10) end += 1;
  let rest = value;
  for (let i = end - 1; i >= at; i -= 1) {
    bytes[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return end;
}
