// EAP framing (RFC 3748 4) and its transport in RADIUS EAP-Message attributes (RFC 3579 3.1).
import { AuthInputError, requireOctetRange } from './errors.ts';
import { failWith, ok, type Result } from './result.ts';

export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;
export type EapCodeValue = (typeof EapCode)[keyof typeof EapCode];

/** The method types radmfa speaks (IANA EAP registry). */
export const EapType = { Identity: 1, Notification: 2, Nak: 3, Md5Challenge: 4, MsChapV2: 26 } as const;

export const EAP_HEADER_LENGTH = 4;
export const EAP_MAX_LENGTH = 0xffff;
/** RFC 3579 3.1: an attribute value holds 253 octets, so longer EAP packets span several attributes. */
export const EAP_MESSAGE_CHUNK_LENGTH = 253;

export interface EapRequestOrResponse {
  readonly code: typeof EapCode.Request | typeof EapCode.Response;
  readonly identifier: number;
  readonly type: number;
  readonly typeData: Buffer;
}

export interface EapSuccessOrFailure {
  readonly code: typeof EapCode.Success | typeof EapCode.Failure;
  readonly identifier: number;
}

export type EapPacket = EapRequestOrResponse | EapSuccessOrFailure;

export type EapDecodeFailureCode =
  | 'eap-too-short'
  | 'eap-length-below-header'
  | 'eap-length-exceeds-data'
  | 'eap-unknown-code'
  | 'eap-missing-type'
  | 'eap-type-invalid'
  | 'eap-success-failure-length';

export const eapDecodeFailureReasons: Readonly<Record<EapDecodeFailureCode, string>> = {
  'eap-too-short': 'fewer than the 4 octets of an EAP header (RFC 3748 4)',
  'eap-length-below-header': 'EAP Length field below 4 (RFC 3748 4)',
  'eap-length-exceeds-data': 'EAP Length field larger than the octets received (RFC 3748 4: discard)',
  'eap-unknown-code': 'EAP Code is not Request, Response, Success or Failure (RFC 3748 4)',
  'eap-missing-type': 'EAP Request or Response without a Type octet (RFC 3748 4.1)',
  'eap-type-invalid': 'EAP Type 0 is not a method (RFC 3748 5: Types start at 1)',
  'eap-success-failure-length': 'EAP Success or Failure whose Length is not 4 (RFC 3748 4.2)',
};

export function isEapSuccessOrFailure(packet: EapPacket): packet is EapSuccessOrFailure {
  return packet.code === EapCode.Success || packet.code === EapCode.Failure;
}

export function encodeEap(packet: EapPacket): Buffer {
  requireOctetRange('EAP Identifier', packet.identifier, 0, 255);
  if (isEapSuccessOrFailure(packet)) {
    return Buffer.from([packet.code, packet.identifier, 0, EAP_HEADER_LENGTH]);
  }
  requireOctetRange('EAP Type', packet.type, 1, 255);
  const length = EAP_HEADER_LENGTH + 1 + packet.typeData.length;
  if (length > EAP_MAX_LENGTH) {
    throw new AuthInputError('ERR_AUTH_EAP_TOO_LONG', `EAP packet would be ${length} octets, above 65535`);
  }
  const header = Buffer.from([packet.code, packet.identifier, length >> 8, length & 0xff, packet.type]);
  return Buffer.concat([header, packet.typeData]);
}

/**
 * Decodes one EAP packet. Octets past the Length field are link-layer padding and are ignored
 * (RFC 3748 4). Never throws.
 */
export function decodeEap(data: Buffer): Result<EapPacket, EapDecodeFailureCode> {
  const reasons = eapDecodeFailureReasons;
  if (data.length < EAP_HEADER_LENGTH) return failWith(reasons, 'eap-too-short', `${data.length} octets`);
  const code = data[0] ?? 0;
  const identifier = data[1] ?? 0;
  const length = data.readUInt16BE(2);
  if (length < EAP_HEADER_LENGTH) return failWith(reasons, 'eap-length-below-header', `${length}`);
  if (length > data.length) return failWith(reasons, 'eap-length-exceeds-data', `${length} > ${data.length}`);
  switch (code) {
    case EapCode.Success:
    case EapCode.Failure:
      if (length !== EAP_HEADER_LENGTH) return failWith(reasons, 'eap-success-failure-length', `${length}`);
      return ok({ code, identifier });
    case EapCode.Request:
    case EapCode.Response:
      if (length < EAP_HEADER_LENGTH + 1) return failWith(reasons, 'eap-missing-type');
      if (data[4] === 0) return failWith(reasons, 'eap-type-invalid');
      return ok({ code, identifier, type: data[4] ?? 0, typeData: data.subarray(5, length) });
    default:
      return failWith(reasons, 'eap-unknown-code', `${code}`);
  }
}

/**
 * Splits an EAP packet into EAP-Message attribute values of at most 253 octets, in order
 * (RFC 3579 3.1). An empty packet gives one empty value: the EAP-Start a NAS sends (RFC 3579 2.1).
 */
export function splitEapMessage(eap: Buffer): Buffer[] {
  if (eap.length === 0) return [Buffer.alloc(0)];
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < eap.length; offset += EAP_MESSAGE_CHUNK_LENGTH) {
    chunks.push(eap.subarray(offset, offset + EAP_MESSAGE_CHUNK_LENGTH));
  }
  return chunks;
}

/** Concatenates EAP-Message values in the order they appeared in the packet (RFC 3579 3.1). */
export function joinEapMessage(chunks: readonly Buffer[]): Buffer {
  return Buffer.concat(chunks);
}

export function eapSuccess(identifier: number): Buffer {
  return encodeEap({ code: EapCode.Success, identifier });
}

export function eapFailure(identifier: number): Buffer {
  return encodeEap({ code: EapCode.Failure, identifier });
}

/** EAP-Request/Identity; the optional prompt is displayable text (RFC 3748 5.1). */
export function eapIdentityRequest(identifier: number, prompt = ''): Buffer {
  const typeData = Buffer.from(prompt, 'utf8');
  return encodeEap({ code: EapCode.Request, identifier, type: EapType.Identity, typeData });
}

export function eapIdentityResponse(identifier: number, identity: string): Buffer {
  const typeData = Buffer.from(identity, 'utf8');
  return encodeEap({ code: EapCode.Response, identifier, type: EapType.Identity, typeData });
}

/** Legacy Nak (RFC 3748 5.3.1): the peer lists the method types it would accept instead. */
export function eapNak(identifier: number, desiredTypes: readonly number[]): Buffer {
  for (const type of desiredTypes) requireOctetRange('desired EAP Type', type, 0, 255);
  return encodeEap({
    code: EapCode.Response,
    identifier,
    type: EapType.Nak,
    typeData: Buffer.from(desiredTypes),
  });
}
