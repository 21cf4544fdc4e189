import { type KeyObject, sign } from 'node:crypto';

/**
 * An ES256 JWS in compact serialization (RFC 7515 §7.1): base64url(header).base64url(payload).
 * base64url(signature), the signature as the raw 64-byte r||s pair (RFC 7518 §3.4).
 *
 * Why not jose's SignJWT, which verifies every token here: jose 6 signs only through WebCrypto,
 * which Node runs as an asynchronous job on its thread pool, and that cost about 85 µs of CPU per
 * token against about 45 µs for node:crypto's synchronous sign (pinned to one core), most of the
 * token endpoint's work. The serialization itself is these few lines.
 */
export function signCompactJws(header: object, payload: object, privateKey: KeyObject): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
