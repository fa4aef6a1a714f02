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
export interface DecodeOptions {
  /**
   * The caller hands `data` over: nothing else holds it or will write to it (a datagram as dgram
   * delivers it, in a Buffer of its own). The decoded packet then views `data` instead of a copy.
   */
  readonly adopt?: boolean;
}

export function decodePacket(data: Buffer, options?: DecodeOptions): Result<RadiusPacket> {
  if (data.length < RADIUS_HEADER_LENGTH) return fail('too-short', `${data.length} octets`);
  const length = ((data[2] as number) << 8) | (data[3] as number);
  if (length > RADIUS_MAX_PACKET_LENGTH) return fail('too-long', `Length ${length}`);
  if (length < RADIUS_HEADER_LENGTH || length > data.length) {
    return fail('length-mismatch', `Length ${length}, datagram ${data.length}`);
  }
  const code = data[0] as number;
  if (!isKnownPacketCode(code)) return fail('unknown-code', `code ${code}`);
  // One copy of the packet (octets past Length are padding and ignored, RFC 2865 3); the
  // authenticator and every value are views into it, so nothing decoded shares memory with `data`
  // and one allocation serves all attributes. Data handed over is viewed as it is.
  const copy = options?.adopt === true ? data : copyOf(data, length);
  // Sized for the attributes the Length octets frame: an array grown by push() reserves 17 slots
  // on the first one, most of them unused (a typical request carries 5 to 10).
  const attributes: RawAttribute[] = new Array<RawAttribute>(framedCount(copy, length));
  let count = 0;
  let seenMessageAuthenticator = false;
  for (let offset = RADIUS_HEADER_LENGTH; offset < length;) {
    if (offset + ATTRIBUTE_HEADER_LENGTH > length) {
      return fail('attribute-truncated', `attribute header at offset ${offset}`);
    }
    const type = copy[offset] as number;
    const attrLength = copy[offset + 1] as number;
    if (attrLength < ATTRIBUTE_HEADER_LENGTH) {
      return fail('attribute-length-invalid', `type ${type} Length ${attrLength}`);
    }
    if (offset + attrLength > length) {
      return fail('attribute-truncated', `type ${type} Length ${attrLength} runs past the packet`);
    }
    if (type === MESSAGE_AUTHENTICATOR_TYPE) {
      if (attrLength - ATTRIBUTE_HEADER_LENGTH !== MESSAGE_AUTHENTICATOR_LENGTH) {
        return fail('message-authenticator-length');
      }
      if (seenMessageAuthenticator) return fail('message-authenticator-duplicated');
      seenMessageAuthenticator = true;
    }
    attributes[count++] = {
      type,
      value: copy.subarray(offset + ATTRIBUTE_HEADER_LENGTH, offset + attrLength),
    };
    offset += attrLength;
  }
  return ok({
    code,
    identifier: copy[1] as number,
    authenticator: copy.subarray(4, RADIUS_HEADER_LENGTH),
    attributes,
  });
}

function copyOf(data: Buffer, length: number): Buffer {
  // Copied without a view of `data` first (one Buffer object, not two).
  const copy = Buffer.allocUnsafe(length);
  data.copy(copy, 0, 0, length);
  return copy;
}

/**
 * How many attributes the Length octets frame, stopping where framing breaks (decodePacket then
 * fails there, so its array is never read past what it filled).
 */
function framedCount(packet: Buffer, length: number): number {
  let count = 0;
  for (let offset = RADIUS_HEADER_LENGTH; offset + ATTRIBUTE_HEADER_LENGTH <= length; count++) {
    const attrLength = packet[offset + 1] as number;
    if (attrLength < ATTRIBUTE_HEADER_LENGTH) break;
    offset += attrLength;
  }
  return count;
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
  let length = RADIUS_HEADER_LENGTH;
  for (const attr of packet.attributes) {
    if (attr.value.length > 253) {
      throw new PacketEncodeError(
        `attribute ${attr.type} value is ${attr.value.length} octets; 253 is the maximum`,
      );
    }
    length += attr.value.length + ATTRIBUTE_HEADER_LENGTH;
  }
  if (length > RADIUS_MAX_PACKET_LENGTH) {
    throw new PacketEncodeError(`packet would be ${length} octets; 4096 is the maximum`);
  }
  // Every octet is written below, so the buffer need not be zeroed first.
  const out = Buffer.allocUnsafe(length);
  out.writeUInt8(packet.code, 0);
  out.writeUInt8(packet.identifier, 1);
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  packet.authenticator.copy(out, 4);
  let offset = RADIUS_HEADER_LENGTH;
  for (const attr of packet.attributes) {
    out[offset] = attr.type & 0xff;
    out[offset + 1] = attr.value.length + ATTRIBUTE_HEADER_LENGTH;
    attr.value.copy(out, offset + ATTRIBUTE_HEADER_LENGTH);
    offset += attr.value.length + ATTRIBUTE_HEADER_LENGTH;
  }
  return out;
}

export function findAttribute(packet: RadiusPacket, type: number): RawAttribute | undefined {
  return packet.attributes.find((attr) => attr.type === type);
}

export function findAttributes(packet: RadiusPacket, type: number): RawAttribute[] {
  return packet.attributes.filter((attr) => attr.type === type);
}
