import {
  hideUserPassword,
  revealUserPassword,
  saltDecrypt,
  saltEncrypt,
  saltFromRandom,
} from './auth/pap.ts';
import type { Secret } from './authenticators.ts';
import { MAX_ATTRIBUTE_VALUE_LENGTH, VENDOR_SPECIFIC_TYPE } from './constants.ts';
import type { Dictionary } from './dictionary/dictionary.ts';
import type { ResolvedAttribute } from './dictionary/types.ts';
import { defaultDictionary } from './dictionaries/index.ts';
import type { RawAttribute } from './packet.ts';
import { pooledRandomBytes } from './random.ts';
import {
  AttributeValueError,
  ValueProblem,
  encodeValue,
  valueOrProblem,
  type AttributeValue,
} from './values.ts';

/** An attribute by dictionary name with a typed value; `tag` for RFC 2868 tagged attributes. */
export interface AttributeInput {
  readonly name: string;
  readonly value: AttributeValue;
  readonly tag?: number;
}

export interface DecodedAttribute {
  readonly name: string;
  readonly value: AttributeValue;
  readonly tag?: number;
  readonly type: number;
  readonly vendorId?: number;
  /** The value as on the wire (still hidden, for encrypted attributes). */
  readonly raw: Buffer;
  /** Set when the value could not be decoded as its dictionary type; `value` is then the raw octets. */
  readonly invalid?: string;
}

/** What hidden attributes (User-Password, Tunnel-Password, MS-MPPE keys) are keyed with. */
export interface CryptoContext {
  readonly secret: Secret;
  /** The Request Authenticator of the request (for replies, of the request they answer). */
  readonly requestAuthenticator: Buffer;
  /** Source of salts for salted attributes; tests pass a fixed one. */
  readonly random?: (size: number) => Buffer;
}

export function resolveAttribute(
  name: string,
  dictionary: Dictionary = defaultDictionary,
): ResolvedAttribute {
  const attr = dictionary.byNameOrUndefined(name);
  if (attr === undefined)
    throw new AttributeValueError(`unknown attribute "${name}" (not in the dictionary)`);
  return attr;
}

function hide(attr: ResolvedAttribute, plain: Buffer, crypto: CryptoContext | undefined): Buffer {
  if (attr.encryption === undefined) return plain;
  if (crypto === undefined) {
    throw new AttributeValueError(
      `${attr.name} is encrypted on the wire: a secret and authenticator are needed`,
    );
  }
  if (attr.encryption === 'user-password') {
    return hideUserPassword(plain, crypto.secret, crypto.requestAuthenticator);
  }
  const salt = saltFromRandom((crypto.random ?? pooledRandomBytes)(2));
  return saltEncrypt(plain, crypto.secret, crypto.requestAuthenticator, salt);
}

function reveal(
  attr: ResolvedAttribute,
  wire: Buffer,
  crypto: CryptoContext | undefined,
): Buffer | undefined {
  if (attr.encryption === undefined) return wire;
  if (crypto === undefined) return undefined;
  const result =
    attr.encryption === 'user-password'
      ? revealUserPassword(wire, crypto.secret, crypto.requestAuthenticator)
      : saltDecrypt(wire, crypto.secret, crypto.requestAuthenticator);
  return result.ok ? result.value : undefined;
}

function encodeOne(
  attr: ResolvedAttribute,
  input: AttributeInput,
  crypto: CryptoContext | undefined,
): Buffer[] {
  let value = encodeValue(attr, input.value);
  if (attr.tagged === true) {
    const tag = input.tag ?? 0;
    if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) {
      throw new AttributeValueError(`${attr.name}: tag must be 0..31 (RFC 2868 3), got ${tag}`);
    }
    if (attr.dataType === 'integer') {
      // RFC 2868 3.1: the tag replaces the high octet of the 4-octet integer.
      value = Buffer.from(value);
      value[0] = tag;
    } else if (attr.encryption === 'salted') {
      value = Buffer.concat([Buffer.from([tag]), hide(attr, value, crypto)]);
      return [value];
    } else if (tag !== 0) {
      value = Buffer.concat([Buffer.from([tag]), value]);
    }
  }
  value = hide(attr, value, crypto);
  if (attr.concat === true) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < value.length || i === 0; i += MAX_ATTRIBUTE_VALUE_LENGTH) {
      chunks.push(value.subarray(i, i + MAX_ATTRIBUTE_VALUE_LENGTH));
    }
    return chunks;
  }
  const limit = attr.vendorId === undefined ? MAX_ATTRIBUTE_VALUE_LENGTH : MAX_ATTRIBUTE_VALUE_LENGTH - 6;
  if (value.length > limit) {
    throw new AttributeValueError(`${attr.name} value is ${value.length} octets; at most ${limit} fit`);
  }
  return [value];
}

