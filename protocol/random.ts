// Random octets for Request Authenticators and salts, drawn from node:crypto's CSPRNG a block at a
// time: one randomBytes(16) call costs about 4 us here (most of it the call itself), which at tens
// of thousands of requests per second would be a large share of a load generator's CPU. Every
// octet is handed out once and copied out, so callers get independent Buffers as from randomBytes.
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
/** Requests larger than this go straight to randomBytes (they are rare and would drain the pool). */
const POOLED_MAX = 256;

const pool = Buffer.allocUnsafe(POOL_SIZE);
let used = POOL_SIZE;

/** Same contract as node:crypto randomBytes(size), synchronous form. */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOLED_MAX) return randomBytes(size);
  if (used + size > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.allocUnsafe(size);
  pool.copy(out, 0, used, used + size);
  used += size;
  return out;
}

/**
 * Writes `size` fresh random octets into `target` at `offset`, straight from the pool: what
 * pooledRandomBytes gives, without a Buffer per call (a Request Authenticator written into the
 * datagram it belongs to).
 */
export function pooledRandomFill(target: Uint8Array, offset: number, size: number): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(size) ||
    size < 0 ||
    offset < 0 ||
    offset + size > target.length
  ) {
    throw new RangeError(`cannot fill ${size} octets at ${offset} of a ${target.length}-octet buffer`);
  }
  if (size > POOLED_MAX) {
    randomFillSync(target, offset, size);
    return;
  }
  if (used + size > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  for (let i = 0; i < size; i++) target[offset + i] = pool[used + i] as number;
  used += size;
}
