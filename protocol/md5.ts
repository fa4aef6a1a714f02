// MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, for the per-packet hashes of RADIUS:
// Response Authenticator, Message-Authenticator, User-Password hiding. Each of those hashes a few
// hundred octets at most; node:crypto's createHash/createHmac cost 1.5-2.5 us per call on this
// kind of machine in object set-up and the native boundary alone, several times the hashing
// itself. Here one hash is a few compressions on a reused state with no allocation, the packet is
// fed in segments (no copy to zero a field), and HMAC keys are pre-hashed once per secret (the
// inner and outer pads are one 64-octet block each, RFC 2104 2), so HMAC costs two compressions
// less than it would otherwise. Checked against node:crypto in test/protocol/md5.test.ts.
//
// Not reentrant by design: the state is module-level and every function runs start to finish
// synchronously, so no two hashes can interleave.

const INIT_A = 0x67452301;
const INIT_B = 0xefcdab89 | 0;
const INIT_C = 0x98badcfe | 0;
const INIT_D = 0x10325476;

/** The running hash: chaining state, a partial block, and the octets hashed so far. */
const state = new Int32Array(4);
const block = new Uint8Array(64);
let blockUsed = 0;
let totalLength = 0;

/** The block as little-endian words (RFC 1321 3.4), whatever the platform's byte order. */
const words = new DataView(block.buffer);

// RFC 1321 3.4, the four rounds written out (no table lookups or branches per step), over `block`:
// every input octet is copied there first, so the sixteen word loads are aligned, little-endian
// DataView reads of one typed array rather than 64 octet loads from whichever Buffer came in.
function compress(): void {
  const w0 = words.getInt32(0, true);
  const w1 = words.getInt32(4, true);
  const w2 = words.getInt32(8, true);
  const w3 = words.getInt32(12, true);
  const w4 = words.getInt32(16, true);
  const w5 = words.getInt32(20, true);
  const w6 = words.getInt32(24, true);
  const w7 = words.getInt32(28, true);
  const w8 = words.getInt32(32, true);
  const w9 = words.getInt32(36, true);
  const w10 = words.getInt32(40, true);
  const w11 = words.getInt32(44, true);
  const w12 = words.getInt32(48, true);
  const w13 = words.getInt32(52, true);
  const w14 = words.getInt32(56, true);
  const w15 = words.getInt32(60, true);
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let t: number;
  t = (a + ((b & c) | (~b & d)) + w0 + -0x28955b88) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + w1 + -0x173848aa) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + w2 + 0x242070db) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + w3 + -0x3e423112) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + w4 + -0x0a83f051) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + w5 + 0x4787c62a) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + w6 + -0x57cfb9ed) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + w7 + -0x02b96aff) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + w8 + 0x698098d8) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + w9 + -0x74bb0851) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + w10 + -0x0000a44f) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + w11 + -0x76a32842) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + w12 + 0x6b901122) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + w13 + -0x02678e6d) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + w14 + -0x5986bc72) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + w15 + 0x49b40821) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((d & b) | (~d & c)) + w1 + -0x09e1da9e) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((c & a) | (~c & b)) + w6 + -0x3fbf4cc0) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((b & d) | (~b & a)) + w11 + 0x265e5a51) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((a & c) | (~a & d)) + w0 + -0x16493856) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((d & b) | (~d & c)) + w5 + -0x29d0efa3) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((c & a) | (~c & b)) + w10 + 0x02441453) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((b & d) | (~b & a)) + w15 + -0x275e197f) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((a & c) | (~a & d)) + w4 + -0x182c0438) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((d & b) | (~d & c)) + w9 + 0x21e1cde6) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((c & a) | (~c & b)) + w14 + -0x3cc8f82a) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((b & d) | (~b & a)) + w3 + -0x0b2af279) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((a & c) | (~a & d)) + w8 + 0x455a14ed) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((d & b) | (~d & c)) + w13 + -0x561c16fb) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((c & a) | (~c & b)) + w2 + -0x03105c08) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((b & d) | (~b & a)) + w7 + 0x676f02d9) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((a & c) | (~a & d)) + w12 + -0x72d5b376) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (b ^ c ^ d) + w5 + -0x0005c6be) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + w8 + -0x788e097f) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + w11 + 0x6d9d6122) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + w14 + -0x021ac7f4) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + w1 + -0x5b4115bc) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + w4 + 0x4bdecfa9) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + w7 + -0x0944b4a0) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + w10 + -0x41404390) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + w13 + 0x289b7ec6) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + w0 + -0x155ed806) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + w3 + -0x2b10cf7b) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + w6 + 0x04881d05) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + w9 + -0x262b2fc7) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + w12 + -0x1924661b) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + w15 + 0x1fa27cf8) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + w2 + -0x3b53a99b) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + w0 + -0x0bd6ddbc) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + w7 + 0x432aff97) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + w14 + -0x546bdc59) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + w5 + -0x036c5fc7) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + w12 + 0x655b59c3) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + w3 + -0x70f3336e) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + w10 + -0x00100b83) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + w1 + -0x7a7ba22f) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + w8 + 0x6fa87e4f) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + w15 + -0x01d31920) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + w6 + -0x5cfebcec) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + w13 + 0x4e0811a1) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + w4 + -0x08ac817e) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + w11 + -0x42c50dcb) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + w2 + 0x2ad7d2bb) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + w9 + -0x14792c6f) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
}

