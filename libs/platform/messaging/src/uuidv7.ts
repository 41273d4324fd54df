import { randomBytesPooled } from '@delivery/observability';

// RFC 9562 UUIDv7: 48-bit unix ms timestamp, then random bits; ids sort by creation time.
// A per-process counter in rand_a keeps ids minted in the same millisecond monotonic.
let lastMs = 0;
let sequence = 0;

export function uuidv7(now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1; // 4096 ids in one ms: borrow the next millisecond
    now = lastMs;
  } else {
    lastMs = now;
    sequence = randomBytesPooled(2).readUInt16BE(0) & 0x7ff;
  }
  const bytes = randomBytesPooled(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
