import {
  attributeValue,
  isHiddenAttribute,
  type DecodedAttribute,
  type RadiusPacket,
} from '../protocol/index.ts';
import type { Endpoint } from '../runtime/transport.ts';
import type { AccountingAttribute, AccountingRecordInput, JsonValue } from './accounting/index.ts';

function text(attrs: readonly DecodedAttribute[], name: string): string | undefined {
  const value = attributeValue(attrs, name);
  return typeof value === 'string' ? value : undefined;
}

function integer(attrs: readonly DecodedAttribute[], name: string): number | undefined {
  const value = attributeValue(attrs, name);
  return typeof value === 'number' ? value : undefined;
}

function jsonOf(attr: DecodedAttribute): JsonValue {
  // A password or key in an Accounting-Request is unusual, but it must not land in the database.
  if (isHiddenAttribute(attr)) return '<hidden>';
  const { value } = attr;
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Maps a verified Accounting-Request (RFC 2866) to the record the store keeps. */
export function accountingRecordOf(
  packet: RadiusPacket,
  attrs: readonly DecodedAttribute[],
  from: Endpoint,
  receivedAtMs: number,
): AccountingRecordInput | undefined {
  const statusType = integer(attrs, 'Acct-Status-Type');
  if (statusType === undefined) return undefined;
  const optional: Record<string, string | number | undefined> = {
    nasIpAddress: text(attrs, 'NAS-IP-Address'),
    nasIpv6Address: text(attrs, 'NAS-IPv6-Address'),
    nasIdentifier: text(attrs, 'NAS-Identifier'),
    userName: text(attrs, 'User-Name'),
    sessionId: text(attrs, 'Acct-Session-Id'),
    delayTimeS: integer(attrs, 'Acct-Delay-Time'),
    sessionTimeS: integer(attrs, 'Acct-Session-Time'),
    inputOctets: integer(attrs, 'Acct-Input-Octets'),
    inputGigawords: integer(attrs, 'Acct-Input-Gigawords'),
    outputOctets: integer(attrs, 'Acct-Output-Octets'),
    outputGigawords: integer(attrs, 'Acct-Output-Gigawords'),
    inputPackets: integer(attrs, 'Acct-Input-Packets'),
    outputPackets: integer(attrs, 'Acct-Output-Packets'),
    terminateCause: integer(attrs, 'Acct-Terminate-Cause'),
    framedIpAddress: text(attrs, 'Framed-IP-Address'),
  };
  const present = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  const attributes: AccountingAttribute[] = attrs.map((attr) => ({
    name: attr.name,
    type: attr.type,
    ...(attr.vendorId !== undefined ? { vendorId: attr.vendorId } : {}),
    value: jsonOf(attr),
  }));
  return {
    // The store keeps whole milliseconds (Date.now()'s unit) and refuses anything else, but a Clock
    // may read between two: a VirtualClock after a fractional delay (a user's typing time), a clock
    // built on performance.now(). Refused, the request would go unacknowledged and the NAS would
    // retransmit it until it gave up. Floor, so a record never says it arrived later than it did.
    receivedAtMs: Math.floor(receivedAtMs),
    clientAddress: from.address,
    clientPort: from.port,
    identifier: packet.identifier,
    requestAuthenticator: packet.authenticator,
    statusType,
    attributes,
    ...present,
  };
}
