// Microsoft vendor attribute values for MS-CHAP over RADIUS (RFC 2548 2.1 and 2.3): builders for
// clients and servers, and parsers that return a Result and never throw on what a peer sent.
import { requireLength, requireOctetRange } from './errors.ts';
import {
  formatErrorMessage,
  formatSuccessMessage,
  parseErrorMessage,
  parseSuccessMessage,
  type ErrorMessage,
  type SuccessMessage,
} from './mschap-messages.ts';
import { MSCHAPV1_CHALLENGE_LENGTH, MSCHAPV2_CHALLENGE_LENGTH, NT_RESPONSE_LENGTH } from './mschap.ts';
import { failWith, ok, type Result } from './result.ts';

/** RFC 2548 2.3.2 and 2.1.3: both response attributes are 50 octets. */
export const MS_CHAP_RESPONSE_VALUE_LENGTH = 50;
const RESERVED_LENGTH = 8;
/** RFC 2548 2.1.3: Flags bit 0 set means "use the NT-Response". */
export const MS_CHAP_V1_FLAG_USE_NT = 0x01;

export type MsChapAttributeFailureCode =
  | 'mschap-challenge-length'
  | 'mschap2-response-length'
  | 'mschap-response-length'
  | 'mschap2-success-too-short'
  | 'mschap-error-too-short'
  | 'success-message-malformed'
  | 'error-message-malformed';

export const msChapAttributeFailureReasons: Readonly<Record<MsChapAttributeFailureCode, string>> = {
  'mschap-challenge-length': 'MS-CHAP-Challenge is neither 8 (v1) nor 16 (v2) octets (RFC 2548 2.3.2, 2.1.3)',
  'mschap2-response-length': 'MS-CHAP2-Response is not 50 octets (RFC 2548 2.3.2)',
  'mschap-response-length': 'MS-CHAP-Response is not 50 octets (RFC 2548 2.1.3)',
  'mschap2-success-too-short': 'MS-CHAP2-Success has no Ident and message (RFC 2548 2.3.3)',
  'mschap-error-too-short': 'MS-CHAP-Error has no Ident and message (RFC 2548 2.1.5)',
  'success-message-malformed': 'MS-CHAP2-Success text is not "S=" + 40 hex digits, optionally " M=<text>"',
  'error-message-malformed': 'MS-CHAP-Error text is not "E=<n> R=<0|1> [C=<hex>] [V=<n>] [M=<text>]"',
};

type AttrResult<T> = Result<T, MsChapAttributeFailureCode>;
const reasons = msChapAttributeFailureReasons;

/** MS-CHAP-Challenge carries 8 octets for v1 and 16 for v2; the length tells which. */
export function parseMsChapChallenge(
  value: Buffer,
): AttrResult<{ readonly version: 1 | 2; readonly challenge: Buffer }> {
  if (value.length === MSCHAPV1_CHALLENGE_LENGTH) return ok({ version: 1, challenge: value });
  if (value.length === MSCHAPV2_CHALLENGE_LENGTH) return ok({ version: 2, challenge: value });
  return failWith(reasons, 'mschap-challenge-length', `${value.length} octets`);
}

export interface MsChap2Response {
  readonly ident: number;
  /** Reserved, MUST be zero (RFC 2548 2.3.2). */
  readonly flags: number;
  readonly peerChallenge: Buffer;
  /** Reserved, MUST be zero; kept so a conformance check can look. */
  readonly reserved: Buffer;
  readonly ntResponse: Buffer;
}

export interface MsChap2ResponseInput {
  readonly ident: number;
  readonly peerChallenge: Buffer;
  readonly ntResponse: Buffer;
  readonly flags?: number;
}

/** MS-CHAP2-Response: Ident, Flags, Peer-Challenge (16), Reserved (8), NT-Response (24). */
export function buildMsChap2Response(input: MsChap2ResponseInput): Buffer {
  requireOctetRange('Ident', input.ident, 0, 255);
  requireOctetRange('Flags', input.flags ?? 0, 0, 255);
  requireLength('Peer-Challenge', input.peerChallenge, MSCHAPV2_CHALLENGE_LENGTH);
  requireLength('NT-Response', input.ntResponse, NT_RESPONSE_LENGTH);
  return Buffer.concat([
    Buffer.from([input.ident, input.flags ?? 0]),
    input.peerChallenge,
    Buffer.alloc(RESERVED_LENGTH),
    input.ntResponse,
  ]);
}

