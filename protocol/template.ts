// Request building and reply checking for the load path, where one process sends tens of thousands
// of requests per second and each microsecond is a share of a core the server under test also needs.
//
// A RequestTemplate is built once with buildRequest (dictionary lookups, value encoding, framing)
// per distinct request (e.g. one per user); each send copies the template and changes only what
// must change: the Identifier, a fresh Request Authenticator (RFC 2865 3: unpredictable and unique),
// the User-Password hidden with it (RFC 2865 5.2), the Message-Authenticator over the result
// (RFC 3579 3.2), and for Accounting-Request the computed Request Authenticator (RFC 2866 3).
//
// checkReply is decodePacket + verifyResponse without building the packet: the same checks, in the
// same order, with the same failure codes, and no allocation (test/protocol/template.test.ts checks
// it against the two on random and damaged replies).
import type { AttributeInput } from './attributes.ts';
import {
  ZERO_AUTHENTICATOR,
  messageAuthenticatorOffset,
  signComputedRequestAuthenticator,
  secretOctets,
  signMessageAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type Secret,
} from './authenticators.ts';
import { buildRequest } from './build.ts';
import {
  ATTRIBUTE_HEADER_LENGTH,
  EAP_MESSAGE_TYPE,
  MESSAGE_AUTHENTICATOR_LENGTH,
  MESSAGE_AUTHENTICATOR_TYPE,
  PacketCode,
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_PACKET_LENGTH,
  hasComputedRequestAuthenticator,
  isKnownPacketCode,
} from './constants.ts';
import type { DecodeFailureCode } from './decode-failures.ts';
import type { Dictionary } from './dictionary/dictionary.ts';
import { md5SecretBlockInto, messageAuthenticatorMatches, signMessageAuthenticatorInPlace } from './md5.ts';
import { pooledRandomBytes, pooledRandomFill } from './random.ts';

const USER_PASSWORD_TYPE = 2;

interface Variant {
  readonly bytes: Buffer;
  /** Offset of the User-Password value, or -1. */
  readonly passwordOffset: number;
  /** The password NUL-padded to whole 16-octet blocks (RFC 2865 5.2), or undefined. */
  readonly password: Buffer | undefined;
  readonly messageAuthenticatorOffset: number;
}

export interface RequestTemplateOptions {
  readonly code: number;
  readonly secret: Secret;
  /** One attribute list per distinct request (e.g. one per user); sends pick one by index. */
  readonly variants: readonly (readonly AttributeInput[])[];
  /** As buildRequest: defaults to true for Access-Request and Status-Server. */
  readonly messageAuthenticator?: boolean;
  readonly dictionary?: Dictionary;
  /** Source of Request Authenticators; default a pooled CSPRNG (protocol/random.ts). */
  readonly random?: (size: number) => Buffer;
}

export interface RequestTemplate {
  readonly code: number;
  readonly secret: Secret;
  readonly variantCount: number;
  /**
   * A signed request from variant `variant % variantCount`, with this Identifier and a fresh
   * authenticator; the Request Authenticator is octets 4..20 of the result.
   */
  instantiate(identifier: number, variant: number): Buffer;
}

export class RequestTemplateError extends Error {
  readonly code = 'RADMFA_REQUEST_TEMPLATE';
}

function valueOffset(bytes: Buffer, type: number): number {
  const length = bytes.readUInt16BE(2);
  for (let offset = RADIUS_HEADER_LENGTH; offset + 2 <= length;) {
    const attrLength = bytes[offset + 1] as number;
    if (attrLength < 2) return -1;
    if (bytes[offset] === type) return offset + 2;
    offset += attrLength;
  }
  return -1;
}

function passwordOf(attributes: readonly AttributeInput[]): Buffer | undefined {
  const inputs = attributes.filter((input) => input.name.toLowerCase() === 'user-password');
  if (inputs.length > 1) throw new RequestTemplateError('a variant has more than one User-Password');
  const value = inputs[0]?.value;
  if (value === undefined) return undefined;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  throw new RequestTemplateError('give User-Password as a string or a Buffer');
}