function reset(): void {
  state[0] = INIT_A;
  state[1] = INIT_B;
  state[2] = INIT_C;
  state[3] = INIT_D;
  blockUsed = 0;
  totalLength = 0;
}

/** Zeros block[from..to): a loop, as TypedArray fill is a call into the runtime that costs more. */
function zeroBlock(from: number, to: number): void {
  const b = block;
  for (let i = from; i < to; i++) b[i] = 0;
}

/** Continues from a saved chaining state that has already absorbed `absorbed` octets (whole blocks). */
function resume(saved: Int32Array, absorbed: number): void {
  state[0] = saved[0] as number;
  state[1] = saved[1] as number;
  state[2] = saved[2] as number;
  state[3] = saved[3] as number;
  blockUsed = 0;
  totalLength = absorbed;
}

function update(data: Uint8Array, start = 0, end = data.length): void {
  totalLength += end - start;
  // Locals rather than the module's `blockUsed` and `block` in the loops: a module binding is a
  // context slot, loaded and stored on every octet otherwise.
  const b = block;
  let used = blockUsed;
  let offset = start;
  if (used > 0) {
    const take = Math.min(64 - used, end - offset);
    for (let i = 0; i < take; i++) b[used + i] = data[offset + i] as number;
    used += take;
    offset += take;
    if (used < 64) {
      blockUsed = used;
      return;
    }
    compress();
    used = 0;
  }
  while (end - offset >= 64) {
    for (let i = 0; i < 64; i++) b[i] = data[offset + i] as number;
    compress();
    offset += 64;
  }
  const rest = end - offset;
  for (let i = 0; i < rest; i++) b[used + i] = data[offset + i] as number;
  blockUsed = used + rest;
}

/** `count` zero octets, as if update() had been given them. */
function updateZeros(count: number): void {
  totalLength += count;
  let left = count;
  while (left > 0) {
    const take = Math.min(64 - blockUsed, left);
    zeroBlock(blockUsed, blockUsed + take);
    blockUsed += take;
    left -= take;
    if (blockUsed === 64) {
      compress();
      blockUsed = 0;
    }
  }
}

/** RFC 1321 3.1-3.2: pad with 0x80, zeros, and the length in bits, little-endian. */
function finish(): void {
  const bits = totalLength * 8;
  block[blockUsed++] = 0x80;
  if (blockUsed > 56) {
    zeroBlock(blockUsed, 64);
    compress();
    blockUsed = 0;
  }
  zeroBlock(blockUsed, 56);
  const low = bits >>> 0;
  const high = Math.floor(bits / 0x100000000) >>> 0;
  block[56] = low & 0xff;
  block[57] = (low >>> 8) & 0xff;
  block[58] = (low >>> 16) & 0xff;
  block[59] = (low >>> 24) & 0xff;
  block[60] = high & 0xff;
  block[61] = (high >>> 8) & 0xff;
  block[62] = (high >>> 16) & 0xff;
  block[63] = (high >>> 24) & 0xff;
  compress();
  blockUsed = 0;
}

