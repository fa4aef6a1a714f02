// The two LDAPv3 operations on a login's path, and the responses they get (RFC 4511): a simple
// BindRequest, and a SearchRequest built from a template encoded once, where only the message ID
// and the searched-for value change per request. The value goes into the filter as opaque octets
// (an AttributeValueAssertion), never through a filter string, so no User-Name can change the
// filter's structure: RFC 4515 escaping is a string-form concern this path does not have.
import {
  BerReader,
  LdapDecodeError,
  TAG,
  integerSize,
  tlv,
  tlvSize,
  writeInteger,
  writeLength,
  type LdapDecodeFailureCode,
  ldapDecodeFailureReasons,
} from './ber.ts';

/** RFC 4511 4.2 protocolOp tags ([APPLICATION n], constructed unless noted). */
export const OP = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42,
  searchRequest: 0x63,
  searchResultEntry: 0x64,
  searchResultDone: 0x65,
  searchResultReference: 0x73,
  extendedResponse: 0x78,
} as const;

/** RFC 4511 4.1.9 result codes this client tells apart; any other is reported by number. */
export const RESULT_CODE = {
  success: 0,
  sizeLimitExceeded: 4,
  invalidCredentials: 49,
} as const;

/** RFC 4511 4.4.1 Notice of Disconnection: an unsolicited ExtendedResponse, messageID 0. */
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';

/** Largest LDAPMessage accepted: a user entry is a few KB; more is a broken or hostile peer. */
export const MAX_MESSAGE_OCTETS = 16 * 1024 * 1024;

const MAX_MESSAGE_ID = 0x7fffffff;

export interface LdapResult {
  readonly resultCode: number;
  readonly matchedDn: string;
  readonly diagnosticMessage: string;
}

export interface LdapAttribute {
  readonly type: string;
  readonly values: readonly string[];
}

export type LdapResponse =
  | { readonly kind: 'bind-response'; readonly messageId: number; readonly result: LdapResult }
  | {
      readonly kind: 'search-entry';
      readonly messageId: number;
      readonly dn: string;
      readonly attributes: readonly LdapAttribute[];
    }
  | { readonly kind: 'search-reference'; readonly messageId: number }
  | { readonly kind: 'search-done'; readonly messageId: number; readonly result: LdapResult }
  | {
      readonly kind: 'extended-response';
      readonly messageId: number;
      readonly result: LdapResult;
      readonly responseName: string | undefined;
    };

export type LdapDecodeResult =
  | { readonly ok: true; readonly value: LdapResponse }
  | { readonly ok: false; readonly code: LdapDecodeFailureCode; readonly message: string };

/** The message ID after `id`: 1..2^31-1 (RFC 4511 4.1.1.1: 0 is for unsolicited notifications). */
export function nextMessageId(id: number): number {
  return id >= MAX_MESSAGE_ID ? 1 : id + 1;
}

/** SEQUENCE { messageID INTEGER, protocolOp } with `opSize` octets of protocolOp written by `fill`. */
function envelope(messageId: number, opSize: number, fill: (out: Buffer, at: number) => number): Buffer {
  const idSize = 2 + integerSize(messageId);
  const contentSize = idSize + opSize;
  const out = Buffer.allocUnsafe(tlvSize(contentSize));
  out[0] = TAG.sequence;
  let at = writeLength(out, 1, contentSize);
  at = writeInteger(out, at, TAG.integer, messageId);
  at = fill(out, at);
  if (at !== out.length) throw new Error(`LDAP encoder wrote ${at} of ${out.length} octets`);
  return out;
}

function writeOctets(out: Buffer, at: number, tag: number, bytes: Buffer): number {
  out[at] = tag;
  const next = writeLength(out, at + 1, bytes.length);
  bytes.copy(out, next);
  return next + bytes.length;
}

/** RFC 4511 4.2: BindRequest, version 3, simple authentication ([0] password). */
export function encodeSimpleBindRequest(messageId: number, dn: string, password: string): Buffer {
  const name = Buffer.from(dn, 'utf8');
  const secret = Buffer.from(password, 'utf8');
  const contentSize = 3 + tlvSize(name.length) + tlvSize(secret.length);
  return envelope(messageId, tlvSize(contentSize), (out, start) => {
    out[start] = OP.bindRequest;
    let at = writeLength(out, start + 1, contentSize);
    at = writeInteger(out, at, TAG.integer, 3);
    at = writeOctets(out, at, TAG.octetString, name);
    return writeOctets(out, at, 0x80, secret);
  });
}

/** RFC 4511 4.3: UnbindRequest ([APPLICATION 2] NULL). */
export function encodeUnbindRequest(messageId: number): Buffer {
  return envelope(messageId, 2, (out, at) => {
    out[at] = OP.unbindRequest;
    out[at + 1] = 0;
    return at + 2;
  });
}

/** A filter element with the placeholder's places marked: constructed, or octets split at them. */
type FilterNode =
  | { readonly tag: number; readonly children: readonly FilterNode[] }
  | { readonly tag: number; readonly parts: readonly Buffer[] };

