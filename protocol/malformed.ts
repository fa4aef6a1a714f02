import { messageAuthenticatorOffset } from './authenticators.ts';
import { RADIUS_HEADER_LENGTH } from './constants.ts';

/**
 * Deliberate damage to a well-formed packet, described as data so scenarios can name it. A harness
 * must be able to send what a careful codec would refuse, to check that the server drops and counts it.
 */
export type Mutation =
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'set-length-field'; readonly length: number }
  | { readonly kind: 'append-garbage'; readonly octets: number }
  | { readonly kind: 'set-code'; readonly code: number }
  | { readonly kind: 'set-attribute-length'; readonly index: number; readonly length: number }
  | { readonly kind: 'flip-authenticator-bit' }
  | { readonly kind: 'flip-message-authenticator-bit' }
  | { readonly kind: 'strip-message-authenticator' }
  | { readonly kind: 'raw-attribute'; readonly type: number; readonly value: Buffer };

/** Offsets of each attribute header, walking by the (possibly already damaged) lengths. */
function attributeOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  const end = Math.min(bytes.length, bytes.length >= 4 ? bytes.readUInt16BE(2) : 0);
  for (let offset = RADIUS_HEADER_LENGTH; offset + 2 <= end;) {
    offsets.push(offset);
    const length = bytes.readUInt8(offset + 1);
    if (length < 2) break;
    offset += length;
  }
  return offsets;
}

function withLength(bytes: Buffer, length: number): Buffer {
  const out = Buffer.from(bytes);
  // Too short to have a Length field: nothing to set, the datagram stays as damaged as it is.
  if (out.length >= 4) out.writeUInt16BE(length & 0xffff, 2);
  return out;
}

export function applyMutation(packet: Buffer, mutation: Mutation): Buffer {
  switch (mutation.kind) {
    case 'truncate':
      return Buffer.from(packet.subarray(0, Math.max(0, mutation.length)));
    case 'set-length-field':
      return withLength(packet, mutation.length);
    case 'append-garbage':
      // Bytes beyond the Length field: a correct decoder ignores them (RFC 2865 3).
      return Buffer.concat([packet, Buffer.alloc(mutation.octets, 0xa5)]);
    case 'set-code': {
      const out = Buffer.from(packet);
      if (out.length > 0) out.writeUInt8(mutation.code & 0xff, 0);
      return out;
    }
    case 'set-attribute-length': {
      const out = Buffer.from(packet);
      const offset = attributeOffsets(out)[mutation.index];
      if (offset !== undefined) out.writeUInt8(mutation.length & 0xff, offset + 1);
      return out;
    }
    case 'flip-authenticator-bit': {
      const out = Buffer.from(packet);
      out[4] = (out[4] ?? 0) ^ 0x01;
      return out;
    }
    case 'flip-message-authenticator-bit': {
      const out = Buffer.from(packet);
      const offset = messageAuthenticatorOffset(out);
      if (offset >= 0) out[offset] = (out[offset] ?? 0) ^ 0x01;
      return out;
    }
    case 'strip-message-authenticator': {
      const offset = messageAuthenticatorOffset(packet);
      if (offset < 0) return Buffer.from(packet);
      const start = offset - 2;
      const out = Buffer.concat([packet.subarray(0, start), packet.subarray(start + 18)]);
      return withLength(out, out.length);
    }
    case 'raw-attribute': {
      // Any Type and any value, including ones a dictionary would refuse (the length byte wraps).
      const attr = Buffer.concat([
        Buffer.from([mutation.type & 0xff, (mutation.value.length + 2) & 0xff]),
        mutation.value,
      ]);
      const out = Buffer.concat([packet, attr]);
      return withLength(out, out.length);
    }
  }
}

export function applyMutations(packet: Buffer, mutations: readonly Mutation[]): Buffer {
  return mutations.reduce((bytes, mutation) => applyMutation(bytes, mutation), packet);
}
