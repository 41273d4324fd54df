import { randomFillSync } from 'node:crypto';

// Ids are minted per message on the hot path (span ids, trace ids, UUIDv7s); a crypto call for 8 bytes costs about
// as much as for 4 KiB, so draw them from a pooled buffer refilled in one call.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_SIZE) throw new Error(`at most ${POOL_SIZE} pooled random bytes at a time`);
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return out;
}

export function randomHex(size: number): string {
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + size);
  offset += size;
  return hex;
}