/** Dictionary names and typed values to wire attributes, in order (VSAs wrapped, EAP split). */
export function encodeAttributes(
  inputs: readonly AttributeInput[],
  crypto?: CryptoContext,
  dictionary: Dictionary = defaultDictionary,
): RawAttribute[] {
  const out: RawAttribute[] = [];
  for (const input of inputs) {
    const attr = resolveAttribute(input.name, dictionary);
    for (const value of encodeOne(attr, input, crypto)) {
      if (attr.vendorId === undefined) {
        out.push({ type: attr.type, value });
      } else {
        // RFC 2865 5.26 recommended format: Vendor-Id(4) Vendor-Type(1) Vendor-Length(1) Value.
        const header = Buffer.alloc(6);
        header.writeUInt32BE(attr.vendorId, 0);
        header.writeUInt8(attr.type, 4);
        header.writeUInt8(value.length + 2, 5);
        out.push({ type: VENDOR_SPECIFIC_TYPE, value: Buffer.concat([header, value]) });
      }
    }
  }
  return out;
}

/** A DecodedAttribute under construction: keys are added in the order the type lists them. */
type Building = {
  -readonly [K in keyof DecodedAttribute]: DecodedAttribute[K];
};

function decodedAttribute(
  name: string,
  type: number,
  raw: Buffer,
  vendorId: number | undefined,
  value: AttributeValue,
): Building {
  return vendorId === undefined ? { name, type, raw, value } : { name, type, raw, vendorId, value };
}

function decodeTyped(
  attr: ResolvedAttribute,
  wire: Buffer,
  crypto: CryptoContext | undefined,
  type: number,
): DecodedAttribute {
  let bytes = wire;
  let tag: number | undefined;
  if (attr.tagged === true) {
    if (attr.dataType === 'integer' && bytes.length === 4) {
      tag = bytes[0];
      bytes = Buffer.concat([Buffer.from([0]), bytes.subarray(1)]);
    } else if (attr.encryption === 'salted' || (bytes.length > 0 && (bytes[0] ?? 0) <= 0x1f)) {
      tag = bytes[0];
      bytes = bytes.subarray(1);
    }
  }
  if (attr.encryption !== undefined) {
    const plain = reveal(attr, bytes, crypto);
    if (plain === undefined) {
      const opaque = decodedAttribute(attr.name, type, wire, attr.vendorId, Buffer.from(wire));
      opaque.invalid = 'encrypted value not revealed (no or wrong secret)';
      return opaque;
    }
    bytes = plain;
  }
  // A revealed value is a fresh Buffer already: copying it again was garbage on every PAP request.
  const value = valueOrProblem(attr, bytes, attr.encryption !== undefined);
  if (value instanceof ValueProblem) {
    const invalid = decodedAttribute(attr.name, type, wire, attr.vendorId, Buffer.from(bytes));
    invalid.invalid = value.reason;
    return invalid;
  }
  const out = decodedAttribute(attr.name, type, wire, attr.vendorId, value);
  if (tag !== undefined) out.tag = tag;
  return out;
}

function unknown(name: string, type: number, wire: Buffer, vendorId?: number): DecodedAttribute {
  const value = Buffer.from(wire);
  return vendorId === undefined
    ? { name, type, raw: wire, value }
    : { name, type, raw: wire, value, vendorId };
}

function decodeVendorSpecific(
  raw: RawAttribute,
  crypto: CryptoContext | undefined,
  dictionary: Dictionary,
): DecodedAttribute[] {
  const bytes = raw.value;
  if (bytes.length < 4) return [unknown('Vendor-Specific', raw.type, bytes)];
  const vendorId = bytes.readUInt32BE(0);
  const out: DecodedAttribute[] = [];
  // A VSA may carry several sub-attributes; any framing error keeps the whole VSA opaque.
  for (let offset = 4; offset < bytes.length;) {
    const vendorType = bytes[offset];
    const vendorLength = bytes[offset + 1];
    if (
      vendorType === undefined ||
      vendorLength === undefined ||
      vendorLength < 2 ||
      offset + vendorLength > bytes.length
    ) {
      return [unknown(`Vendor-${vendorId}`, raw.type, bytes, vendorId)];
    }
    const value = bytes.subarray(offset + 2, offset + vendorLength);
    const attr = dictionary.vendor(vendorId, vendorType);
    out.push(
      attr === undefined
        ? unknown(`Vendor-${vendorId}-Attr-${vendorType}`, vendorType, value, vendorId)
        : decodeTyped(attr, value, crypto, vendorType),
    );
    offset += vendorLength;
  }
  return out;
}

