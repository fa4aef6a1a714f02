// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02): MS-CHAPv2 packets inside EAP Type 26.
// Type-Data is OpCode, MS-CHAPv2-ID, MS-Length (2 octets, OpCode to end) and the opcode's data,
// except the peer's Success and Failure acknowledgements, which are the OpCode alone.
import { AuthInputError, requireLength, requireOctetRange } from './errors.ts';
import { EapCode, EapType, encodeEap } from './eap.ts';
import {
  formatErrorMessage,
  formatSuccessMessage,
  parseErrorMessage,
  parseSuccessMessage,
  type ErrorMessage,
} from './mschap-messages.ts';
import { MSCHAPV2_CHALLENGE_LENGTH, NT_RESPONSE_LENGTH } from './mschap.ts';
import { failWith, ok, type Result } from './result.ts';

export const MsChapV2OpCode = {
  Challenge: 1,
  Response: 2,
  Success: 3,
  Failure: 4,
  ChangePassword: 7,
} as const;

const HEADER_LENGTH = 4;
/** Response Value: Peer-Challenge (16), Reserved (8), NT-Response (24), Flags (1). */
export const EAP_MSCHAPV2_RESPONSE_VALUE_LENGTH = 49;

/** What the server (authenticator) sends, in EAP Requests. */
export type MsChapV2ServerMessage =
  | {
      readonly op: 'challenge';
      readonly msChapV2Id: number;
      readonly challenge: Buffer;
      readonly name: string;
    }
  | {
      readonly op: 'success';
      readonly msChapV2Id: number;
      readonly authenticatorResponse: string;
      readonly message?: string;
    }
  | { readonly op: 'failure'; readonly msChapV2Id: number; readonly error: ErrorMessage };

/** What the peer sends, in EAP Responses. */
export type MsChapV2PeerMessage =
  | {
      readonly op: 'response';
      readonly msChapV2Id: number;
      readonly peerChallenge: Buffer;
      readonly ntResponse: Buffer;
      readonly flags: number;
      /** The peer's user name, domain included if it gave one. */
      readonly name: string;
    }
  | { readonly op: 'success-ack' }
  | { readonly op: 'failure-ack' };

export type MsChapV2DecodeFailureCode =
  | 'mschapv2-empty'
  | 'mschapv2-unexpected-opcode'
  | 'mschapv2-header-truncated'
  | 'mschapv2-ms-length-mismatch'
  | 'mschapv2-value-size'
  | 'mschapv2-value-truncated'
  | 'mschapv2-ack-length'
  | 'success-message-malformed'
  | 'error-message-malformed';

export const msChapV2DecodeFailureReasons: Readonly<Record<MsChapV2DecodeFailureCode, string>> = {
  'mschapv2-empty': 'EAP-MSCHAPv2 Type-Data is empty: no OpCode',
  'mschapv2-unexpected-opcode': 'OpCode not defined, or not one this side of the exchange sends',
  'mschapv2-header-truncated': 'fewer than the 4 octets of OpCode, MS-CHAPv2-ID and MS-Length',
  'mschapv2-ms-length-mismatch': 'MS-Length differs from the Type-Data length (OpCode to end)',
  'mschapv2-value-size': 'Value-Size is not 16 (Challenge) or 49 (Response)',
  'mschapv2-value-truncated': 'Value-Size runs past the end of the packet',
  'mschapv2-ack-length': "peer's Success or Failure acknowledgement carries more than the OpCode",
  'success-message-malformed': 'Success message is not "S=" + 40 hex digits, optionally " M=<text>"',
  'error-message-malformed': 'Failure message is not "E=<n> R=<0|1> [C=<hex>] [V=<n>] [M=<text>]"',
};

type Decoded<T> = Result<T, MsChapV2DecodeFailureCode>;
const reasons = msChapV2DecodeFailureReasons;

function withHeader(opCode: number, msChapV2Id: number, body: Buffer): Buffer {
  requireOctetRange('MS-CHAPv2-ID', msChapV2Id, 0, 255);
  const msLength = HEADER_LENGTH + body.length;
  if (msLength > 0xffff - 5) {
    throw new AuthInputError('ERR_AUTH_EAP_TOO_LONG', `EAP-MSCHAPv2 packet would be ${msLength} octets`);
  }
  return Buffer.concat([Buffer.from([opCode, msChapV2Id, msLength >> 8, msLength & 0xff]), body]);
}

export function encodeMsChapV2ServerMessage(message: MsChapV2ServerMessage): Buffer {
  switch (message.op) {
    case 'challenge': {
      requireLength('Authenticator Challenge', message.challenge, MSCHAPV2_CHALLENGE_LENGTH);
      const body = Buffer.concat([
        Buffer.from([MSCHAPV2_CHALLENGE_LENGTH]),
        message.challenge,
        Buffer.from(message.name),
      ]);
      return withHeader(MsChapV2OpCode.Challenge, message.msChapV2Id, body);
    }
    case 'success': {
      const text = formatSuccessMessage(message.authenticatorResponse, message.message);
      return withHeader(MsChapV2OpCode.Success, message.msChapV2Id, Buffer.from(text, 'utf8'));
    }
    case 'failure':
      return withHeader(
        MsChapV2OpCode.Failure,
        message.msChapV2Id,
        Buffer.from(formatErrorMessage(message.error)),
      );
  }
}

