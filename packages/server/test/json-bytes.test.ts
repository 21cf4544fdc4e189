import { describe, expect, it } from 'vitest';
import {
  MAX_JSON_NUMBER_BYTES,
  maxJsonStringBytes,
  putBytes,
  putJsonHundredths,
  putJsonNumber,
  putJsonString,
} from '../src/logging/json-bytes.js';

/** What a put function wrote, starting at an offset that is not 0, as text. */
function written(put: (bytes: Buffer, at: number) => number): string {
  const bytes = Buffer.alloc(4096, 0x21);
  const end = put(bytes, 7);
  return bytes.toString('utf8', 7, end);
}

describe('JSON values written as bytes', () => {
  it('writes strings as JSON.stringify does, escapes and characters past ASCII included', () => {
    const strings = [
      '',
      'plain text ~ 0-9',
      '5c2d0f0e-3b1a-4c55-9d6e-0a1b2c3d4e5f',
      'a "quoted" word',
      'back\\slash',
      'control \u0000 \u0001 \u001f and delete \u007f',
      'caf\u00e9 \u00ff \u2028 \u2029 \ud83d\ude00',
      'a lone surrogate \ud800 here',
      '\n\r\t\b\f',
    ];
    for (const value of strings) {
      expect(written((bytes, at) => putJsonString(bytes, at, value))).toBe(JSON.stringify(value));
    }
  });

  it('never needs more room than maxJsonStringBytes', () => {
    const worst = '\u0001\ud800\u2028"\\';
    const bytes = Buffer.alloc(64);
    expect(putJsonString(bytes, 0, worst)).toBeLessThanOrEqual(maxJsonStringBytes(worst));
  });

  it('writes numbers as JSON.stringify does, and null for what JSON cannot hold', () => {
    const numbers = [
      0, -0, 1, 9, 10, 99, 100, 200, 404, 12345, 2147483647, 2147483648, -1, 0.5, 1e21, 1.5e-7,
    ];
    for (const value of numbers) {
      expect(written((bytes, at) => putJsonNumber(bytes, at, value))).toBe(JSON.stringify(value));
    }
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      expect(written((bytes, at) => putJsonNumber(bytes, at, value))).toBe('null');
    }
    const longest = -1.7976931348623157e308;
    expect(written((bytes, at) => putJsonNumber(bytes, at, longest))).toHaveLength(MAX_JSON_NUMBER_BYTES);
  });

  it('writes every latency rounded to hundredths, up to 10,000 s, as JavaScript does', () => {
    const bytes = Buffer.alloc(32);
    for (let hundredths = 0; hundredths <= 1_000_000; hundredths += 1) {
      const value = hundredths / 100;
      const end = putJsonHundredths(bytes, 0, value);
      const text = bytes.toString('latin1', 0, end);
      if (text !== `${value}`) expect(text).toBe(`${value}`);
    }
  });

  it('writes any other number given as hundredths as JSON.stringify does', () => {
    for (const value of [0.125, 1 / 3, -0.5, -0, 1e21, 123456.78, 21474836.48]) {
      expect(written((bytes, at) => putJsonHundredths(bytes, at, value))).toBe(JSON.stringify(value));
    }
    expect(written((bytes, at) => putJsonHundredths(bytes, at, Number.NaN))).toBe('null');
  });

  it('copies constant bytes', () => {
    expect(written((bytes, at) => putBytes(bytes, at, Buffer.from(',"key":')))).toBe(',"key":');
  });
});
