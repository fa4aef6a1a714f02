import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  MESSAGE_AUTHENTICATOR_LENGTH,
  MESSAGE_AUTHENTICATOR_TYPE,
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
} from './constants.ts';

export type Secret = Buffer | string;

export function secretBytes(secret: Secret): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

const ZERO_AUTHENTICATOR = Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH);

/** Returns the offset of the Message-Authenticator value in encoded packet bytes, or -1. */
export function messageAuthenticatorOffset(bytes: Buffer): number {
  if (bytes.length < RADIUS_HEADER_LENGTH) return -1;
  const length = Math.min(bytes.readUInt16BE(2), bytes.length);
  for (let offset = RADIUS_HEADER_LENGTH; offset + 2 <= length;) {
    const attrLength = bytes.readUInt8(offset + 1);
    if (attrLength < 2) return -1;
    if (
      bytes.readUInt8(offset) === MESSAGE_AUTHENTICATOR_TYPE &&
      attrLength === MESSAGE_AUTHENTICATOR_LENGTH + 2
    ) {
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
  computeMessageAuthenticator(bytes, secret, authenticatorField).copy(bytes, offset);
}

export function verifyMessageAuthenticator(
  bytes: Buffer,
  secret: Secret,
  authenticatorField: Buffer,
): boolean {
  const offset = messageAuthenticatorOffset(bytes);
  if (offset < 0) return false;
  const expected = computeMessageAuthenticator(bytes, secret, authenticatorField);
  return timingSafeEqual(expected, bytes.subarray(offset, offset + MESSAGE_AUTHENTICATOR_LENGTH));
}

/**
 * RFC 2865 3 Response Authenticator / RFC 2866 3 Request Authenticator: MD5 over Code, Identifier,
 * Length, `authenticatorField`, the attributes and the secret.
 */
export function computeAuthenticator(bytes: Buffer, secret: Secret, authenticatorField: Buffer): Buffer {
  const length = bytes.readUInt16BE(2);
  return createHash('md5')
    .update(bytes.subarray(0, 4))
    .update(authenticatorField)
    .update(bytes.subarray(RADIUS_HEADER_LENGTH, length))
    .update(secretBytes(secret))
    .digest();
}

export function signResponseAuthenticator(bytes: Buffer, secret: Secret, requestAuthenticator: Buffer): void {
  computeAuthenticator(bytes, secret, requestAuthenticator).copy(bytes, 4);
}

export function signComputedRequestAuthenticator(bytes: Buffer, secret: Secret): void {
  computeAuthenticator(bytes, secret, ZERO_AUTHENTICATOR).copy(bytes, 4);
}

export function verifyResponseAuthenticator(
  bytes: Buffer,
  secret: Secret,
  requestAuthenticator: Buffer,
): boolean {
  const expected = computeAuthenticator(bytes, secret, requestAuthenticator);
  return timingSafeEqual(expected, bytes.subarray(4, RADIUS_HEADER_LENGTH));
}

export function verifyComputedRequestAuthenticator(bytes: Buffer, secret: Secret): boolean {
  return verifyResponseAuthenticator(bytes, secret, ZERO_AUTHENTICATOR);
}

export { ZERO_AUTHENTICATOR };
