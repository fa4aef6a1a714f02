// The text messages MS-CHAPv2 servers send (RFC 2759 5 and 6), shared by the RADIUS attributes
// (MS-CHAP2-Success, MS-CHAP-Error: RFC 2548 2.3.3, 2.1.5) and EAP-MSCHAPv2 Success/Failure.
import { requireOctetRange } from './errors.ts';
import { failWith, ok, type Result } from './result.ts';

/** RFC 2759 6 error codes. */
export const MsChapErrorCode = {
  RestrictedLogonHours: 646,
  AccountDisabled: 647,
  PasswordExpired: 648,
  NoDialinPermission: 649,
  AuthenticationFailure: 691,
  ChangingPassword: 709,
} as const;

export interface SuccessMessage {
  /** "S=" and 40 hex digits, as received. */
  readonly authenticatorResponse: string;
  /** Text after " M=", when present. */
  readonly message?: string;
}

export interface ErrorMessage {
  /** E=: decimal error code, 691 for a wrong password. */
  readonly errorCode: number;
  /** R=1 when the peer may retry with a new response. */
  readonly retry: boolean;
  /** C=: the new challenge for a retry (16 octets for v2, 8 for v1). */
  readonly challenge?: Buffer;
  /** V=: 3 for MS-CHAPv2 password change; absent for v1. */
  readonly version?: number;
  /** M=: human-readable text, always last. */
  readonly message?: string;
}

export type MessageFailureCode = 'success-message-malformed' | 'error-message-malformed';

export const messageFailureReasons: Readonly<Record<MessageFailureCode, string>> = {
  'success-message-malformed':
    'success message is not "S=" + 40 hex digits, optionally " M=<text>" (RFC 2759 5)',
  'error-message-malformed':
    'failure message is not "E=<n> R=<0|1> [C=<hex>] [V=<n>] [M=<text>]" (RFC 2759 6)',
};

/** E= and V= are 32-bit unsigned (the Windows error and version numbers they carry). */
const MAX_UINT32 = 0xffffffff;

const SUCCESS_PATTERN = /^S=[0-9A-Fa-f]{40}(?: M=([\s\S]*))?$/;

export function formatSuccessMessage(authenticatorResponse: string, message?: string): string {
  return message === undefined ? authenticatorResponse : `${authenticatorResponse} M=${message}`;
}

export function parseSuccessMessage(text: string): Result<SuccessMessage, MessageFailureCode> {
  const match = SUCCESS_PATTERN.exec(text);
  if (!match) return failWith(messageFailureReasons, 'success-message-malformed');
  const authenticatorResponse = text.slice(0, 42);
  const message = match[1];
  return ok(message === undefined ? { authenticatorResponse } : { authenticatorResponse, message });
}

/** Formats "E=691 R=0 C=<HEX> V=3 M=<text>", omitting the optional fields that are absent. */
export function formatErrorMessage(fields: ErrorMessage): string {
  requireOctetRange('error code', fields.errorCode, 0, MAX_UINT32);
  const parts = [`E=${fields.errorCode}`, `R=${fields.retry ? 1 : 0}`];
  if (fields.challenge !== undefined) parts.push(`C=${fields.challenge.toString('hex').toUpperCase()}`);
  if (fields.version !== undefined) {
    requireOctetRange('version', fields.version, 0, MAX_UINT32);
    parts.push(`V=${fields.version}`);
  }
  if (fields.message !== undefined) parts.push(`M=${fields.message}`);
  return parts.join(' ');
}

/**
 * Parses a failure message. E= is required; R=, C= and V= are optional (RFC 2433 servers send only
 * E and R); M= is last and takes the rest of the text, spaces included.
 */
export function parseErrorMessage(text: string): Result<ErrorMessage, MessageFailureCode> {
  const malformed = (detail: string) => failWith(messageFailureReasons, 'error-message-malformed', detail);
  const messageAt = text.startsWith('M=') ? 0 : text.indexOf(' M=');
  const head = messageAt < 0 ? text : text.slice(0, messageAt);
  const message = messageAt < 0 ? undefined : text.slice(messageAt + (messageAt === 0 ? 2 : 3));
  const seen = new Map<string, string>();
  for (const token of head.split(' ')) {
    if (token === '') continue;
    const field = /^([ERCV])=(.*)$/.exec(token);
    if (!field) return malformed(`unexpected token "${token.slice(0, 20)}"`);
    const [, key = '', value = ''] = field;
    if (seen.has(key)) return malformed(`${key}= appears twice`);
    seen.set(key, value);
  }
  const e = seen.get('E');
  if (e === undefined || !/^\d{1,10}$/.test(e)) return malformed('E= missing or not decimal');
  if (Number(e) > MAX_UINT32) return malformed(`E= above ${MAX_UINT32}`);
  const r = seen.get('R');
  if (r !== undefined && r !== '0' && r !== '1') return malformed('R= is not 0 or 1');
  const c = seen.get('C');
  if (c !== undefined && !/^(?:[0-9A-Fa-f]{2})+$/.test(c)) return malformed('C= is not hex');
  const v = seen.get('V');
  if (v !== undefined && !/^\d{1,10}$/.test(v)) return malformed('V= is not decimal');
  if (v !== undefined && Number(v) > MAX_UINT32) return malformed(`V= above ${MAX_UINT32}`);
  return ok({
    errorCode: Number(e),
    retry: r === '1',
    ...(c === undefined ? {} : { challenge: Buffer.from(c, 'hex') }),
    ...(v === undefined ? {} : { version: Number(v) }),
    ...(message === undefined ? {} : { message }),
  });
}
