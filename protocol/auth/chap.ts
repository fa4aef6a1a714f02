// CHAP (RFC 1994 4.1) as RADIUS carries it (RFC 2865 5.3 CHAP-Password, 5.40 CHAP-Challenge).
import { requireLength, requireOctetRange } from './errors.ts';
import { equalBytes, md5, toBytes } from './bytes.ts';
import { failWith, ok, type Result } from './result.ts';

export const CHAP_RESPONSE_LENGTH = 16;
/** RFC 2865 5.3: CHAP Ident (1 octet) followed by the 16-octet response. */
export const CHAP_PASSWORD_LENGTH = 1 + CHAP_RESPONSE_LENGTH;

/** RFC 1994 4.1: Response = MD5(Identifier || secret || Challenge). EAP-MD5 uses the same. */
export function chapResponse(chapId: number, password: Buffer | string, challenge: Buffer): Buffer {
  requireOctetRange('CHAP identifier', chapId, 0, 255);
  return md5(Buffer.from([chapId]), toBytes(password), challenge);
}

/** The 17-octet CHAP-Password value: CHAP Ident, then the response. */
export function encodeChapPassword(chapId: number, response: Buffer): Buffer {
  requireOctetRange('CHAP identifier', chapId, 0, 255);
  requireLength('CHAP response', response, CHAP_RESPONSE_LENGTH);
  return Buffer.concat([Buffer.from([chapId]), response]);
}

export interface ChapPassword {
  readonly chapId: number;
  readonly response: Buffer;
}

export type ChapPasswordFailureCode = 'chap-password-length';

export const chapPasswordFailureReasons: Readonly<Record<ChapPasswordFailureCode, string>> = {
  'chap-password-length': 'CHAP-Password value is not 17 octets (RFC 2865 5.3)',
};

export function decodeChapPassword(value: Buffer): Result<ChapPassword, ChapPasswordFailureCode> {
  if (value.length !== CHAP_PASSWORD_LENGTH) {
    return failWith(chapPasswordFailureReasons, 'chap-password-length', `${value.length} octets`);
  }
  return ok({ chapId: value[0] ?? 0, response: value.subarray(1) });
}

/**
 * Checks a CHAP-Password value against a cleartext password. `challenge` is CHAP-Challenge, or the
 * Request Authenticator when the request has no CHAP-Challenge (RFC 2865 2.2 and 5.40).
 */
export function verifyChapPassword(
  chapPasswordValue: Buffer,
  challenge: Buffer,
  password: Buffer | string,
): boolean {
  const decoded = decodeChapPassword(chapPasswordValue);
  if (!decoded.ok) return false;
  return equalBytes(decoded.value.response, chapResponse(decoded.value.chapId, password, challenge));
}
