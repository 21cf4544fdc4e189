import { describe, expect, it } from 'vitest';
import { FlatUuids } from '../src/http/flat-uuids.js';

// RFC 9562: version 4 in the version nibble, 10xx in the variant bits, lower-case hex.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('FlatUuids: fresh trace ids', () => {
  // Several batches of 128, so that refilling is exercised too.
  const uuids = new FlatUuids();
  const taken = Array.from({ length: 1000 }, () => uuids.take());

  it('makes version 4 UUIDs in the form crypto.randomUUID gives', () => {
    for (const uuid of taken) expect(uuid).toMatch(UUID_V4);
  });

  it('never repeats one', () => {
    expect(new Set(taken).size).toBe(taken.length);
  });

  it('uses every hex digit in every random position', () => {
    // 1,000 UUIDs of random hex: a position stuck on a few digits (a formatting slip) shows here.
    const positions = [0, 7, 9, 15, 20, 35];
    for (const position of positions) {
      const digits = new Set(taken.map((uuid) => uuid[position]));
      expect(digits.size, `position ${position}`).toBe(16);
    }
  });

  it('does not share random bytes between instances', () => {
    const other = new FlatUuids();
    const fromOther = new Set(Array.from({ length: 200 }, () => other.take()));
    expect(taken.some((uuid) => fromOther.has(uuid))).toBe(false);
  });
});
