import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  MESSAGE_AUTHENTICATOR_LENGTH,
  MESSAGE_AUTHENTICATOR_TYPE,
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
} from './constants.ts';
import {
  messageAuthenticatorInto,
  messageAuthenticatorMatches,
  packetAuthenticatorInto,
  packetAuthenticatorMatches,
} from './md5.ts';

export type Secret = Buffer | string;

export function secretBytes(secret: Secret): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

const SECRET_CACHE_LIMIT = 1024;
const secretOctetsCache = new Map<string, Buffer>();

/**
 * secretBytes for hashing only (never handed out, never written): string secrets are encoded once,
 * not once per packet. Bounded: a server has one secret per client.
 */
export function secretOctets(secret: Secret): Buffer {
  if (typeof secret !== 'string') return secret;
  let octets = secretOctetsCache.get(secret);
  if (octets === undefined) {
    if (secretOctetsCache.size >= SECRET_CACHE_LIMIT) secretOctetsCache.clear();
    octets = Buffer.from(secret, 'utf8');
    secretOctetsCache.set(secret, octets);
  }
  return octets;
}

/**
 * The in-place hashes (protocol/md5.ts) cover every packet that decodes; anything odder (a Length
 * below the header, an authenticator field that is not 16 octets) takes node:crypto on a copy,
 * exactly as before, so those edge cases keep their old results.
 */
function isRegular(bytes: Buffer, authenticatorField: Buffer): boolean {
  return (
    authenticatorField.length === RADIUS_AUTHENTICATOR_LENGTH &&
    bytes.length >= RADIUS_HEADER_LENGTH &&
    bytes.readUInt16BE(2) >= RADIUS_HEADER_LENGTH
  );
}

const ZERO_AUTHENTICATOR = Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH);

/** Returns the offset of the Message-Authenticator value in encoded packet bytes, or -1. */
export function messageAuthenticatorOffset(bytes: Buffer): number {
  if (bytes.length < RADIUS_HEADER_LENGTH) return -1;
  const length = Math.min(bytes.readUInt16BE(2), bytes.length);
  for (let offset = RADIUS_HEADER_LENGTH; offset + 2 <= length;) {
    const attrLength = bytes[offset + 1] as number;
    if (attrLength < 2) return -1;
    if (bytes[offset] === MESSAGE_AUTHENTICATOR_TYPE && attrLength === MESSAGE_AUTHENTICATOR_LENGTH + 2) {
      return offset + 2;
    }
    offset += attrLength;
  }
  return -1;
}

/**
 * HMAC-MD5 over the packet with the Message-Authenticator zeroed and the authenticator field set to
 * `authenticatorField` (RFC 3579 3.2: the Request Authenticator for Access-Request and replies to it,
 * zero for Accounting/CoA/Disconnect requests, RFC 5176 3.1).
 */
export function computeMessageAuthenticator(
  bytes: Buffer,
  secret: Secret,
  authenticatorField: Buffer,
): Buffer {
  const offset = messageAuthenticatorOffset(bytes);
  if (isRegular(bytes, authenticatorField)) {
    const out = Buffer.allocUnsafe(MESSAGE_AUTHENTICATOR_LENGTH);
    messageAuthenticatorInto(bytes, secret, authenticatorField, offset, out, 0);
    return out;
  }
  const length = bytes.readUInt16BE(2);
  const copy = Buffer.from(bytes.subarray(0, length));
  authenticatorField.copy(copy, 4);
  if (offset >= 0) copy.fill(0, offset, offset + MESSAGE_AUTHENTICATOR_LENGTH);
  return createHmac('md5', secretBytes(secret)).update(copy).digest();
}

/** Writes the Message-Authenticator in place; the packet must already carry a 16-octet placeholder. */
export function signMessageAuthenticator(bytes: Buffer, secret: Secret, authenticatorField: Buffer): void {
  const offset = messageAuthenticatorOffset(bytes);
  if (offset < 0) return;
  if (isRegular(bytes, authenticatorField) && offset + MESSAGE_AUTHENTICATOR_LENGTH <= bytes.length) {
    messageAuthenticatorInto(bytes, secret, authenticatorField, offset, bytes, offset);
    return;
  }
  computeMessageAuthenticator(bytes, secret, authenticatorField).copy(bytes, offset);
}

export function verifyMessageAuthenticator(
  bytes: Buffer,
  secret: Secret,
  authenticatorField: Buffer,
): boolean {
  const offset = messageAuthenticatorOffset(bytes);
  if (offset < 0) return false;
  if (isRegular(bytes, authenticatorField) && offset + MESSAGE_AUTHENTICATOR_LENGTH <= bytes.length) {
    return messageAuthenticatorMatches(bytes, secret, authenticatorField, offset);
  }
  const expected = computeMessageAuthenticator(bytes, secret, authenticatorField);
  return timingSafeEqual(expected, bytes.subarray(offset, offset + MESSAGE_AUTHENTICATOR_LENGTH));
}

/**
 * RFC 2865 3 Response Authenticator / RFC 2866 3 Request Authenticator: MD5 over Code, Identifier,
 * Length, `authenticatorField`, the attributes and the secret.
 */
export function computeAuthenticator(bytes: Buffer, secret: Secret, authenticatorField: Buffer): Buffer {
  if (isRegular(bytes, authenticatorField)) {
    const out = Buffer.allocUnsafe(RADIUS_AUTHENTICATOR_LENGTH);
    packetAuthenticatorInto(bytes, authenticatorField, secretOctets(secret), out, 0);
    return out;
  }
  const length = bytes.readUInt16BE(2);
  return createHash('md5')
    .update(bytes.subarray(0, 4))
    .update(authenticatorField)
    .update(bytes.subarray(RADIUS_HEADER_LENGTH, length))
    .update(secretBytes(secret))
    .digest();
}

export function signResponseAuthenticator(bytes: Buffer, secret: Secret, requestAuthenticator: Buffer): void {
  if (isRegular(bytes, requestAuthenticator)) {
    // The field is read before it is overwritten: the hash takes requestAuthenticator, not bytes[4..20].
    packetAuthenticatorInto(bytes, requestAuthenticator, secretOctets(secret), bytes, 4);
    return;
  }
  computeAuthenticator(bytes, secret, requestAuthenticator).copy(bytes, 4);
}

export function signComputedRequestAuthenticator(bytes: Buffer, secret: Secret): void {
  signResponseAuthenticator(bytes, secret, ZERO_AUTHENTICATOR);
}

export function verifyResponseAuthenticator(
  bytes: Buffer,
  secret: Secret,
  requestAuthenticator: Buffer,
): boolean {
  if (isRegular(bytes, requestAuthenticator)) {
    return packetAuthenticatorMatches(bytes, requestAuthenticator, secretOctets(secret));
  }
  const expected = computeAuthenticator(bytes, secret, requestAuthenticator);
  return timingSafeEqual(expected, bytes.subarray(4, RADIUS_HEADER_LENGTH));
}

export function verifyComputedRequestAuthenticator(bytes: Buffer, secret: Secret): boolean {
  return verifyResponseAuthenticator(bytes, secret, ZERO_AUTHENTICATOR);
}

export { ZERO_AUTHENTICATOR };
