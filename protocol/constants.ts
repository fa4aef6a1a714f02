// RFC 2865 3: the fixed header is Code(1) Identifier(1) Length(2) Authenticator(16).
export const RADIUS_HEADER_LENGTH = 20;
export const RADIUS_AUTHENTICATOR_LENGTH = 16;
// RFC 2865 3: packets are 20..4096 octets. (RFC 7930 allows 65535 over TCP only.)
export const RADIUS_MAX_PACKET_LENGTH = 4096;
export const ATTRIBUTE_HEADER_LENGTH = 2;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;
export const MESSAGE_AUTHENTICATOR_LENGTH = 16;
export const VENDOR_SPECIFIC_TYPE = 26;
export const MESSAGE_AUTHENTICATOR_TYPE = 80;
export const EAP_MESSAGE_TYPE = 79;
export const PROXY_STATE_TYPE = 33;

/** Packet codes: RFC 2865 4, RFC 2866 4, RFC 5997 (Status-Server/Client), RFC 5176 (CoA/Disconnect). */
export const PacketCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoARequest: 43,
  CoAAck: 44,
  CoANak: 45,
} as const;

export type PacketCodeName = keyof typeof PacketCode;
export type PacketCodeValue = (typeof PacketCode)[PacketCodeName];

const namesByCode = new Map<number, PacketCodeName>(
  (Object.entries(PacketCode) as [PacketCodeName, PacketCodeValue][]).map(([name, code]) => [code, name]),
);

export function isKnownPacketCode(code: number): code is PacketCodeValue {
  return namesByCode.has(code);
}

export function packetCodeName(code: number): string {
  return namesByCode.get(code) ?? `Unknown-Code-${code}`;
}

/** Display names as FreeRADIUS and radclient print them ("Access-Accept"). */
export function packetCodeLabel(code: number): string {
  const name = namesByCode.get(code);
  if (name === undefined) return `Unknown-Code-${code}`;
  return name.replace(/^CoA/, 'CoA-').replace(/([a-z])([A-Z])/g, '$1-$2');
}

/**
 * Requests whose authenticator is computed over the packet with a zero authenticator field
 * (RFC 2866 3, RFC 5176 2.3) rather than chosen at random (Access-Request, Status-Server).
 */
export function hasComputedRequestAuthenticator(code: number): boolean {
  return (
    code === PacketCode.AccountingRequest ||
    code === PacketCode.CoARequest ||
    code === PacketCode.DisconnectRequest
  );
}

export function isRequestCode(code: number): boolean {
  return (
    code === PacketCode.AccessRequest ||
    code === PacketCode.AccountingRequest ||
    code === PacketCode.StatusServer ||
    code === PacketCode.CoARequest ||
    code === PacketCode.DisconnectRequest
  );
}
