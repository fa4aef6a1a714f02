// Cheap request construction for load generation. buildRequest resolves every attribute through the
// dictionary on each call; at tens of thousands of requests per second on two shared cores that cost
// would make the client the bottleneck. Instead each distinct request is built once with buildRequest
// as a template, and each send only changes what must change: the Identifier, a fresh Request
// Authenticator (RFC 2865 3: unpredictable and unique), the User-Password hidden with it (RFC 2865
// 5.2) and the Message-Authenticator over the result (RFC 3579 3.2).
import { randomBytes } from 'node:crypto';
import { hideUserPassword } from '../protocol/auth/index.ts';
import {
  RADIUS_AUTHENTICATOR_LENGTH,
  RADIUS_HEADER_LENGTH,
  buildRequest,
  messageAuthenticatorOffset,
  signMessageAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type AttributeInput,
  type Secret,
} from '../protocol/index.ts';
import type { LoadRequest } from './udp-load.ts';

const USER_PASSWORD_TYPE = 2;
const MESSAGE_AUTHENTICATOR_LENGTH = 16;
/** Authenticators are cut from one random block at a time instead of one syscall per request. */
const AUTHENTICATORS_PER_BLOCK = 4096;

interface Template {
  readonly bytes: Buffer;
  readonly passwordOffset: number;
  readonly password?: string;
  readonly messageAuthenticatorOffset: number;
}

function valueOffset(bytes: Buffer, type: number): number {
  const length = bytes.readUInt16BE(2);
  for (let offset = RADIUS_HEADER_LENGTH; offset + 2 <= length;) {
    const attrLength = bytes[offset + 1] ?? 0;
    if (attrLength < 2) return -1;
    if (bytes[offset] === type) return offset + 2;
    offset += attrLength;
  }
  return -1;
}

export interface RequestFactoryOptions {
  readonly code: number;
  readonly secret: Secret;
  /** One attribute list per distinct request (e.g. one per user); requests cycle through them. */
  readonly variants: readonly (readonly AttributeInput[])[];
  /** Default true (Access-Request and Status-Server carry Message-Authenticator first). */
  readonly messageAuthenticator?: boolean;
}

export type RequestFactory = (identifier: number, sequence: number) => LoadRequest;

export function createRequestFactory(options: RequestFactoryOptions): RequestFactory {
  if (options.variants.length === 0) throw new Error('createRequestFactory: no request variants');
  const templates: Template[] = options.variants.map((attributes) => {
    const { bytes } = buildRequest({
      code: options.code,
      identifier: 0,
      attributes,
      secret: options.secret,
      authenticator: Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH),
      messageAuthenticator: options.messageAuthenticator ?? true,
    });
    const password = attributes.find((a) => a.name.toLowerCase() === 'user-password')?.value;
    if (password !== undefined && typeof password !== 'string') {
      throw new Error('createRequestFactory: give User-Password as a string');
    }
    return {
      bytes,
      passwordOffset: valueOffset(bytes, USER_PASSWORD_TYPE),
      ...(password !== undefined ? { password } : {}),
      messageAuthenticatorOffset: messageAuthenticatorOffset(bytes),
    };
  });
  let pool = randomBytes(RADIUS_AUTHENTICATOR_LENGTH * AUTHENTICATORS_PER_BLOCK);
  let poolIndex = 0;
  const nextAuthenticator = (): Buffer => {
    if (poolIndex === AUTHENTICATORS_PER_BLOCK) {
      pool = randomBytes(RADIUS_AUTHENTICATOR_LENGTH * AUTHENTICATORS_PER_BLOCK);
      poolIndex = 0;
    }
    const start = poolIndex++ * RADIUS_AUTHENTICATOR_LENGTH;
    return pool.subarray(start, start + RADIUS_AUTHENTICATOR_LENGTH);
  };
  return (identifier, sequence) => {
    const template = templates[sequence % templates.length];
    if (template === undefined) throw new Error('createRequestFactory: template index out of range');
    const bytes = Buffer.from(template.bytes);
    bytes[1] = identifier;
    const authenticator = nextAuthenticator();
    authenticator.copy(bytes, 4);
    if (template.password !== undefined && template.passwordOffset >= 0) {
      hideUserPassword(template.password, options.secret, authenticator).copy(bytes, template.passwordOffset);
    }
    const ma = template.messageAuthenticatorOffset;
    if (ma >= 0) {
      bytes.fill(0, ma, ma + MESSAGE_AUTHENTICATOR_LENGTH);
      signMessageAuthenticator(bytes, options.secret, authenticator);
    }
    return { bytes, authenticator };
  };
}

/**
 * Verifies a reply without decoding its attributes: the Length field, the Response Authenticator
 * (RFC 2865 3) and, when present, the Message-Authenticator (RFC 3579 3.2).
 */
export function replyVerifies(reply: Buffer, requestAuthenticator: Buffer, secret: Secret): boolean {
  if (reply.length < RADIUS_HEADER_LENGTH) return false;
  const length = reply.readUInt16BE(2);
  if (length < RADIUS_HEADER_LENGTH || length > reply.length) return false;
  if (!verifyResponseAuthenticator(reply, secret, requestAuthenticator)) return false;
  if (messageAuthenticatorOffset(reply) < 0) return true;
  return verifyMessageAuthenticator(reply, secret, requestAuthenticator);
}
