// Single-DES block encryption for MS-CHAP (RFC 2759 8.6 DesEncrypt, RFC 2433 A.6).
//
// Written here rather than taken from node:crypto: Node 20's OpenSSL 3 refuses plain DES, and the
// 3DES-EDE stand-in (K1 = K2 = K3) costs a cipher context per block, about 20 us, which made the
// NT-Response the most expensive step of an MS-CHAPv2 login on both the server and the load client.
// This is the FIPS 46-3 algorithm with the S-boxes and the P permutation folded into eight lookup
// tables built at load; test/protocol/auth/md4-des.test.ts checks it against OpenSSL's 3DES-EDE.
import { requireLength } from './errors.ts';

export const DES_KEY_SEED_LENGTH = 7;
export const DES_BLOCK_LENGTH = 8;

/**
 * Spreads 56 key bits over 8 octets, 7 bits each in the high bits, and sets the low bit of each
 * octet for odd parity (FIPS 46-3). DES ignores the parity bits; they are set to give the usual form.
 */
export function expandDesKey(seed: Uint8Array): Buffer {
  requireLength('DES key seed', seed, DES_KEY_SEED_LENGTH);
  const key = Buffer.alloc(DES_BLOCK_LENGTH);
  for (let i = 0; i < DES_BLOCK_LENGTH; i++) {
    const high = (seedBits(seed, 7 * i, 7) << 1) & 0xff;
    key[i] = high | oddParityBit(high);
  }
  return key;
}

/** `count` (at most 8) bits of the seed starting at bit `from` (0 = the first octet's top bit). */
function seedBits(seed: Uint8Array, from: number, count: number): number {
  const octet = from >> 3;
  const pair = ((seed[octet] ?? 0) << 8) | (seed[octet + 1] ?? 0);
  return (pair >> (16 - (from & 7) - count)) & ((1 << count) - 1);
}

function oddParityBit(octet: number): 0 | 1 {
  let ones = 0;
  for (let v = octet; v !== 0; v >>= 1) ones += v & 1;
  return ones % 2 === 0 ? 1 : 0;
}

/** Encrypts one 8-octet block with the DES key built from a 7-octet seed; no padding. */
export function desEncryptBlock(keySeed: Uint8Array, block: Uint8Array): Buffer {
  requireLength('DES key seed', keySeed, DES_KEY_SEED_LENGTH);
  requireLength('DES block', block, DES_BLOCK_LENGTH);
  const subkeys = keySchedule(keySeed);
  const [left, right] = permute64(wordAt(block, 0), wordAt(block, 4), INITIAL_PERMUTATION);
  let l = left;
  let r = right;
  for (let round = 0; round < 16; round++) {
    const next = (l ^ feistel(r, subkeys, round * 8)) >>> 0;
    l = r;
    r = next;
  }
  // The last round's halves are not swapped back (FIPS 46-3: the preoutput is R16 L16).
  const [high, low] = permute64(r, l, FINAL_PERMUTATION);
  const out = Buffer.allocUnsafe(DES_BLOCK_LENGTH);
  out.writeUInt32BE(high, 0);
  out.writeUInt32BE(low, 4);
  return out;
}

function wordAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Bit `position` (1 = most significant) of the 64-bit value high:low. */
function bit64(high: number, low: number, position: number): number {
  return position <= 32 ? (high >>> (32 - position)) & 1 : (low >>> (64 - position)) & 1;
}

function permute64(high: number, low: number, table: readonly number[]): [number, number] {
  let outHigh = 0;
  let outLow = 0;
  for (let i = 0; i < 32; i++) outHigh = (outHigh << 1) | bit64(high, low, table[i]!);
  for (let i = 32; i < 64; i++) outLow = (outLow << 1) | bit64(high, low, table[i]!);
  return [outHigh >>> 0, outLow >>> 0];
}