function contentSize(node: FilterNode, valueLength: number): number {
  if ('parts' in node) {
    let size = (node.parts.length - 1) * valueLength;
    for (const part of node.parts) size += part.length;
    return size;
  }
  let size = 0;
  for (const child of node.children) size += tlvSize(contentSize(child, valueLength));
  return size;
}

function writeNode(out: Buffer, at: number, node: FilterNode, value: Buffer): number {
  out[at] = node.tag;
  let next = writeLength(out, at + 1, contentSize(node, value.length));
  if ('parts' in node) {
    node.parts.forEach((part, i) => {
      if (i > 0) next += value.copy(out, next);
      next += part.copy(out, next);
    });
    return next;
  }
  for (const child of node.children) next = writeNode(out, next, child, value);
  return next;
}

function splitAt(bytes: Buffer, placeholder: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(placeholder, from); at >= 0; at = bytes.indexOf(placeholder, from)) {
    parts.push(Buffer.from(bytes.subarray(from, at)));
    from = at + placeholder.length;
  }
  parts.push(Buffer.from(bytes.subarray(from)));
  return parts;
}

/** Any encoded Filter (RFC 4511 4.5.1.7) as a tree, by the constructed bit alone. */
function filterTree(reader: BerReader, placeholder: Buffer): FilterNode {
  const { tag, start, end } = reader.element();
  if ((tag & 0x20) !== 0) {
    const inner = new BerReader(reader.data, start, end);
    const children: FilterNode[] = [];
    while (!inner.done) children.push(filterTree(inner, placeholder));
    return { tag, children };
  }
  return { tag, parts: splitAt(reader.data.subarray(start, end), placeholder) };
}

function countPlaceholders(node: FilterNode): number {
  if ('parts' in node) return node.parts.length - 1;
  return node.children.reduce((sum, child) => sum + countPlaceholders(child), 0);
}

export interface SearchTemplateSpec {
  readonly baseDn: string;
  /** RFC 4511 4.5.1.2: 0 baseObject, 1 singleLevel, 2 wholeSubtree. */
  readonly scope: 0 | 1 | 2;
  /** RFC 4511 4.5.1.3: 0 neverDerefAliases .. 3 derefAlways. */
  readonly derefAliases: 0 | 1 | 2 | 3;
  readonly sizeLimit: number;
  /** Seconds. */
  readonly timeLimit: number;
  readonly typesOnly: boolean;
  /** One encoded Filter in which `placeholder` stands for the searched-for value. */
  readonly filter: Buffer;
  readonly placeholder: Buffer;
  /** Empty: every user attribute (RFC 4511 4.5.1.8). */
  readonly attributes: readonly string[];
}

/**
 * A SearchRequest encoded once; `encode` writes one per login with its own message ID and value.
 * Lengths are recomputed (a value's length changes every enclosing length), nothing is parsed.
 */
export class SearchRequestTemplate {
  private readonly head: Buffer;
  private readonly filter: FilterNode;
  private readonly tail: Buffer;
  /** How many times the value appears in the filter. */
  readonly placeholders: number;

  constructor(spec: SearchTemplateSpec) {
    if (spec.placeholder.length === 0) throw new Error('SearchRequestTemplate: empty placeholder');
    const parts = [
      tlv(TAG.octetString, Buffer.from(spec.baseDn, 'utf8')),
      integerTlv(TAG.enumerated, spec.scope),
      integerTlv(TAG.enumerated, spec.derefAliases),
      integerTlv(TAG.integer, spec.sizeLimit),
      integerTlv(TAG.integer, spec.timeLimit),
      Buffer.from([TAG.boolean, 1, spec.typesOnly ? 0xff : 0]),
    ];
    this.head = Buffer.concat(parts);
    const reader = new BerReader(spec.filter, 0, spec.filter.length);
    this.filter = filterTree(reader, spec.placeholder);
    if (!reader.done) throw new Error('SearchRequestTemplate: bytes after the filter');
    this.tail = tlv(
      TAG.sequence,
      Buffer.concat(spec.attributes.map((name) => tlv(TAG.octetString, Buffer.from(name, 'utf8')))),
    );
    this.placeholders = countPlaceholders(this.filter);
  }

  encode(messageId: number, value: Buffer): Buffer {
    const filterSize = tlvSize(contentSize(this.filter, value.length));
    const opContent = this.head.length + filterSize + this.tail.length;
    return envelope(messageId, tlvSize(opContent), (out, start) => {
      out[start] = OP.searchRequest;
      let at = writeLength(out, start + 1, opContent);
      at += this.head.copy(out, at);
      at = writeNode(out, at, this.filter, value);
      return at + this.tail.copy(out, at);
    });
  }
}

function integerTlv(tag: number, value: number): Buffer {
  const out = Buffer.allocUnsafe(2 + integerSize(value));
  writeInteger(out, 0, tag, value);
  return out;
}

/**
 * Where the LDAPMessage starting at `offset` ends, once its header is in `data[offset, end)`;
 * undefined while the header is incomplete. Throws LdapDecodeError for what cannot be LDAP.
 */
