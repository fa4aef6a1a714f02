import type { DataType, ResolvedAttribute } from './dictionary/types.ts';
import { bufferToIpv4, bufferToIpv6, ipv4ToBuffer, ipv6ToBuffer } from './ip.ts';

/** A typed attribute value, chosen by the dictionary's data type. */
export type AttributeValue = string | number | bigint | Buffer | Date;

export class AttributeValueError extends Error {
  readonly code = 'RADMFA_ATTRIBUTE_VALUE';
}

/**
 * How an octets value is written as text, one rule for every path that turns text into bytes
 * (suite files, `radmfa nas --attr`, the server's policy replies): `0x` then pairs of hex digits is
 * those octets, as in FreeRADIUS's users files and radclient; other text is its UTF-8 bytes. A value
 * that starts with `0x` but is not whole hex pairs is an error rather than text, so a typo in a hex
 * dump is never sent as the characters "0x...".
 */
export type OctetsText =
  | { readonly kind: 'hex'; readonly bytes: Buffer }
  | { readonly kind: 'text' }
  | { readonly kind: 'bad-hex'; readonly reason: string };

export const OCTETS_HEX_FIX =
  'write 0x followed by pairs of hex digits (0x0200000a01...), or text without 0x';

export function readOctetsText(text: string): OctetsText {
  if (!text.startsWith('0x')) return { kind: 'text' };
  const digits = text.slice(2);
  const wrong = /[^0-9a-fA-F]/.exec(digits);
  if (wrong !== null) {
    return { kind: 'bad-hex', reason: `"${wrong[0]}" after 0x is not a hex digit` };
  }
  if (digits.length % 2 !== 0) {
    return { kind: 'bad-hex', reason: `0x is followed by ${digits.length} hex digits, not whole octets` };
  }
  return { kind: 'hex', bytes: Buffer.from(digits, 'hex') };
}

function octetsOf(attr: ResolvedAttribute, value: AttributeValue): Buffer {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  const text = expectString(attr, value);
  const read = readOctetsText(text);
  if (read.kind === 'hex') return read.bytes;
  if (read.kind === 'bad-hex')
    throw new AttributeValueError(`${attr.name}: ${read.reason}; ${OCTETS_HEX_FIX}`);
  return Buffer.from(text, 'utf8');
}

function expectString(attr: ResolvedAttribute, value: AttributeValue): string {
  if (typeof value !== 'string') {
    throw new AttributeValueError(`${attr.name} (${attr.dataType}) needs a string, got ${typeof value}`);
  }
  return value;
}

function integerOf(attr: ResolvedAttribute, value: AttributeValue): number {
  if (typeof value === 'string') {
    const named = attr.values?.[value];
    if (named !== undefined) return named;
    if (/^\d+$/.test(value)) return Number(value);
    const known = Object.keys(attr.values ?? {}).join(', ');
    throw new AttributeValueError(
      `${attr.name}: "${value}" is not a number${known ? ` nor one of its named values (${known})` : ''}`,
    );
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new AttributeValueError(`${attr.name} needs an unsigned 32-bit integer, got ${String(value)}`);
  }
  return value;
}

