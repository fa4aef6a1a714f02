// A captured datagram as the analysis and the reports see it: header fields, the attributes a NAS
// validation is about, and nothing secret. User-Password, CHAP and MS-CHAP values are reduced to
// "present", and State to a short digest, so "echoed unmodified" can still be judged (equal digests)
// without the value itself reaching a report. Pure: no I/O, no clock.
import { createHash } from 'node:crypto';
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  decodeAttributes,
  decodePacket,
  defaultDictionary,
  packetCodeName,
  type DecodedAttribute,
} from '../../protocol/index.ts';
import type { CapturedDatagram, ServerRole } from './capture.ts';

export type MessageAuthenticatorPlacement = 'absent' | 'present' | 'first';

export type AuthKind = 'pap' | 'chap' | 'mschap' | 'mschapv2' | 'eap' | 'none';

export interface PacketView {
  /** Clock time (ms). */
  readonly at: number;
  readonly server: ServerRole;
  readonly direction: 'from-nas' | 'to-nas';
  /** The server port it went through: auth (1812) or acct (1813). */
  readonly port: 'auth' | 'acct';
  /** The NAS's source address (the key of a `nas` entry in the report). */
  readonly nas: string;
  readonly nasPort: number;
  readonly length: number;
  /** Undefined when the datagram did not decode (then `malformed` says why). */
  readonly code?: number;
  readonly codeName?: string;
  readonly identifier?: number;
  /** The Request Authenticator (hex) of a request; the Response Authenticator of a reply. */
  readonly authenticator?: string;
  readonly malformed?: string;
  /** Attribute names in wire order (values are not kept). */
  readonly attributeNames: readonly string[];
  readonly messageAuthenticator: MessageAuthenticatorPlacement;
  readonly userName?: string;
  /** 12 hex digits of SHA-256 over the State value: equal digests, equal States. */
  readonly stateDigest?: string;
  readonly auth: AuthKind;
  readonly nasIpAddress?: string;
  readonly nasIpv6Address?: string;
  readonly nasIdentifier?: string;
  readonly callingStationId?: string;
  readonly acctStatusType?: number;
  readonly acctSessionId?: string;
  /** Reply-Message of a reply (the server's text, never a code). */
  readonly replyMessage?: string;
}

const digest = (value: Buffer): string => createHash('sha256').update(value).digest('hex').slice(0, 12);

const text = (attributes: readonly DecodedAttribute[], name: string): string | undefined => {
  const found = attributes.find((a) => a.name === name);
  if (found === undefined) return undefined;
  return typeof found.value === 'string' ? found.value : String(found.value);
};

function authKindOf(names: readonly string[]): AuthKind {
  if (names.includes('EAP-Message')) return 'eap';
  if (names.includes('MS-CHAP2-Response')) return 'mschapv2';
  if (names.includes('MS-CHAP-Response')) return 'mschap';
  if (names.includes('CHAP-Password')) return 'chap';
  if (names.includes('User-Password')) return 'pap';
  return 'none';
}

/** Which server port a datagram used, given each instance's auth port. */
export type PortResolver = (datagram: CapturedDatagram) => 'auth' | 'acct';

export function viewPacket(datagram: CapturedDatagram, portOf: PortResolver): PacketView {
  const base = {
    at: datagram.at,
    server: datagram.server,
    direction: datagram.direction,
    port: portOf(datagram),
    nas: datagram.nas.address,
    nasPort: datagram.nas.port,
    length: datagram.data.length,
  };
  const decoded = decodePacket(datagram.data);
  if (!decoded.ok) {
    return {
      ...base,
      malformed: decoded.code,
      attributeNames: [],
      messageAuthenticator: 'absent',
      auth: 'none',
    };
  }
  const packet = decoded.value;
  // No secret here: hidden attributes decode to their raw octets, which are only checked for presence.
  const attributes = decodeAttributes(packet.attributes, undefined, defaultDictionary);
  const names = attributes.map((a) => a.name);
  const maIndex = packet.attributes.findIndex((a) => a.type === MESSAGE_AUTHENTICATOR_TYPE);
  const state = packet.attributes.find((a) => a.type === 24);
  const acctStatus = attributes.find((a) => a.name === 'Acct-Status-Type')?.value;
  const optional = {
    userName: text(attributes, 'User-Name'),
    stateDigest: state !== undefined ? digest(state.value) : undefined,
    nasIpAddress: text(attributes, 'NAS-IP-Address'),
    nasIpv6Address: text(attributes, 'NAS-IPv6-Address'),
    nasIdentifier: text(attributes, 'NAS-Identifier'),
    callingStationId: text(attributes, 'Calling-Station-Id'),
    acctStatusType: typeof acctStatus === 'number' ? acctStatus : undefined,
    acctSessionId: text(attributes, 'Acct-Session-Id'),
    replyMessage: datagram.direction === 'to-nas' ? text(attributes, 'Reply-Message') : undefined,
  };
  return {
    ...base,
    code: packet.code,
    codeName: packetCodeName(packet.code),
    identifier: packet.identifier,
    authenticator: packet.authenticator.toString('hex'),
    attributeNames: names,
    messageAuthenticator: maIndex < 0 ? 'absent' : maIndex === 0 ? 'first' : 'present',
    auth: authKindOf(names),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/** Port resolver from each instance's auth port (everything else went to accounting). */
export function portResolver(authPorts: Readonly<Partial<Record<ServerRole, number>>>): PortResolver {
  return (datagram) => (authPorts[datagram.server] === datagram.local.port ? 'auth' : 'acct');
}
