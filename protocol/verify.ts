import {
  ZERO_AUTHENTICATOR,
  verifyComputedRequestAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type Secret,
} from './authenticators.ts';
import {
  EAP_MESSAGE_TYPE,
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  PacketCode,
  hasComputedRequestAuthenticator,
  isRequestCode,
  packetCodeLabel,
} from './constants.ts';
import { fail, ok, type Result } from './decode-failures.ts';
import { decodePacket, type RadiusPacket } from './packet.ts';

export interface VerifyOptions {
  /** Refuse packets without Message-Authenticator (Blast-RADIUS mitigation, RFC 3579 / RFC 5997). */
  readonly requireMessageAuthenticator?: boolean;
  /**
   * Refuse Access-Requests that carry Proxy-State without Message-Authenticator: the Blast-RADIUS
   * forgery hides its collision blocks in Proxy-State (FreeRADIUS 3.2.5 `limit_proxy_state`).
   */
  readonly limitProxyState?: boolean;
}

/** Every passed check answers with this one object: callers only read it. */
const VERIFIED: Result<void> = ok(undefined);

function has(packet: RadiusPacket, type: number): boolean {
  // A loop, not some(): no closure per call on a path every request takes.
  for (const attr of packet.attributes) if (attr.type === type) return true;
  return false;
}

/** Checks that a packet is a request, then its authenticators against the client's shared secret. */
export function verifyRequest(
  bytes: Buffer,
  packet: RadiusPacket,
  secret: Secret,
  options: VerifyOptions = {},
): Result<void> {
  // A reply on a request socket has nothing a request check could verify (an unsigned Access-Accept
  // would pass every test below), so the code alone decides.
  if (!isRequestCode(packet.code)) {
    return fail('unexpected-code', `code ${packet.code} (${packetCodeLabel(packet.code)})`);
  }
  const hasMessageAuthenticator = has(packet, MESSAGE_AUTHENTICATOR_TYPE);
  const computed = hasComputedRequestAuthenticator(packet.code);
  if (!hasMessageAuthenticator) {
    // RFC 5997 3: Status-Server without Message-Authenticator is silently discarded.
    if (packet.code === PacketCode.StatusServer)
      return fail('message-authenticator-missing', 'Status-Server');
    if (has(packet, EAP_MESSAGE_TYPE)) return fail('eap-without-message-authenticator');
    if (options.requireMessageAuthenticator === true && packet.code === PacketCode.AccessRequest) {
      return fail('message-authenticator-missing');
    }
    if (
      options.limitProxyState === true &&
      packet.code === PacketCode.AccessRequest &&
      has(packet, PROXY_STATE_TYPE)
    ) {
      return fail('proxy-state-without-message-authenticator');
    }
  } else if (
    !verifyMessageAuthenticator(bytes, secret, computed ? ZERO_AUTHENTICATOR : packet.authenticator)
  ) {
    return fail('message-authenticator-invalid');
  }
  if (computed && !verifyComputedRequestAuthenticator(bytes, secret)) {
    return fail('authenticator-invalid', 'Request Authenticator');
  }
  return VERIFIED;
}

/** Checks a reply against the request it answers: Response Authenticator, then Message-Authenticator. */
export function verifyResponse(
  bytes: Buffer,
  packet: RadiusPacket,
  requestAuthenticator: Buffer,
  secret: Secret,
  options: VerifyOptions = {},
): Result<void> {
  if (!verifyResponseAuthenticator(bytes, secret, requestAuthenticator)) {
    return fail('authenticator-invalid', 'Response Authenticator');
  }
  if (has(packet, MESSAGE_AUTHENTICATOR_TYPE)) {
    if (!verifyMessageAuthenticator(bytes, secret, requestAuthenticator))
      return fail('message-authenticator-invalid');
  } else if (options.requireMessageAuthenticator === true || has(packet, EAP_MESSAGE_TYPE)) {
    return fail('message-authenticator-missing');
  }
  return ok(undefined);
}

/** Decode and verify in one step: the usual path for a datagram that arrived on a socket. */
export function decodeAndVerifyRequest(
  bytes: Buffer,
  secret: Secret,
  options: VerifyOptions = {},
): Result<RadiusPacket> {
  const decoded = decodePacket(bytes);
  if (!decoded.ok) return decoded;
  const verified = verifyRequest(bytes, decoded.value, secret, options);
  return verified.ok ? decoded : verified;
}