export function createRequestTemplate(options: RequestTemplateOptions): RequestTemplate {
  if (options.variants.length === 0) throw new RequestTemplateError('a request template needs a variant');
  const computed = hasComputedRequestAuthenticator(options.code);
  const variants: Variant[] = options.variants.map((attributes) => {
    const { bytes } = buildRequest({
      code: options.code,
      identifier: 0,
      attributes,
      secret: options.secret,
      authenticator: Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH),
      ...(options.messageAuthenticator !== undefined
        ? { messageAuthenticator: options.messageAuthenticator }
        : {}),
      ...(options.dictionary !== undefined ? { dictionary: options.dictionary } : {}),
    });
    const password = computed ? undefined : paddedPassword(passwordOf(attributes));
    const passwordOffset = password === undefined ? -1 : valueOffset(bytes, USER_PASSWORD_TYPE);
    if (password !== undefined && passwordOffset >= 0 && bytes[passwordOffset - 1] !== password.length + 2) {
      throw new RequestTemplateError('the encoded User-Password does not have the padded length');
    }
    return {
      bytes,
      passwordOffset,
      password,
      messageAuthenticatorOffset: messageAuthenticatorOffset(bytes),
    };
  });
  // The default source writes into the datagram; an injected one (tests) is called as given.
  const random = options.random ?? pooledRandomBytes;
  const { secret } = options;
  const secretKey = secretOctets(secret);
  return {
    code: options.code,
    secret,
    variantCount: variants.length,
    instantiate(identifier, variant) {
      const template = variants[variant % variants.length];
      if (template === undefined) throw new RequestTemplateError(`no variant ${variant}`);
      if (!(identifier >= 0 && identifier <= 255 && Number.isInteger(identifier))) {
        throw new RangeError(`an Identifier is one octet (0..255), got ${identifier}`);
      }
      const bytes = Buffer.allocUnsafe(template.bytes.length);
      bytes.set(template.bytes);
      bytes[1] = identifier;
      const ma = template.messageAuthenticatorOffset;
      if (computed) {
        // RFC 2866 3 / RFC 5176 2.3: Message-Authenticator over a zero field, then the MD5.
        ZERO_AUTHENTICATOR.copy(bytes, 4);
        if (ma >= 0) signMessageAuthenticator(bytes, secret, ZERO_AUTHENTICATOR);
        signComputedRequestAuthenticator(bytes, secret);
        return bytes;
      }
      if (random === pooledRandomBytes) pooledRandomFill(bytes, 4, RADIUS_AUTHENTICATOR_LENGTH);
      else random(RADIUS_AUTHENTICATOR_LENGTH).copy(bytes, 4);
      if (template.password !== undefined && template.passwordOffset >= 0) {
        hidePasswordInPlace(bytes, template.passwordOffset, template.password, secretKey);
      }
      if (ma >= 0) signMessageAuthenticatorInPlace(bytes, secret, ma);
      return bytes;
    },
  };
}

/** RFC 2865 5.2: NUL-padded to a multiple of 16 octets, at least one block, at most 128 octets. */
function paddedPassword(password: Buffer | undefined): Buffer | undefined {
  if (password === undefined) return undefined;
  if (password.length > 128) {
    throw new RequestTemplateError(
      `User-Password holds at most 128 octets (RFC 2865 5.2), got ${password.length}`,
    );
  }
  const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(padded);
  return padded;
}

const keystream = new Uint8Array(16);

/**
 * RFC 2865 5.2 in the datagram itself: c(1) = p(1) xor MD5(S + RA), c(i) = p(i) xor MD5(S + c(i-1)),
 * with RA read from octets 4..20 and each c(i-1) from the value just written.
 */
function hidePasswordInPlace(bytes: Buffer, offset: number, padded: Buffer, secret: Uint8Array): void {
  let previous = 4;
  for (let block = 0; block < padded.length; block += 16) {
    md5SecretBlockInto(secret, bytes, previous, keystream, 0);
    const at = offset + block;
    for (let i = 0; i < 16; i++) bytes[at + i] = (padded[block + i] as number) ^ (keystream[i] as number);
    previous = at;
  }
}

