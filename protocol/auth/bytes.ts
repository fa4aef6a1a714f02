// Small helpers shared by the auth modules.
import { createHash, timingSafeEqual } from 'node:crypto';
import { md5 as md5Digest } from '../md5.ts';

/** Strings are taken as UTF-8, the encoding RADIUS text attributes use (RFC 2865 5). */
export function toBytes(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** MD5 over the concatenation of `parts` (protocol/md5.ts: no native call per hash). */
export function md5(...parts: readonly Uint8Array[]): Buffer {
  return md5Digest(...parts);
}

export function sha1(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Constant-time comparison that is simply false for different lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function xorInto(target: Buffer, offset: number, mask: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) {
    target[offset + i] = (target[offset + i] ?? 0) ^ (mask[i] ?? 0);
  }
}
