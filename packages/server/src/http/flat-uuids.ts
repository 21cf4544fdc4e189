import { randomFillSync } from 'node:crypto';

const PER_BATCH = 128;
const BYTES_PER_UUID = 16;
const CHARS_PER_UUID = 36;
const DASH = 0x2d;

const HEX = '0123456789abcdef';
/** The ASCII codes of each byte's two lower-case hex digits. */
const HIGH_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX.charCodeAt(byte >> 4));
const LOW_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX.charCodeAt(byte & 0x0f));

/**
 * Random (version 4, RFC 9562) UUIDs, as `crypto.randomUUID()` makes them, for a fresh trace id
 * on every request that brings none.
 *
 * Why not randomUUID itself: it joins its UUID from 20 pieces, a tree of strings that V8 must copy
 * into one ("flatten") before the response's header check can read it, and that copy cost more
 * than making the UUID (`npm run bench:micro trace-id`). Here 128 UUIDs are written as text into
 * one buffer and read out as one string; each UUID is a slice of it, which reads as flat. A
 * slice keeps its batch's 4.6 KB string alive, which is no cost while trace ids live as long as
 * their requests.
 */
export class FlatUuids {
  private readonly random = Buffer.alloc(PER_BATCH * BYTES_PER_UUID);
  private readonly text = Buffer.alloc(PER_BATCH * CHARS_PER_UUID);
  private batch = '';
  private next = PER_BATCH;

  take(): string {
    if (this.next === PER_BATCH) this.refill();
    const start = this.next * CHARS_PER_UUID;
    this.next += 1;
    return this.batch.slice(start, start + CHARS_PER_UUID);
  }

  private refill(): void {
    randomFillSync(this.random);
    let at = 0;
    for (let uuid = 0; uuid < PER_BATCH; uuid += 1) {
      at = this.writeUuid(uuid * BYTES_PER_UUID, at);
    }
    this.batch = this.text.toString('latin1', 0, at);
    this.next = 0;
  }

  /** Writes one UUID's 36 characters from its 16 random bytes at `from`; returns where it ended. */
  private writeUuid(from: number, at: number): number {
    const bytes = this.random;
    // The version (4) and the variant (10xx), as RFC 9562 section 5.4 sets them.
    bytes[from + 6] = ((bytes[from + 6] as number) & 0x0f) | 0x40;
    bytes[from + 8] = ((bytes[from + 8] as number) & 0x3f) | 0x80;
    let end = at;
    for (let index = 0; index < BYTES_PER_UUID; index += 1) {
      if (index === 4 || index === 6 || index === 8 || index === 10) {
        this.text[end] = DASH;
        end += 1;
      }
      const byte = bytes[from + index] as number;
      this.text[end] = HIGH_DIGIT[byte] as number;
      this.text[end + 1] = LOW_DIGIT[byte] as number;
      end += 2;
    }
    return end;
  }
}
