import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * The PATCH body's JSON parser: Fastify's own (the same errors for an empty or malformed body, the
 * same handling of `__proto__`), except that it refuses what JSON.parse would read otherwise than
 * the text says (refusal). Registered in the arming routes' plugin, so no other route's parser
 * changes.
 */
export function parseUpdateBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text: string, done) => {
    parseJson(request, text, (error, body) => {
      const refused = error ?? refusal(text, body);
      if (refused) done(refused, undefined);
      else done(null, body);
    });
  });
}

/**
 * Looked for only in a body that could be accepted, an object with one member whose value is a
 * number (any other fails the schema, whatever JSON.parse made of it):
 * - A member sent twice. RFC 8259 §4 leaves an object whose names repeat to each parser: JSON.parse
 *   keeps the last, others keep the first or refuse it, so `{"security_type":1,"security_type":4}`
 *   could be a 1 to a proxy, a firewall or an audit of the raw body, and a 4 here. The token
 *   endpoint refuses a repeated parameter for the same reason.
 * - A security type written with a fraction that a double cannot hold: `3.9999999999999999` is
 *   no integer, but JSON.parse rounds it to 4.
 */
function refusal(text: string, body: unknown): ApiError | undefined {
  const name = soleNumberMember(body);
  if (name === undefined) return undefined;
  // Nothing in such a body's text can be a comma (its name, checked, has none, however escaped),
  // except one between that member and a repeat of it.
  if (text.includes(',') && !name.includes(',')) {
    return new ApiError('invalid_body', { field: name, message: `"${name}" is sent more than once` });
  }
  if (name === 'security_type' && !isWholeNumber(numberText(text))) {
    return new ApiError('invalid_security_type', { field: name });
  }
  return undefined;
}

/** The name of the body's one member when the body is an object of one number, else undefined. */
function soleNumberMember(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const names = Object.keys(body);
  if (names.length !== 1) return undefined;
  const name = names[0] as string;
  return typeof (body as Record<string, unknown>)[name] === 'number' ? name : undefined;
}

/** The number as written in `{"security_type": <number>}`: `security_type` holds no colon. */
function numberText(text: string): string {
  return text.slice(text.indexOf(':') + 1, text.lastIndexOf('}')).trim();
}

// RFC 8259 §6: int, frac and exp of a JSON number (JSON.parse has already accepted it).
const JSON_NUMBER = /^-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * Whether a JSON number is an integer as written, in decimal: `3.0`, `30e-1` and `1e400` are;
 * `3.5` and `3.0000000000000001` are not, though a double rounds the last to 3.
 */
function isWholeNumber(written: string): boolean {
  const parts = JSON_NUMBER.exec(written);
  if (!parts) return false;
  const [, int = '', frac = '', exp = '0'] = parts;
  const digits = (int + frac).replace(/0+$/, '');
  if (/^0*$/.test(digits)) return true;
  // The value is digits × 10^scale: whole exactly when the scale is not negative.
  const scale = Number(exp) - frac.length + (int.length + frac.length - digits.length);
  return scale >= 0;
}