export function encodeMsChapV2PeerMessage(message: MsChapV2PeerMessage): Buffer {
  switch (message.op) {
    case 'response': {
      requireLength('Peer-Challenge', message.peerChallenge, MSCHAPV2_CHALLENGE_LENGTH);
      requireLength('NT-Response', message.ntResponse, NT_RESPONSE_LENGTH);
      requireOctetRange('Flags', message.flags, 0, 255);
      const body = Buffer.concat([
        Buffer.from([EAP_MSCHAPV2_RESPONSE_VALUE_LENGTH]),
        message.peerChallenge,
        Buffer.alloc(8),
        message.ntResponse,
        Buffer.from([message.flags]),
        Buffer.from(message.name, 'utf8'),
      ]);
      return withHeader(MsChapV2OpCode.Response, message.msChapV2Id, body);
    }
    case 'success-ack':
      return Buffer.from([MsChapV2OpCode.Success]);
    case 'failure-ack':
      return Buffer.from([MsChapV2OpCode.Failure]);
  }
}

/** A whole EAP-Request carrying a server message. */
export function buildEapMsChapV2Request(identifier: number, message: MsChapV2ServerMessage): Buffer {
  const typeData = encodeMsChapV2ServerMessage(message);
  return encodeEap({ code: EapCode.Request, identifier, type: EapType.MsChapV2, typeData });
}

/** A whole EAP-Response carrying a peer message; `identifier` echoes the Request's. */
export function buildEapMsChapV2Response(identifier: number, message: MsChapV2PeerMessage): Buffer {
  const typeData = encodeMsChapV2PeerMessage(message);
  return encodeEap({ code: EapCode.Response, identifier, type: EapType.MsChapV2, typeData });
}

interface Framed {
  readonly msChapV2Id: number;
  readonly body: Buffer;
}

function unframe(typeData: Buffer): Decoded<Framed> {
  if (typeData.length < HEADER_LENGTH) return failWith(reasons, 'mschapv2-header-truncated');
  const msLength = typeData.readUInt16BE(2);
  if (msLength !== typeData.length) {
    return failWith(
      reasons,
      'mschapv2-ms-length-mismatch',
      `MS-Length ${msLength}, Type-Data ${typeData.length}`,
    );
  }
  return ok({ msChapV2Id: typeData[1] ?? 0, body: typeData.subarray(HEADER_LENGTH) });
}

function valueAndName(body: Buffer, expectedSize: number): Decoded<{ value: Buffer; name: string }> {
  if (body.length < 1) return failWith(reasons, 'mschapv2-value-truncated');
  const size = body[0] ?? 0;
  if (size !== expectedSize) return failWith(reasons, 'mschapv2-value-size', `${size}`);
  if (1 + size > body.length) return failWith(reasons, 'mschapv2-value-truncated');
  return ok({ value: body.subarray(1, 1 + size), name: body.subarray(1 + size).toString('utf8') });
}

/** Decodes the Type-Data of an EAP-Request/MSCHAPv2 (what a peer receives). Never throws. */
export function decodeMsChapV2ServerMessage(typeData: Buffer): Decoded<MsChapV2ServerMessage> {
  if (typeData.length === 0) return failWith(reasons, 'mschapv2-empty');
  const opCode = typeData[0];
  if (
    opCode !== MsChapV2OpCode.Challenge &&
    opCode !== MsChapV2OpCode.Success &&
    opCode !== MsChapV2OpCode.Failure
  ) {
    return failWith(reasons, 'mschapv2-unexpected-opcode', `${opCode} in a Request`);
  }
  const framed = unframe(typeData);
  if (!framed.ok) return framed;
  const { msChapV2Id, body } = framed.value;
  if (opCode === MsChapV2OpCode.Challenge) {
    const parts = valueAndName(body, MSCHAPV2_CHALLENGE_LENGTH);
    if (!parts.ok) return parts;
    return ok({ op: 'challenge', msChapV2Id, challenge: parts.value.value, name: parts.value.name });
  }
  const text = body.toString('utf8');
  if (opCode === MsChapV2OpCode.Success) {
    const success = parseSuccessMessage(text);
    if (!success.ok) return success;
    return ok({ op: 'success', msChapV2Id, ...success.value });
  }
  const error = parseErrorMessage(text);
  if (!error.ok) return error;
  return ok({ op: 'failure', msChapV2Id, error: error.value });
}

/** Decodes the Type-Data of an EAP-Response/MSCHAPv2 (what a server receives). Never throws. */
export function decodeMsChapV2PeerMessage(typeData: Buffer): Decoded<MsChapV2PeerMessage> {
  if (typeData.length === 0) return failWith(reasons, 'mschapv2-empty');
  const opCode = typeData[0];
  if (opCode === MsChapV2OpCode.Success || opCode === MsChapV2OpCode.Failure) {
    if (typeData.length !== 1) return failWith(reasons, 'mschapv2-ack-length', `${typeData.length} octets`);
    return ok({ op: opCode === MsChapV2OpCode.Success ? 'success-ack' : 'failure-ack' });
  }
  if (opCode !== MsChapV2OpCode.Response) {
    return failWith(reasons, 'mschapv2-unexpected-opcode', `${opCode} in a Response`);
  }
  const framed = unframe(typeData);
  if (!framed.ok) return framed;
  const parts = valueAndName(framed.value.body, EAP_MSCHAPV2_RESPONSE_VALUE_LENGTH);
  if (!parts.ok) return parts;
  const value = parts.value.value;
  return ok({
    op: 'response',
    msChapV2Id: framed.value.msChapV2Id,
    peerChallenge: value.subarray(0, 16),
    ntResponse: value.subarray(24, 48),
    flags: value[48] ?? 0,
    name: parts.value.name,
  });
}