function writeDigest(out: Uint8Array, offset: number): void {
  for (let i = 0; i < 4; i++) {
    const word = state[i] as number;
    out[offset + 4 * i] = word & 0xff;
    out[offset + 4 * i + 1] = (word >>> 8) & 0xff;
    out[offset + 4 * i + 2] = (word >>> 16) & 0xff;
    out[offset + 4 * i + 3] = (word >>> 24) & 0xff;
  }
}

/** Compares the digest in the state with 16 octets at `offset`, without early exit. */
function digestEquals(expected: Uint8Array, offset: number): boolean {
  if (offset < 0 || offset + 16 > expected.length) return false;
  let diff = 0;
  for (let i = 0; i < 4; i++) {
    const word = state[i] as number;
    diff |=
      ((word & 0xff) ^ (expected[offset + 4 * i] as number)) |
      (((word >>> 8) & 0xff) ^ (expected[offset + 4 * i + 1] as number)) |
      (((word >>> 16) & 0xff) ^ (expected[offset + 4 * i + 2] as number)) |
      (((word >>> 24) & 0xff) ^ (expected[offset + 4 * i + 3] as number));
  }
  return diff === 0;
}

/** MD5 over the concatenation of `parts`, as a fresh 16-octet Buffer. */
export function md5(...parts: readonly Uint8Array[]): Buffer {
  reset();
  for (const part of parts) update(part);
  finish();
  const out = Buffer.allocUnsafe(16);
  writeDigest(out, 0);
  return out;
}

/** MD5(a || b) written into `out` at `offset`: the PAP and salted-attribute keystream step. */
export function md5TwoInto(a: Uint8Array, b: Uint8Array, out: Uint8Array, offset: number): void {
  reset();
  update(a);
  update(b);
  finish();
  writeDigest(out, offset);
}

// ---- RADIUS packet hashes -------------------------------------------------------------------

const HEADER = 4;
const AUTHENTICATOR_END = 20;

function packetLength(bytes: Uint8Array): number {
  return Math.min(((bytes[2] as number) << 8) | (bytes[3] as number), bytes.length);
}

/**
 * RFC 2865 3 / RFC 2866 3: MD5(Code + Identifier + Length + `authenticatorField` + attributes +
 * secret), over the packet up to its Length field, fed in place.
 */
function hashAuthenticator(bytes: Uint8Array, authenticatorField: Uint8Array, secret: Uint8Array): void {
  reset();
  update(bytes, 0, HEADER);
  update(authenticatorField, 0, 16);
  update(bytes, AUTHENTICATOR_END, Math.max(AUTHENTICATOR_END, packetLength(bytes)));
  update(secret);
  finish();
}

export function packetAuthenticatorInto(
  bytes: Uint8Array,
  authenticatorField: Uint8Array,
  secret: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  hashAuthenticator(bytes, authenticatorField, secret);
  writeDigest(out, offset);
}

/** True when octets 4..20 of `bytes` are the authenticator computed with `authenticatorField`. */
export function packetAuthenticatorMatches(
  bytes: Uint8Array,
  authenticatorField: Uint8Array,
  secret: Uint8Array,
): boolean {
  if (bytes.length < AUTHENTICATOR_END) return false;
  hashAuthenticator(bytes, authenticatorField, secret);
  return digestEquals(bytes, HEADER);
}

/** The chaining states after one block of key XOR ipad, and one of key XOR opad (RFC 2104 2). */
interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
  /** The key octets the pads came from (Buffer keys are re-checked against them). */
  readonly raw: Uint8Array;
}

const KEY_CACHE_LIMIT = 1024;
const stringKeys = new Map<string, HmacKey>();
const bufferKeys = new WeakMap<Uint8Array, HmacKey>();

function padState(key: Uint8Array, pad: number): Int32Array {
  const padded = new Uint8Array(64);
  for (let i = 0; i < 64; i++) padded[i] = (key[i] ?? 0) ^ pad;
  reset();
  block.set(padded);
  compress();
  return state.slice();
}

function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function deriveKey(raw: Uint8Array): HmacKey {
  // RFC 2104 2: keys longer than the block are hashed first.
  const key = raw.length > 64 ? md5(raw) : raw;
  return { inner: padState(key, 0x36), outer: padState(key, 0x5c), raw: Uint8Array.from(raw) };
}

/**
 * The pre-hashed pads of a secret. Strings are cached by value (a bounded map: a server has one
 * secret per client); Buffers by identity, since their contents could change.
 */
