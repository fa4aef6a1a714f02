// What one Accounting-Request (RFC 2866) becomes in the store, and how a re-sent one is recognised.

import { AccountingStoreError } from './errors.ts';

/** Acct-Status-Type values (RFC 2866 5.1) the store gives meaning to; others are stored as numbers. */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
} as const;

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One attribute of the packet, as the codec decoded it; octet strings as hex, so the list is plain JSON. */
export interface AccountingAttribute {
  readonly name: string;
  readonly type?: number;
  readonly vendorId?: number;
  readonly value: JsonValue;
}

export interface AccountingRecordInput {
  /** Clock time the request arrived (ms since the epoch). */
  readonly receivedAtMs: number;
  readonly clientAddress: string;
  readonly clientPort?: number;
  readonly identifier: number;
  readonly requestAuthenticator: Uint8Array;
  /** Acct-Status-Type (RFC 2866 5.1). */
  readonly statusType: number;
  readonly nasIpAddress?: string;
  readonly nasIpv6Address?: string;
  readonly nasIdentifier?: string;
  readonly userName?: string;
  readonly sessionId?: string;
  /** Acct-Unique-Session-Id, when the NAS or a proxy sent one. */
  readonly uniqueSessionId?: string;
  /** Acct-Delay-Time in seconds (RFC 2866 5.2). */
  readonly delayTimeS?: number;
  /** Acct-Session-Time in seconds (RFC 2866 5.7). */
  readonly sessionTimeS?: number;
  readonly inputOctets?: number;
  /** Acct-Input-Gigawords (RFC 2869 5.1): times Acct-Input-Octets wrapped around 2^32. */
  readonly inputGigawords?: number;
  readonly outputOctets?: number;
  readonly outputGigawords?: number;
  readonly inputPackets?: number;
  readonly outputPackets?: number;
  /** Acct-Terminate-Cause (RFC 2866 5.10). */
  readonly terminateCause?: number;
  readonly framedIpAddress?: string;
  readonly attributes: readonly AccountingAttribute[];
}

export interface StoredAccountingRecord extends Omit<AccountingRecordInput, 'requestAuthenticator'> {
  /** Row id: insertion order. */
  readonly id: number;
  readonly requestAuthenticator: Buffer;
  /** receivedAtMs minus Acct-Delay-Time: when the NAS says the event happened (RFC 2866 5.2). */
  readonly eventTimeMs: number;
  /** The duplicate key described in naturalKey(), or undefined when none applies. */
  readonly naturalKey?: string;
}

const UINT32_MAX = 0xffff_ffff;

const optionalCounters = [
  'delayTimeS',
  'sessionTimeS',
  'inputOctets',
  'inputGigawords',
  'outputOctets',
  'outputGigawords',
  'inputPackets',
  'outputPackets',
  'terminateCause',
  'clientPort',
] as const;

const optionalStrings = [
  'nasIpAddress',
  'nasIpv6Address',
  'nasIdentifier',
  'userName',
  'sessionId',
  'uniqueSessionId',
  'framedIpAddress',
] as const;

function invalid(field: string, message: string): AccountingStoreError {
  return new AccountingStoreError('RADMFA_ACCOUNTING_RECORD_INVALID', `${field}: ${message}`, field);
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

/** Throws RADMFA_ACCOUNTING_RECORD_INVALID naming the first field no Accounting-Request can carry. */
export function validateAccountingRecord(record: AccountingRecordInput): void {
  if (!Number.isSafeInteger(record.receivedAtMs) || record.receivedAtMs < 0) {
    throw invalid('receivedAtMs', 'must be a whole number of milliseconds since the epoch');
  }
  if (typeof record.clientAddress !== 'string' || record.clientAddress.length === 0) {
    throw invalid('clientAddress', 'must be the source address of the request');
  }
  if (!Number.isInteger(record.identifier) || record.identifier < 0 || record.identifier > 255) {
    throw invalid('identifier', 'must be 0..255 (RFC 2865 3)');
  }
  if (!(record.requestAuthenticator instanceof Uint8Array) || record.requestAuthenticator.byteLength !== 16) {
    throw invalid('requestAuthenticator', 'must be the 16-octet Request Authenticator (RFC 2866 3)');
  }
  if (!isUint32(record.statusType) || record.statusType === 0) {
    throw invalid('statusType', 'must be an Acct-Status-Type value, 1..2^32-1 (RFC 2866 5.1)');
  }
  for (const field of optionalCounters) {
    const value = record[field];
    if (value !== undefined && !isUint32(value)) throw invalid(field, 'must be a 32-bit unsigned integer');
  }
  if (record.clientPort !== undefined && record.clientPort > 65_535) {
    throw invalid('clientPort', 'must be a UDP port, 0..65535');
  }
  for (const field of optionalStrings) {
    const value = record[field];
    if (value !== undefined && typeof value !== 'string') throw invalid(field, 'must be a string');
  }
  if (!Array.isArray(record.attributes)) throw invalid('attributes', 'must be the decoded attribute list');
}

/**
 * The natural duplicate key. The packet key (client address, Identifier, Request Authenticator)
 * catches a retransmission of the same bytes; this one catches the same event re-sent as a new
 * packet, which RFC 5080 2.2.1 requires when Acct-Delay-Time changes (new Identifier, hence new
 * authenticator). Built from client address, NAS identity (NAS-IP-Address, else NAS-IPv6-Address,
 * else NAS-Identifier), Acct-Session-Id, Acct-Unique-Session-Id and Acct-Status-Type:
 * - Start and Stop: one of each per session, so those parts suffice.
 * - Interim-Update: a session has many, told apart by how far it has got: Acct-Session-Time and
 *   the octet and packet counters (with Gigawords). Without Acct-Session-Time there is no key.
 * - Accounting-On/Off and other types: no key. They carry no session of their own, and a NAS that
 *   reboots twice sends two genuine Accounting-On records that would otherwise look identical.
 * No key also when the packet has no session id at all. Session ids are meant to be unique per
 * NAS (RFC 2866 5.5); a NAS that reuses one after a reboot would have a new Start deduplicated.
 */
export function naturalKey(record: AccountingRecordInput): string | undefined {
  const { statusType, sessionId, uniqueSessionId } = record;
  if (sessionId === undefined && uniqueSessionId === undefined) return undefined;
  const nas = record.nasIpAddress ?? record.nasIpv6Address ?? record.nasIdentifier ?? '';
  const parts: (string | number)[] = [
    statusType,
    record.clientAddress,
    nas,
    JSON.stringify(sessionId ?? null),
    JSON.stringify(uniqueSessionId ?? null),
  ];
  if (statusType === AcctStatusType.Start || statusType === AcctStatusType.Stop) return parts.join('|');
  if (statusType !== AcctStatusType.InterimUpdate || record.sessionTimeS === undefined) return undefined;
  parts.push(
    record.sessionTimeS,
    `${record.inputGigawords ?? 0}:${record.inputOctets ?? 0}`,
    `${record.outputGigawords ?? 0}:${record.outputOctets ?? 0}`,
    record.inputPackets ?? 0,
    record.outputPackets ?? 0,
  );
  return parts.join('|');
}

/** Octets with their Gigawords (RFC 2869 5.1, 5.2): exact, as the total can pass 2^53. */
export function octetTotal(octets: number | undefined, gigawords: number | undefined): bigint {
  return (BigInt(gigawords ?? 0) << 32n) + BigInt(octets ?? 0);
}
