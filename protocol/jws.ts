// JWS compact serialization (RFC 7515) for the three algorithms client assertions use (RFC 7518
// section 3: RS256, PS256 with a salt as long as the hash, ES256 with the raw r||s signature), on
// node:crypto's synchronous sign and verify. Synchronous on purpose: jose signs through WebCrypto,
// whose work finishes on libuv's thread pool, outside what a VirtualClock can wait for, so a login in
// virtual time would start at an instant that depends on the machine's load. jose stays the
// independent check: the tests verify these signatures with it and feed its signatures to this.

import { constants, sign, verify, type KeyObject, type SigningOptions } from 'node:crypto';
import type { AssertionAlgorithm } from './client-assertion.ts';

function options(alg: AssertionAlgorithm, key: KeyObject): { key: KeyObject } & SigningOptions {
  switch (alg) {
    case 'RS256':
      return { key, padding: constants.RSA_PKCS1_PADDING };
    case 'PS256':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    case 'ES256':
      return { key, dsaEncoding: 'ieee-p1363' };
  }
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signCompact(
  header: { readonly alg: AssertionAlgorithm } & Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(input), options(header.alg, privateKey));
  return `${input}.${signature.toString('base64url')}`;
}

export type CompactParse =
  | {
      readonly ok: true;
      readonly header: Record<string, unknown>;
      readonly payload: Record<string, unknown>;
      readonly signingInput: string;
      readonly signature: Buffer;
    }
  | { readonly ok: false };

function object(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function parseCompact(jwt: string): CompactParse {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false };
  const header = object(parts[0]);
  const payload = object(parts[1]);
  const signature = parts[2] ?? '';
  if (header === undefined || payload === undefined || !/^[A-Za-z0-9_-]*$/.test(signature))
    return { ok: false };
  return {
    ok: true,
    header,
    payload,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** False for a wrong signature and for a key of another kind than `alg` needs. */
export function verifyCompact(
  parsed: Extract<CompactParse, { ok: true }>,
  alg: AssertionAlgorithm,
  publicKey: KeyObject,
): boolean {
  const kind = publicKey.asymmetricKeyType;
  if (alg === 'ES256' ? kind !== 'ec' : kind !== 'rsa' && kind !== 'rsa-pss') return false;
  try {
    return verify('sha256', Buffer.from(parsed.signingInput), options(alg, publicKey), parsed.signature);
  } catch {
    return false;
  }
}
