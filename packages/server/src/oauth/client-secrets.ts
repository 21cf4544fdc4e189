import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client credentials. Secrets are 256 random bits, so a fast hash is enough (nobody can
 * brute-force the preimage); comparison is constant-time so the hash does not leak byte by byte.
 */
export function generateClientId(): string {
  return `cp_${randomBytes(12).toString('base64url')}`;
}

export function generateClientSecret(): string {
  return `cps_${randomBytes(32).toString('base64url')}`;
}

export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function clientSecretMatches(secret: string, storedHash: string): boolean {
  const candidate = Buffer.from(hashClientSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
