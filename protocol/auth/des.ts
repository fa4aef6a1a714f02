// Single-DES block encryption for MS-CHAP (RFC 2759 8.6 DesEncrypt, RFC 2433 A.6). Node 20's
// OpenSSL 3 refuses plain DES, but 3DES-EDE with K1 = K2 = K3 computes E(K, D(K, E(K, x))) = E(K, x).
import { createCipheriv } from 'node:crypto';
import { requireLength } from './errors.ts';

export const DES_KEY_SEED_LENGTH = 7;
export const DES_BLOCK_LENGTH = 8;

/**
 * Spreads 56 key bits over 8 octets, 7 bits each in the high bits, and sets the low bit of each
 * octet for odd parity (FIPS 46-3). DES ignores the parity bits; they are set to give the usual form.
 */
export function expandDesKey(seed: Uint8Array): Buffer {
  requireLength('DES key seed', seed, DES_KEY_SEED_LENGTH);
  let bits = 0n;
  for (const octet of seed) bits = (bits << 8n) | BigInt(octet);
  const key = Buffer.alloc(DES_BLOCK_LENGTH);
  for (let i = 0; i < DES_BLOCK_LENGTH; i++) {
    const seven = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn);
    const high = seven << 1;
    key[i] = high | oddParityBit(high);
  }
  return key;
}

function oddParityBit(octet: number): 0 | 1 {
  let ones = 0;
  for (let v = octet; v !== 0; v >>= 1) ones += v & 1;
  return ones % 2 === 0 ? 1 : 0;
}

/** Encrypts one 8-octet block with the DES key built from a 7-octet seed; no padding. */
export function desEncryptBlock(keySeed: Uint8Array, block: Uint8Array): Buffer {
  requireLength('DES block', block, DES_BLOCK_LENGTH);
  const key = expandDesKey(keySeed);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}