/** The round function f(R, K): expansion, key mixing, S-boxes and P through the SP tables. */
function feistel(r: number, subkeys: Uint8Array, at: number): number {
  // Expansion E: group j takes R's bits 4j..4j+5 (1-based, wrapping 0 to 32 and 33 to 1).
  let f = SP[0]![(((r & 1) << 5) | (r >>> 27)) ^ subkeys[at]!]!;
  for (let j = 1; j < 7; j++) f ^= SP[j]![((r >>> (27 - 4 * j)) & 0x3f) ^ subkeys[at + j]!]!;
  f ^= SP[7]![(((r & 0x1f) << 1) | (r >>> 31)) ^ subkeys[at + 7]!]!;
  return f;
}

/** Sixteen 48-bit subkeys, each as eight 6-bit groups, from the 56 key bits of the seed. */
function keySchedule(seed: Uint8Array): Uint8Array {
  // PC-1 numbers the bits of the 64-bit key with parity; bit 8k+m (m < 8) is seed bit 7k+m-1.
  let c = 0;
  let d = 0;
  for (let i = 0; i < 28; i++) c = (c << 1) | keyBit(seed, PERMUTED_CHOICE_1[i]!);
  for (let i = 28; i < 56; i++) d = (d << 1) | keyBit(seed, PERMUTED_CHOICE_1[i]!);
  const subkeys = new Uint8Array(16 * 8);
  for (let round = 0; round < 16; round++) {
    const shift = ROTATIONS[round]!;
    c = ((c << shift) | (c >>> (28 - shift))) & 0xfffffff;
    d = ((d << shift) | (d >>> (28 - shift))) & 0xfffffff;
    for (let group = 0; group < 8; group++) {
      let six = 0;
      for (let b = 0; b < 6; b++) {
        const position = PERMUTED_CHOICE_2[group * 6 + b]!;
        const value = position <= 28 ? (c >>> (28 - position)) & 1 : (d >>> (56 - position)) & 1;
        six = (six << 1) | value;
      }
      subkeys[round * 8 + group] = six;
    }
  }
  return subkeys;
}

function keyBit(seed: Uint8Array, position: number): number {
  const withinOctet = (position - 1) & 7;
  return seedBits(seed, 7 * ((position - 1) >> 3) + withinOctet, 1);
}

// FIPS 46-3 tables, 1-based bit positions as the standard prints them.
const INITIAL_PERMUTATION = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
] as const;

const FINAL_PERMUTATION: readonly number[] = (() => {
  const inverse = new Array<number>(64);
  INITIAL_PERMUTATION.forEach((from, to) => (inverse[from - 1] = to + 1));
  return inverse;
})();

const PERMUTED_CHOICE_1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
] as const;

const PERMUTED_CHOICE_2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
] as const;

const ROTATIONS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1] as const;

const PERMUTATION_P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
] as const;

// S1..S8, each four rows of sixteen; row = outer bits of the 6-bit input, column = inner four.
const S_BOXES = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3,
    8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6,
    13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11,
    5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5,
    14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15,
    1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2,
    12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14,
    9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2,
    14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8,
    6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4,
    5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3,
    8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8,
    13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8,
    6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3,
    12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9,
    2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6,
    11,
  ],
] as const;

/** SP[j][six]: S-box j's output for a 6-bit input, placed at its nibble and passed through P. */
const SP: readonly Uint32Array[] = S_BOXES.map((box, j) => {
  const table = new Uint32Array(64);
  for (let six = 0; six < 64; six++) {
    const row = ((six >> 4) & 2) | (six & 1);
    const column = (six >> 1) & 0xf;
    const placed = (box[row * 16 + column]! << (28 - 4 * j)) >>> 0;
    let permuted = 0;
    for (const from of PERMUTATION_P) permuted = (permuted << 1) | ((placed >>> (32 - from)) & 1);
    table[six] = permuted >>> 0;
  }
  return table;
});
