// The BER subset LDAPv3 uses (RFC 4511 5.1: definite lengths only, no constructed strings), as
// pure functions over Buffers. Encoding is minimal (shortest length and integer forms), which is
// also what ldapts and libldap send, so the two can be compared byte for byte.

export type LdapDecodeFailureCode =
  | 'truncated'
  | 'indefinite-length'
  | 'length-too-long'
  | 'message-too-long'
  | 'unexpected-tag'
  | 'bad-integer'
  | 'bad-boolean'
  | 'overrun'
  | 'unsupported-operation';

export const ldapDecodeFailureReasons: Readonly<Record<LdapDecodeFailureCode, string>> = {
  truncated: 'element runs past the end of the data (RFC 4511 5.1)',
  'indefinite-length': 'indefinite length form, which LDAP forbids (RFC 4511 5.1)',
  'length-too-long': 'length of more than 4 octets',
  'message-too-long': 'LDAPMessage longer than the largest this client accepts',
  'unexpected-tag': 'element tag is not the one RFC 4511 4 puts here',
  'bad-integer': 'INTEGER or ENUMERATED of 0 or more than 4 octets',
  'bad-boolean': 'BOOLEAN not 1 octet',
  overrun: 'element longer than the element that contains it',
  'unsupported-operation': 'protocolOp this client does not expect (RFC 4511 4.2)',
};

/** A decode failure: thrown inside the decoder, returned to callers as a closed code. */
export class LdapDecodeError extends Error {
  constructor(
    readonly code: LdapDecodeFailureCode,
    detail?: string,
  ) {
    super(
      detail === undefined ? ldapDecodeFailureReasons[code] : `${ldapDecodeFailureReasons[code]}: ${detail}`,
    );
    this.name = 'LdapDecodeError';
  }
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  octetString: 0x04,
  enumerated: 0x0a,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Octets a definite length takes (its first octet included). */
export function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  if (length <= 0xff) return 2;
  if (length <= 0xffff) return 3;
  if (length <= 0xffffff) return 4;
  return 5;
}

/** Writes a definite length at `at`; returns the offset after it. */
export function writeLength(out: Buffer, at: number, length: number): number {
  if (length < 0x80) {
    out[at] = length;
    return at + 1;
  }
  const size = lengthSize(length) - 1;
  out[at] = 0x80 | size;
  for (let i = size; i >= 1; i--) out[at + i] = (length >>> (8 * (size - i))) & 0xff;
  return at + size + 1;
}

/** Octets of the shortest two's-complement form of a 32-bit integer (X.690 8.3.2). */
export function integerSize(value: number): number {
  let size = 4;
  let v = value | 0;
  // Drop a leading octet while the next one's top bit repeats it (0x00 before 0..., 0xff before 1...).
  while (size > 1 && ((v & 0xff800000) === 0 || (v & 0xff800000) === -0x800000)) {
    size--;
    v <<= 8;
  }
  return size;
}

/** Writes a whole INTEGER-like TLV (tag, length, content); returns the offset after it. */
export function writeInteger(out: Buffer, at: number, tag: number, value: number): number {
  const size = integerSize(value);
  out[at] = tag;
  out[at + 1] = size;
  for (let i = 0; i < size; i++) out[at + 2 + i] = (value >> (8 * (size - 1 - i))) & 0xff;
  return at + 2 + size;
}

/** Size of a whole TLV with `contentLength` octets of content. */
export function tlvSize(contentLength: number): number {
  return 1 + lengthSize(contentLength) + contentLength;
}

/** tag + length + bytes, as one Buffer (for templates built once). */
export function tlv(tag: number, content: Buffer): Buffer {
  const out = Buffer.allocUnsafe(tlvSize(content.length));
  out[0] = tag;
  content.copy(out, writeLength(out, 1, content.length));
  return out;
}

/**
 * A cursor over one element's content. Every read checks bounds against `end`, so a length that
 * claims more than its container holds fails as `overrun`, never reads a neighbour's bytes.
 */
export class BerReader {
  constructor(
    readonly data: Buffer,
    public offset: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.offset >= this.end;
  }

  peekTag(): number {
    if (this.offset >= this.end) throw new LdapDecodeError('truncated', 'expected another element');
    return this.data[this.offset] ?? 0;
  }

  /** Reads a tag and length; returns the content's [start, end) and moves past the element. */
  element(expectedTag?: number): { tag: number; start: number; end: number } {
    const tag = this.peekTag();
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new LdapDecodeError(
        'unexpected-tag',
        `0x${tag.toString(16)} where 0x${expectedTag.toString(16)} belongs`,
      );
    }
    if ((tag & 0x1f) === 0x1f) throw new LdapDecodeError('unexpected-tag', 'multi-octet tags are not LDAP');
    const header = readLength(this.data, this.offset + 1, this.end);
    const start = header.next;
    const end = start + header.length;
    if (end > this.end) throw new LdapDecodeError('overrun', `${header.length} octets claimed`);
    this.offset = end;
    return { tag, start, end };
  }

  /** A constructed element's content as a reader of its own. */
  sequence(expectedTag: number = TAG.sequence): BerReader {
    const { start, end } = this.element(expectedTag);
    return new BerReader(this.data, start, end);
  }

  integer(expectedTag: number = TAG.integer): number {
    const { start, end } = this.element(expectedTag);
    const size = end - start;
    if (size < 1 || size > 4) throw new LdapDecodeError('bad-integer', `${size} octets`);
    let value = (this.data[start] ?? 0) & 0x80 ? -1 : 0;
    for (let i = start; i < end; i++) value = (value << 8) | (this.data[i] ?? 0);
    return value;
  }

  octets(expectedTag: number = TAG.octetString): Buffer {
    const { start, end } = this.element(expectedTag);
    return this.data.subarray(start, end);
  }

  string(expectedTag: number = TAG.octetString): string {
    const { start, end } = this.element(expectedTag);
    return this.data.toString('utf8', start, end);
  }

  skip(): void {
    this.element();
  }
}

/** A length at `at` (the octet after the tag): its value and where the content starts. */
export function readLength(data: Buffer, at: number, end: number): { length: number; next: number } {
  if (at >= end) throw new LdapDecodeError('truncated', 'length missing');
  const first = data[at] ?? 0;
  if (first < 0x80) return { length: first, next: at + 1 };
  const size = first & 0x7f;
  if (size === 0) throw new LdapDecodeError('indefinite-length');
  if (size > 4) throw new LdapDecodeError('length-too-long', `${size} length octets`);
  if (at + 1 + size > end) throw new LdapDecodeError('truncated', 'length octets missing');
  let length = 0;
  for (let i = 1; i <= size; i++) length = length * 256 + (data[at + i] ?? 0);
  return { length, next: at + 1 + size };
}