/** Encodes a value by data type (no tag, no encryption: the caller layers those on). */
export function encodeValue(attr: ResolvedAttribute, value: AttributeValue): Buffer {
  const type: DataType = attr.dataType;
  switch (type) {
    case 'string':
      return Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(expectString(attr, value), 'utf8');
    case 'octets':
    case 'vsa':
      return octetsOf(attr, value);
    case 'integer': {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(integerOf(attr, value));
      return out;
    }
    case 'integer64': {
      const big = typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : undefined;
      if (big === undefined || big < 0n || big > 0xffffffffffffffffn) {
        throw new AttributeValueError(`${attr.name} needs an unsigned 64-bit integer`);
      }
      const out = Buffer.alloc(8);
      out.writeBigUInt64BE(big);
      return out;
    }
    case 'ipaddr': {
      const bytes = ipv4ToBuffer(expectString(attr, value));
      if (bytes === undefined)
        throw new AttributeValueError(`${attr.name} needs an IPv4 address, got "${String(value)}"`);
      return bytes;
    }
    case 'ipv6addr': {
      const bytes = ipv6ToBuffer(expectString(attr, value));
      if (bytes === undefined)
        throw new AttributeValueError(`${attr.name} needs an IPv6 address, got "${String(value)}"`);
      return bytes;
    }
    case 'ipv6prefix': {
      // RFC 3162 2.3: Reserved(1) Prefix-Length(1) Prefix(only the octets the length covers).
      const [address = '', lengthText = '128'] = expectString(attr, value).split('/');
      const bytes = ipv6ToBuffer(address);
      const length = Number(lengthText);
      if (bytes === undefined || !Number.isInteger(length) || length < 0 || length > 128) {
        throw new AttributeValueError(
          `${attr.name} needs an IPv6 prefix like 2001:db8::/32, got "${String(value)}"`,
        );
      }
      return Buffer.concat([Buffer.from([0, length]), bytes.subarray(0, Math.ceil(length / 8))]);
    }
    case 'ifid': {
      const hex = expectString(attr, value).replace(/:/g, '');
      if (!/^[0-9a-fA-F]{16}$/.test(hex)) {
        throw new AttributeValueError(`${attr.name} needs an interface id like 0011:2233:4455:6677`);
      }
      return Buffer.from(hex, 'hex');
    }
    case 'date': {
      const seconds =
        value instanceof Date ? Math.floor(value.getTime() / 1000) : typeof value === 'number' ? value : NaN;
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
        throw new AttributeValueError(`${attr.name} needs a Date or seconds since 1970`);
      }
      const out = Buffer.alloc(4);
      out.writeUInt32BE(seconds);
      return out;
    }
  }
}

export type DecodedValue = { ok: true; value: AttributeValue } | { ok: false; reason: string };

/** Why wire bytes are not a value of their type; never itself a value, so it can stand beside one. */
export class ValueProblem {
  constructor(readonly reason: string) {}
}

function wrongSize(attr: ResolvedAttribute, bytes: Buffer, n: number): ValueProblem | undefined {
  return bytes.length === n
    ? undefined
    : new ValueProblem(`${attr.name} must be ${n} octets, got ${bytes.length}`);
}

/** Decodes wire bytes by data type; a wrong size is reported, never thrown. */
export function decodeValue(attr: ResolvedAttribute, bytes: Buffer, owned = false): DecodedValue {
  const value = valueOrProblem(attr, bytes, owned);
  return value instanceof ValueProblem ? { ok: false, reason: value.reason } : { ok: true, value };
}

/**
 * decodeValue without a result object around the value, for the decode every request goes through.
 * `owned`: `bytes` is the caller's to give away (a revealed password), so an octets value is that
 * Buffer; otherwise it is a copy, never a view of the packet.
 */
export function valueOrProblem(
  attr: ResolvedAttribute,
  bytes: Buffer,
  owned = false,
): AttributeValue | ValueProblem {
  switch (attr.dataType) {
    case 'string':
      return bytes.toString('utf8');
    case 'octets':
    case 'vsa':
      return owned ? bytes : Buffer.from(bytes);
    case 'integer':
      return wrongSize(attr, bytes, 4) ?? bytes.readUInt32BE(0);
    case 'integer64':
      return wrongSize(attr, bytes, 8) ?? bytes.readBigUInt64BE(0);
    case 'ipaddr':
      return wrongSize(attr, bytes, 4) ?? bufferToIpv4(bytes);
    case 'ipv6addr':
      return wrongSize(attr, bytes, 16) ?? bufferToIpv6(bytes);
    case 'ipv6prefix': {
      const length = bytes[1];
      if (bytes.length < 2 || bytes.length > 18 || length === undefined || length > 128) {
        return new ValueProblem(`${attr.name} is not a valid RFC 3162 prefix`);
      }
      const address = Buffer.alloc(16);
      bytes.subarray(2).copy(address);
      return `${bufferToIpv6(address)}/${length}`;
    }
    case 'ifid':
      return wrongSize(attr, bytes, 8) ?? (bytes.toString('hex').match(/.{4}/g) ?? []).join(':');
    case 'date':
      return wrongSize(attr, bytes, 4) ?? new Date(bytes.readUInt32BE(0) * 1000);
  }
}