function hmacKey(secret: string | Uint8Array): HmacKey {
  if (typeof secret === 'string') {
    let key = stringKeys.get(secret);
    if (key === undefined) {
      if (stringKeys.size >= KEY_CACHE_LIMIT) stringKeys.clear();
      key = deriveKey(Buffer.from(secret, 'utf8'));
      stringKeys.set(secret, key);
    }
    return key;
  }
  let key = bufferKeys.get(secret);
  if (key === undefined || !sameOctets(key.raw, secret)) {
    key = deriveKey(secret);
    bufferKeys.set(secret, key);
  }
  return key;
}

const innerDigest = new Uint8Array(16);

/**
 * RFC 3579 3.2 Message-Authenticator: HMAC-MD5 over the packet (up to Length) with the authenticator
 * field replaced by `authenticatorField` and the 16 octets at `zeroOffset` taken as zeros (-1: none).
 */
function hashMessageAuthenticator(
  bytes: Uint8Array,
  secret: string | Uint8Array,
  authenticatorField: Uint8Array | undefined,
  zeroOffset: number,
): void {
  const key = hmacKey(secret);
  const length = Math.max(AUTHENTICATOR_END, packetLength(bytes));
  resume(key.inner, 64);
  if (authenticatorField === undefined) {
    update(bytes, 0, AUTHENTICATOR_END);
  } else {
    update(bytes, 0, HEADER);
    update(authenticatorField, 0, 16);
  }
  if (zeroOffset >= AUTHENTICATOR_END && zeroOffset < length) {
    // A value cut short by the Length field is zeroed only as far as the packet goes.
    const zeros = Math.min(16, length - zeroOffset);
    update(bytes, AUTHENTICATOR_END, zeroOffset);
    updateZeros(zeros);
    update(bytes, zeroOffset + zeros, length);
  } else {
    update(bytes, AUTHENTICATOR_END, length);
  }
  finish();
  writeDigest(innerDigest, 0);
  resume(key.outer, 64);
  update(innerDigest);
  finish();
}

export function messageAuthenticatorInto(
  bytes: Uint8Array,
  secret: string | Uint8Array,
  authenticatorField: Uint8Array,
  zeroOffset: number,
  out: Uint8Array,
  offset: number,
): void {
  hashMessageAuthenticator(bytes, secret, authenticatorField, zeroOffset);
  writeDigest(out, offset);
}

/**
 * Signs a packet in place: the Message-Authenticator at `valueOffset` over the packet as it stands
 * (its own authenticator field, the value taken as zeros), for a request whose Request
 * Authenticator is already in octets 4..20. `valueOffset` must lie in the packet.
 */
export function signMessageAuthenticatorInPlace(
  bytes: Uint8Array,
  secret: string | Uint8Array,
  valueOffset: number,
): void {
  hashMessageAuthenticator(bytes, secret, undefined, valueOffset);
  writeDigest(bytes, valueOffset);
}

/**
 * MD5(secret || the 16 octets of `data` at `start`) into `out` at `offset`, reading the second part
 * in place: the User-Password keystream step (RFC 2865 5.2) on a packet under construction.
 */
export function md5SecretBlockInto(
  secret: Uint8Array,
  data: Uint8Array,
  start: number,
  out: Uint8Array,
  offset: number,
): void {
  reset();
  update(secret);
  update(data, start, start + 16);
  finish();
  writeDigest(out, offset);
}

/** True when the 16 octets at `valueOffset` are the Message-Authenticator of the packet. */
export function messageAuthenticatorMatches(
  bytes: Uint8Array,
  secret: string | Uint8Array,
  authenticatorField: Uint8Array,
  valueOffset: number,
): boolean {
  hashMessageAuthenticator(bytes, secret, authenticatorField, valueOffset);
  return digestEquals(bytes, valueOffset);
}

/** HMAC-MD5 (RFC 2104) over the concatenation of `parts`. */
export function hmacMd5(secret: string | Uint8Array, ...parts: readonly Uint8Array[]): Buffer {
  const key = hmacKey(secret);
  resume(key.inner, 64);
  for (const part of parts) update(part);
  finish();
  writeDigest(innerDigest, 0);
  resume(key.outer, 64);
  update(innerDigest);
  finish();
  const out = Buffer.allocUnsafe(16);
  writeDigest(out, 0);
  return out;
}