export type ReplyCheck = 'ok' | DecodeFailureCode;

export interface ReplyCheckOptions {
  /** Refuse replies without Message-Authenticator (Blast-RADIUS hardening). */
  readonly requireMessageAuthenticator?: boolean;
}

/**
 * The checks of decodePacket then verifyResponse on a reply to a request whose authenticator is
 * `requestAuthenticator`: structure, Response Authenticator, Message-Authenticator. Returns the
 * failure code either would have returned, or 'ok'.
 */
export function checkReply(
  reply: Buffer,
  requestAuthenticator: Buffer,
  secret: Secret,
  options: ReplyCheckOptions = {},
): ReplyCheck {
  if (reply.length < RADIUS_HEADER_LENGTH) return 'too-short';
  const length = ((reply[2] as number) << 8) | (reply[3] as number);
  if (length > RADIUS_MAX_PACKET_LENGTH) return 'too-long';
  if (length < RADIUS_HEADER_LENGTH || length > reply.length) return 'length-mismatch';
  if (!isKnownPacketCode(reply[0] as number)) return 'unknown-code';
  let messageAuthenticatorAt = -1;
  let hasEap = false;
  for (let offset = RADIUS_HEADER_LENGTH; offset < length;) {
    if (offset + ATTRIBUTE_HEADER_LENGTH > length) return 'attribute-truncated';
    const type = reply[offset] as number;
    const attrLength = reply[offset + 1] as number;
    if (attrLength < ATTRIBUTE_HEADER_LENGTH) return 'attribute-length-invalid';
    if (offset + attrLength > length) return 'attribute-truncated';
    if (type === MESSAGE_AUTHENTICATOR_TYPE) {
      if (attrLength - ATTRIBUTE_HEADER_LENGTH !== MESSAGE_AUTHENTICATOR_LENGTH) {
        return 'message-authenticator-length';
      }
      if (messageAuthenticatorAt >= 0) return 'message-authenticator-duplicated';
      messageAuthenticatorAt = offset + ATTRIBUTE_HEADER_LENGTH;
    } else if (type === EAP_MESSAGE_TYPE) {
      hasEap = true;
    }
    offset += attrLength;
  }
  if (!verifyResponseAuthenticator(reply, secret, requestAuthenticator)) return 'authenticator-invalid';
  if (messageAuthenticatorAt >= 0) {
    // The walk above found the one value and checked the lengths: hash it where it is.
    const valid =
      requestAuthenticator.length === RADIUS_AUTHENTICATOR_LENGTH
        ? messageAuthenticatorMatches(reply, secret, requestAuthenticator, messageAuthenticatorAt)
        : verifyMessageAuthenticator(reply, secret, requestAuthenticator);
    if (!valid) return 'message-authenticator-invalid';
  } else if (options.requireMessageAuthenticator === true || hasEap) {
    return 'message-authenticator-missing';
  }
  return 'ok';
}

/** The reply codes that answer a request code (RFC 2865 4, RFC 2866 4, RFC 5997 3, RFC 5176 3). */
export function answersRequest(requestCode: number, replyCode: number): boolean {
  switch (requestCode) {
    case PacketCode.AccessRequest:
      return (
        replyCode === PacketCode.AccessAccept ||
        replyCode === PacketCode.AccessReject ||
        replyCode === PacketCode.AccessChallenge
      );
    case PacketCode.AccountingRequest:
      return replyCode === PacketCode.AccountingResponse;
    case PacketCode.StatusServer:
      return replyCode === PacketCode.AccessAccept || replyCode === PacketCode.AccountingResponse;
    case PacketCode.CoARequest:
      return replyCode === PacketCode.CoAAck || replyCode === PacketCode.CoANak;
    case PacketCode.DisconnectRequest:
      return replyCode === PacketCode.DisconnectAck || replyCode === PacketCode.DisconnectNak;
    default:
      return false;
  }
}