/** Wire attributes to names and typed values. Never throws: odd values are marked `invalid`. */
export function decodeAttributes(
  attributes: readonly RawAttribute[],
  crypto?: CryptoContext,
  dictionary: Dictionary = defaultDictionary,
): DecodedAttribute[] {
  // One slot per wire attribute (a Vendor-Specific may hold more or none, so the length is set at
  // the end): an array grown by push() reserves 17 slots on the first one, most of them unused.
  const out: DecodedAttribute[] = new Array<DecodedAttribute>(attributes.length);
  let count = 0;
  for (const raw of attributes) {
    if (raw.type === VENDOR_SPECIFIC_TYPE) {
      for (const sub of decodeVendorSpecific(raw, crypto, dictionary)) out[count++] = sub;
      continue;
    }
    const attr = dictionary.standard(raw.type);
    out[count++] =
      attr === undefined
        ? unknown(`Attr-${raw.type}`, raw.type, raw.value)
        : decodeTyped(attr, raw.value, crypto, raw.type);
  }
  out.length = count;
  return out;
}

/** The concatenated value of a `concat` attribute (EAP-Message), or undefined when absent. */
export function joinedValue(attributes: readonly RawAttribute[], type: number): Buffer | undefined {
  // Asked of every Access-Request, most of which carry none: no array until one is found.
  let parts: Buffer[] | undefined;
  for (const attr of attributes) if (attr.type === type) (parts ??= []).push(attr.value);
  return parts === undefined ? undefined : Buffer.concat(parts);
}

/** First decoded value of a named attribute. */
export function attributeValue(
  decoded: readonly DecodedAttribute[],
  name: string,
): AttributeValue | undefined {
  for (const attr of decoded) if (sameName(attr.name, name)) return attr.value;
  return undefined;
}

/**
 * Case-insensitive name match (as FreeRADIUS), with the usual exact match tried first. Lower-casing
 * makes two strings, so it is left for names of the same length (dictionary names are ASCII, whose
 * case never changes a length): lower-casing every attribute passed over was most of a lookup's garbage.
 */
function sameName(candidate: string, name: string): boolean {
  return (
    candidate === name || (candidate.length === name.length && candidate.toLowerCase() === name.toLowerCase())
  );
}

export function attributeValues(decoded: readonly DecodedAttribute[], name: string): AttributeValue[] {
  const values: AttributeValue[] = [];
  for (const attr of decoded) if (sameName(attr.name, name)) values.push(attr.value);
  return values;
}

/** The dictionary entry a decoded attribute came from, if the dictionary knows it. */
export function specOf(
  attr: DecodedAttribute,
  dictionary: Dictionary = defaultDictionary,
): ResolvedAttribute | undefined {
  return attr.vendorId === undefined
    ? dictionary.standard(attr.type)
    : dictionary.vendor(attr.vendorId, attr.type);
}

/** True for values hidden on the wire (User-Password, Tunnel-Password, MPPE keys): never store or log them. */
export function isHiddenAttribute(
  attr: DecodedAttribute,
  dictionary: Dictionary = defaultDictionary,
): boolean {
  return specOf(attr, dictionary)?.encryption !== undefined;
}

/** "Service-Type = Framed-User" style rendering, for traces and reports. Hidden values never shown. */
export function formatAttribute(attr: DecodedAttribute, dictionary: Dictionary = defaultDictionary): string {
  const spec = specOf(attr, dictionary);
  if (spec?.encryption !== undefined) return `${attr.name} = <hidden>`;
  let text: string;
  if (typeof attr.value === 'number' && spec?.values !== undefined) {
    const named = Object.entries(spec.values).find(([, n]) => n === attr.value)?.[0];
    text = named ?? String(attr.value);
  } else if (Buffer.isBuffer(attr.value)) {
    text = `0x${attr.value.toString('hex')}`;
  } else if (attr.value instanceof Date) {
    text = attr.value.toISOString();
  } else {
    text = typeof attr.value === 'string' ? JSON.stringify(attr.value) : String(attr.value);
  }
  const tag = attr.tag !== undefined && attr.tag !== 0 ? `:${attr.tag}` : '';
  return `${attr.name}${tag} = ${text}`;
}