export function messageEnd(data: Buffer, offset: number, end: number): number | undefined {
  if (offset >= end) return undefined;
  if (data[offset] !== TAG.sequence) {
    throw new LdapDecodeError(
      'unexpected-tag',
      `LDAPMessage starts with 0x${(data[offset] ?? 0).toString(16)}`,
    );
  }
  const first = offset + 1 < end ? (data[offset + 1] ?? 0) : undefined;
  if (first === undefined) return undefined;
  const lengthOctets = first < 0x80 ? 0 : first & 0x7f;
  if (first === 0x80) throw new LdapDecodeError('indefinite-length');
  if (lengthOctets > 4) throw new LdapDecodeError('length-too-long', `${lengthOctets} length octets`);
  if (offset + 2 + lengthOctets > end) return undefined;
  let length = first < 0x80 ? first : 0;
  for (let i = 0; i < lengthOctets; i++) length = length * 256 + (data[offset + 2 + i] ?? 0);
  if (length > MAX_MESSAGE_OCTETS) throw new LdapDecodeError('message-too-long', `${length} octets`);
  return offset + 2 + lengthOctets + length;
}

function readResult(op: BerReader): LdapResult {
  const resultCode = op.integer(TAG.enumerated);
  const matchedDn = op.string();
  const diagnosticMessage = op.string();
  // referral [3] and, by operation, serverSaslCreds [7] or responseName/responseValue follow.
  return { resultCode, matchedDn, diagnosticMessage };
}

function readEntry(messageId: number, op: BerReader): LdapResponse {
  const dn = op.string();
  const list = op.sequence();
  const attributes: LdapAttribute[] = [];
  while (!list.done) {
    const attribute = list.sequence();
    const type = attribute.string();
    const set = attribute.sequence(TAG.set);
    const values: string[] = [];
    while (!set.done) values.push(set.string());
    attributes.push({ type, values });
  }
  return { kind: 'search-entry', messageId, dn, attributes };
}

function readExtended(messageId: number, op: BerReader): LdapResponse {
  const result = readResult(op);
  let responseName: string | undefined;
  while (!op.done) {
    if (op.peekTag() === 0x8a) responseName = op.string(0x8a);
    else op.skip();
  }
  return { kind: 'extended-response', messageId, result, responseName };
}

/** One whole LDAPMessage, `data[start, end)` as messageEnd delimited it. Throws LdapDecodeError. */
export function decodeLdapMessage(data: Buffer, start: number, end: number): LdapResponse {
  const message = new BerReader(data, start, end).sequence();
  const messageId = message.integer();
  if (messageId < 0) throw new LdapDecodeError('bad-integer', `messageID ${messageId}`);
  const tag = message.peekTag();
  // Controls ([0]) may follow the protocolOp; this client asks for none and ignores any.
  switch (tag) {
    case OP.bindResponse:
      return { kind: 'bind-response', messageId, result: readResult(message.sequence(tag)) };
    case OP.searchResultEntry:
      return readEntry(messageId, message.sequence(tag));
    case OP.searchResultDone:
      return { kind: 'search-done', messageId, result: readResult(message.sequence(tag)) };
    case OP.searchResultReference:
      message.skip();
      return { kind: 'search-reference', messageId };
    case OP.extendedResponse:
      return readExtended(messageId, message.sequence(tag));
    default:
      throw new LdapDecodeError('unsupported-operation', `protocolOp 0x${tag.toString(16)}`);
  }
}

/** decodeLdapMessage as a result: a closed failure code instead of a throw. */
export function tryDecodeLdapMessage(data: Buffer, start: number, end: number): LdapDecodeResult {
  try {
    return { ok: true, value: decodeLdapMessage(data, start, end) };
  } catch (error) {
    if (error instanceof LdapDecodeError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

export { LdapDecodeError, ldapDecodeFailureReasons, type LdapDecodeFailureCode };

/**
 * Cuts a TCP byte stream into whole LDAPMessages. Most chunks hold whole messages and are decoded
 * in place; only a message cut by a chunk boundary is copied, to be completed by the next chunk.
 */
export class LdapMessageFramer {
  private partial: Buffer | undefined;

  /** Every message completed by `chunk`, in order. Throws LdapDecodeError on a malformed one. */
  push(chunk: Buffer, onMessage: (response: LdapResponse) => void): void {
    let data = chunk;
    if (this.partial !== undefined) {
      data = Buffer.concat([this.partial, chunk]);
      this.partial = undefined;
    }
    let offset = 0;
    for (;;) {
      const end = messageEnd(data, offset, data.length);
      if (end === undefined || end > data.length) break;
      const response = decodeLdapMessage(data, offset, end);
      offset = end;
      onMessage(response);
    }
    // Copied: a view would pin the whole chunk until the message completes.
    if (offset < data.length) this.partial = Buffer.from(data.subarray(offset));
  }

  /** Octets held of a message not yet complete. */
  get pendingOctets(): number {
    return this.partial?.length ?? 0;
  }
}
