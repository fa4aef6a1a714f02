// What a login that waits (on MFA: up to a minute, thousands at once) keeps of its request. Its
// answer needs the Request Authenticator, Proxy-State to echo (RFC 2865 5.33), and whether
// EAP-Message and Message-Authenticator were present, which decide whether the answer is signed
// (reply-habits.ts); its duplicate-cache entry is completed with the same key. Every value kept is
// a copy: a view into the datagram kept the whole datagram (and its decoded views) for the wait.
import {
  EAP_MESSAGE_TYPE,
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  type RadiusPacket,
  type RawAttribute,
} from '../protocol/index.ts';
import type { DuplicateKeyParts } from './duplicates/index.ts';

const EMPTY = Buffer.alloc(0);
const NO_ATTRIBUTES: readonly RawAttribute[] = [];

/** Attributes whose presence alone the answer reads: one shared stand-in each, no copy. */
const PRESENCE_ONLY: ReadonlyMap<number, RawAttribute> = new Map([
  [EAP_MESSAGE_TYPE, { type: EAP_MESSAGE_TYPE, value: EMPTY }],
  [MESSAGE_AUTHENTICATOR_TYPE, { type: MESSAGE_AUTHENTICATOR_TYPE, value: EMPTY }],
]);

/** The request as the waiting login keeps it, with `authenticator` (a copy) as its authenticator. */
export function waitingPacket(packet: RadiusPacket, authenticator: Buffer): RadiusPacket {
  let kept: RawAttribute[] | undefined;
  for (const attribute of packet.attributes) {
    const standIn = PRESENCE_ONLY.get(attribute.type);
    if (standIn !== undefined) (kept ??= []).push(standIn);
    else if (attribute.type === PROXY_STATE_TYPE)
      (kept ??= []).push({ type: PROXY_STATE_TYPE, value: Buffer.from(attribute.value) });
  }
  return {
    code: packet.code,
    identifier: packet.identifier,
    authenticator,
    attributes: kept ?? NO_ATTRIBUTES,
  };
}

/**
 * The duplicate key the waiting login completes its entry with: the same key, on `authenticator`
 * (a copy), with the password copied only when the profile keys on credentials (`duo`).
 */
export function waitingKey(
  key: DuplicateKeyParts,
  authenticator: Buffer,
  keyIncludesCredentials: boolean,
): DuplicateKeyParts {
  const password = key.userPassword;
  return {
    clientAddress: key.clientAddress,
    clientPort: key.clientPort,
    identifier: key.identifier,
    requestAuthenticator: authenticator,
    userName: key.userName,
    userPassword:
      !keyIncludesCredentials || password === undefined
        ? undefined
        : typeof password === 'string'
          ? password
          : Buffer.from(password),
  };
}
