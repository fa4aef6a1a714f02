import {
  ATTRIBUTE_HEADER_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
  MESSAGE_AUTHENTICATOR_TYPE,
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_PACKET_LENGTH,
  isKnownPacketCode,
} from './constants.ts';
import { fail, ok, type Result } from './decode-failures.ts';

/** One attribute as it is on the wire: Type, and the value octets (Length is implied). */
export interface RawAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly attributes: readonly RawAttribute[];
}

/**
 * Structural decode (RFC 2865 3 and 5): header, Length, attribute framing, and the one rule on
 * Message-Authenticator that needs no secret. Total on any input: every failure is a code.
 */
export function decodePacket(data: Buffer): Result<RadiusPacket> {
  if (data.length < RADIUS_HEADER_LENGTH) return fail('too-short', `${data.length} octets`);
  const length = data.readUInt16BE(2);
  if (length > RADIUS_MAX_PACKET_LENGTH) return fail('too-long', `Length ${length}`);
  if (length < RADIUS_HEADER_LENGTH || length > data.length) {
    return fail('length-mismatch', `Length ${length}, datagram ${data.length}`);
  }
  const code = data.readUInt8(0);
  if (!isKnownPacketCode(code)) return fail('unknown-code', `code ${code}`);
  // Octets past Length are padding and ignored (RFC 2865 3).
  const body = data.subarray(RADIUS_HEADER_LENGTH, length);
  const attributes: RawAttribute[] = [];
  let seenMessageAuthenticator = false;
  for (let offset = 0; offset < body.length;) {
    if (offset + ATTRIBUTE_HEADER_LENGTH > body.length) {
      return fail('attribute-truncated', `attribute header at offset ${RADIUS_HEADER_LENGTH + offset}`);
    }
    const type = body.readUInt8(offset);
    const attrLength = body.readUInt8(offset + 1);
    if (attrLength < ATTRIBUTE_HEADER_LENGTH) {
      return fail('attribute-length-invalid', `type ${type} Length ${attrLength}`);
    }
    if (offset + attrLength > body.length) {
      return fail('attribute-truncated', `type ${type} Length ${attrLength} runs past the packet`);
    }
    const value = Buffer.from(body.subarray(offset + ATTRIBUTE_HEADER_LENGTH, offset + attrLength));
    if (type === MESSAGE_AUTHENTICATOR_TYPE) {
      if (value.length !== MESSAGE_AUTHENTICATOR_LENGTH) return fail('message-authenticator-length');
      if (seenMessageAuthenticator) return fail('message-authenticator-duplicated');
      seenMessageAuthenticator = true;
    }
    attributes.push({ type, value });
    offset += attrLength;
  }
  return ok({
    code,
    identifier: data.readUInt8(1),
    authenticator: Buffer.from(data.subarray(4, RADIUS_HEADER_LENGTH)),
    attributes,
  });
}

export class PacketEncodeError extends Error {
  readonly code = 'RADMFA_PACKET_ENCODE';
}

/**
 * Serialises a packet as given, computing only the Length field. No authenticator is computed and
 * nothing is validated beyond what the wire format can carry (see build.ts for signed packets).
 */
export function encodePacket(packet: RadiusPacket): Buffer {
  if (packet.authenticator.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    throw new PacketEncodeError(`authenticator must be 16 octets, got ${packet.authenticator.length}`);
  }
  const parts: Buffer[] = [];
  let length = RADIUS_HEADER_LENGTH;
  for (const attr of packet.attributes) {
    if (attr.value.length > 253) {
      throw new PacketEncodeError(
        `attribute ${attr.type} value is ${attr.value.length} octets; 253 is the maximum`,
      );
    }
    parts.push(Buffer.from([attr.type, attr.value.length + ATTRIBUTE_HEADER_LENGTH]), attr.value);
    length += attr.value.length + ATTRIBUTE_HEADER_LENGTH;
  }
  if (length > RADIUS_MAX_PACKET_LENGTH) {
    throw new PacketEncodeError(`packet would be ${length} octets; 4096 is the maximum`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt8(packet.code, 0);
  header.writeUInt8(packet.identifier, 1);
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, packet.authenticator, ...parts], length);
}

export function findAttribute(packet: RadiusPacket, type: number): RawAttribute | undefined {
  return packet.attributes.find((attr) => attr.type === type);
}

export function findAttributes(packet: RadiusPacket, type: number): RawAttribute[] {
  return packet.attributes.filter((attr) => attr.type === type);
}
