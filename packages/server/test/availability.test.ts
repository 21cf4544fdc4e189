import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/store/availability.js';

/** PostgreSQL reports its errors as SQLSTATE codes on the error (pg's DatabaseError). */
const postgresError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

// What the operator mends and a client may retry (503) against what is a bug (500). The cases a
// test cannot bring about on the machine's shared PostgreSQL (its disk full, its memory gone)
// are checked here, by their codes.
describe('which database errors are an outage (503) rather than a bug (500)', () => {
  it.each([
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['53300', 'too many connections'],
    ['55P03', 'lock_timeout'],
    ['57P05', 'idle_session_timeout'],
    ['57014', 'statement timeout'],
    ['25P04', 'transaction_timeout'],
  ])('PostgreSQL %s (%s) is an outage', (code) => {
    expect(isDatabaseUnavailable(postgresError(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['42601', 'syntax error'],
    ['22P02', 'invalid text representation'],
  ])('PostgreSQL %s (%s) is not', (code) => {
    expect(isDatabaseUnavailable(postgresError(code))).toBe(false);
  });

  it('looks through the causes a driver or Kysely wraps it in', () => {
    const wrapped = new Error('query failed', { cause: postgresError('53100') });
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
  });
});
