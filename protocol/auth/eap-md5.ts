// EAP-MD5-Challenge (RFC 3748 5.4): CHAP (RFC 1994) inside EAP, keyed on the EAP Identifier.
import { chapResponse } from './chap.ts';
import { equalBytes, toBytes } from './bytes.ts';
import { AuthInputError } from './errors.ts';
import { EapCode, EapType, encodeEap } from './eap.ts';
import { failWith, ok, type Result } from './result.ts';

export interface Md5TypeData {
  /** The challenge (in a Request) or the response (in a Response). */
  readonly value: Buffer;
  /** Identifies the sender (RFC 1994 4.1 Name); may be empty. */
  readonly name: Buffer;
}

export type Md5FailureCode = 'md5-empty' | 'md5-value-size-zero' | 'md5-value-truncated';

export const md5FailureReasons: Readonly<Record<Md5FailureCode, string>> = {
  'md5-empty': 'EAP-MD5 Type-Data is empty: no Value-Size octet (RFC 3748 5.4)',
  'md5-value-size-zero': 'EAP-MD5 Value-Size is 0 (RFC 1994 4.1: at least one octet)',
  'md5-value-truncated': 'EAP-MD5 Value-Size runs past the end of the Type-Data',
};

/** Type-Data: Value-Size (1 octet), Value, Name. */
export function encodeMd5TypeData(value: Buffer, name: Buffer | string = ''): Buffer {
  if (value.length < 1 || value.length > 255) {
    throw new AuthInputError(
      'ERR_AUTH_BAD_LENGTH',
      `EAP-MD5 Value must be 1..255 octets, got ${value.length}`,
    );
  }
  return Buffer.concat([Buffer.from([value.length]), value, toBytes(name)]);
}

export function parseMd5TypeData(typeData: Buffer): Result<Md5TypeData, Md5FailureCode> {
  if (typeData.length === 0) return failWith(md5FailureReasons, 'md5-empty');
  const size = typeData[0] ?? 0;
  if (size === 0) return failWith(md5FailureReasons, 'md5-value-size-zero');
  if (1 + size > typeData.length) return failWith(md5FailureReasons, 'md5-value-truncated', `${size}`);
  return ok({ value: typeData.subarray(1, 1 + size), name: typeData.subarray(1 + size) });
}

/** EAP-Request/MD5-Challenge. */
export function buildMd5Challenge(identifier: number, challenge: Buffer, name: Buffer | string = ''): Buffer {
  const typeData = encodeMd5TypeData(challenge, name);
  return encodeEap({ code: EapCode.Request, identifier, type: EapType.Md5Challenge, typeData });
}

/** The response value: MD5(Identifier || password || challenge), Identifier being the EAP one. */
export function md5ChallengeResponse(
  identifier: number,
  password: Buffer | string,
  challenge: Buffer,
): Buffer {
  return chapResponse(identifier, password, challenge);
}

/** EAP-Response/MD5-Challenge answering the Request with this identifier and challenge. */
export function buildMd5Response(
  identifier: number,
  password: Buffer | string,
  challenge: Buffer,
  name: Buffer | string = '',
): Buffer {
  const typeData = encodeMd5TypeData(md5ChallengeResponse(identifier, password, challenge), name);
  return encodeEap({ code: EapCode.Response, identifier, type: EapType.Md5Challenge, typeData });
}

/** Server side: does this Response Type-Data carry the right value for the challenge sent? */
export function verifyMd5Response(
  responseTypeData: Buffer,
  identifier: number,
  password: Buffer | string,
  challenge: Buffer,
): boolean {
  const parsed = parseMd5TypeData(responseTypeData);
  if (!parsed.ok) return false;
  return equalBytes(parsed.value.value, md5ChallengeResponse(identifier, password, challenge));
}