export function parseMsChap2Response(value: Buffer): AttrResult<MsChap2Response> {
  if (value.length !== MS_CHAP_RESPONSE_VALUE_LENGTH) {
    return failWith(reasons, 'mschap2-response-length', `${value.length} octets`);
  }
  return ok({
    ident: value[0] ?? 0,
    flags: value[1] ?? 0,
    peerChallenge: value.subarray(2, 18),
    reserved: value.subarray(18, 26),
    ntResponse: value.subarray(26, 50),
  });
}

export interface MsChapResponse {
  readonly ident: number;
  readonly flags: number;
  /** Flags bit 0: the NT-Response is the one to check (RFC 2548 2.1.3). */
  readonly useNtResponse: boolean;
  readonly lmResponse: Buffer;
  readonly ntResponse: Buffer;
}

export interface MsChapResponseInput {
  readonly ident: number;
  readonly ntResponse: Buffer;
  /** LAN Manager responses are obsolete; zeros by default, as with Flags = 1. */
  readonly lmResponse?: Buffer;
  readonly flags?: number;
}

/** MS-CHAP-Response (v1): Ident, Flags, LM-Response (24), NT-Response (24). */
export function buildMsChapResponse(input: MsChapResponseInput): Buffer {
  const flags = input.flags ?? MS_CHAP_V1_FLAG_USE_NT;
  requireOctetRange('Ident', input.ident, 0, 255);
  requireOctetRange('Flags', flags, 0, 255);
  const lm = input.lmResponse ?? Buffer.alloc(NT_RESPONSE_LENGTH);
  requireLength('LM-Response', lm, NT_RESPONSE_LENGTH);
  requireLength('NT-Response', input.ntResponse, NT_RESPONSE_LENGTH);
  return Buffer.concat([Buffer.from([input.ident, flags]), lm, input.ntResponse]);
}

export function parseMsChapResponse(value: Buffer): AttrResult<MsChapResponse> {
  if (value.length !== MS_CHAP_RESPONSE_VALUE_LENGTH) {
    return failWith(reasons, 'mschap-response-length', `${value.length} octets`);
  }
  const flags = value[1] ?? 0;
  return ok({
    ident: value[0] ?? 0,
    flags,
    useNtResponse: (flags & MS_CHAP_V1_FLAG_USE_NT) !== 0,
    lmResponse: value.subarray(2, 26),
    ntResponse: value.subarray(26, 50),
  });
}

/** MS-CHAP2-Success: Ident (the MS-CHAP2-Response's) and "S=<40 hex>", optionally " M=<text>". */
export function buildMsChap2Success(ident: number, authenticatorResponse: string, message?: string): Buffer {
  requireOctetRange('Ident', ident, 0, 255);
  return Buffer.concat([
    Buffer.from([ident]),
    Buffer.from(formatSuccessMessage(authenticatorResponse, message), 'utf8'),
  ]);
}

export function parseMsChap2Success(value: Buffer): AttrResult<SuccessMessage & { readonly ident: number }> {
  if (value.length < 2) return failWith(reasons, 'mschap2-success-too-short');
  const parsed = parseSuccessMessage(value.subarray(1).toString('utf8'));
  if (!parsed.ok) return parsed;
  return ok({ ident: value[0] ?? 0, ...parsed.value });
}

/** MS-CHAP-Error: Ident and "E=691 R=0 C=<hex> V=3 M=<text>" (RFC 2759 6). */
export function buildMsChapError(ident: number, fields: ErrorMessage): Buffer {
  requireOctetRange('Ident', ident, 0, 255);
  return Buffer.concat([Buffer.from([ident]), Buffer.from(formatErrorMessage(fields), 'utf8')]);
}

export function parseMsChapError(value: Buffer): AttrResult<ErrorMessage & { readonly ident: number }> {
  if (value.length < 2) return failWith(reasons, 'mschap-error-too-short');
  const parsed = parseErrorMessage(value.subarray(1).toString('utf8'));
  if (!parsed.ok) return parsed;
  return ok({ ident: value[0] ?? 0, ...parsed.value });
}
