// Hand-built datagrams for `packet` steps: protocol/'s buildRequest, Message-Authenticator first,
// last or absent, then the step's mutations; and what a reply to one says.
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  PacketCode,
  RADIUS_HEADER_LENGTH,
  applyMutations,
  buildRequest,
  decodeAttributes,
  decodePacket,
  defaultDictionary,
  findAttributes,
  packetCodeLabel,
  signComputedRequestAuthenticator,
  signMessageAuthenticator,
  verifyResponse,
  type AttributeInput,
  type DecodedAttribute,
  type Mutation,
} from '../../protocol/index.ts';
import type { PacketStep } from '../suites/schema.ts';
import { seeAttributes, type SeenAttribute } from './observations.ts';

const CODES = {
  'Access-Request': PacketCode.AccessRequest,
  'Accounting-Request': PacketCode.AccountingRequest,
  'Status-Server': PacketCode.StatusServer,
} as const;

export interface BuiltDatagram {
  readonly bytes: Buffer;
  readonly identifier: number;
  /** The Request Authenticator the reply is signed against (before any mutation). */
  readonly authenticator: Buffer;
  readonly code: number;
}

function toMutation(mutation: PacketStep['mutations'][number]): Mutation {
  if (mutation.kind === 'raw-attribute') {
    const hex = mutation.valueHex.startsWith('0x') ? mutation.valueHex.slice(2) : mutation.valueHex;
    return { kind: 'raw-attribute', type: mutation.type, value: Buffer.from(hex, 'hex') };
  }
  return mutation;
}

/** Appends a Message-Authenticator after the other attributes and signs it (the "last" placement). */
function withTrailingMessageAuthenticator(bytes: Buffer, code: number, secret: string): Buffer {
  const out = Buffer.concat([bytes, Buffer.from([MESSAGE_AUTHENTICATOR_TYPE, 18]), Buffer.alloc(16)]);
  out.writeUInt16BE(out.length, 2);
  if (code === PacketCode.AccountingRequest) {
    // Computed authenticators are signed last, over a zero field (RFC 2866 3, RFC 3579 3.2).
    out.fill(0, 4, RADIUS_HEADER_LENGTH);
    signMessageAuthenticator(out, secret, Buffer.alloc(16));
    signComputedRequestAuthenticator(out, secret);
  } else {
    signMessageAuthenticator(out, secret, out.subarray(4, RADIUS_HEADER_LENGTH));
  }
  return out;
}

export function buildPacket(
  step: Omit<PacketStep, 'attributes'> & { readonly attributes: readonly AttributeInput[] },
  secret: string,
  identifier: number,
  random: (size: number) => Buffer,
  portOf: (code: number) => 'auth' | 'acct' = () => 'auth',
): BuiltDatagram & { readonly port: 'auth' | 'acct' } {
  const code = CODES[step.code];
  const built = buildRequest({
    code,
    identifier,
    secret,
    attributes: step.attributes,
    messageAuthenticator: step.messageAuthenticator === 'first',
    random,
  });
  const signed =
    step.messageAuthenticator === 'last'
      ? withTrailingMessageAuthenticator(built.bytes, code, secret)
      : built.bytes;
  const authenticator = Buffer.from(signed.subarray(4, RADIUS_HEADER_LENGTH));
  const bytes = applyMutations(signed, step.mutations.map(toMutation));
  return { bytes, identifier, authenticator, code, port: step.port ?? portOf(code) };
}

export interface ReplyReading {
  readonly replyCode: string;
  readonly verified: boolean;
  readonly proxyStateEchoed: boolean;
  readonly messageAuthenticatorFirst: boolean;
  readonly attributes: readonly SeenAttribute[];
  /** The same attributes decoded (hidden ones revealed), for `fromReply`; never reported. */
  readonly decoded: readonly DecodedAttribute[];
}

/** What a reply to `request` says; undefined when it is not a RADIUS packet at all. */
export function readReply(reply: Buffer, request: BuiltDatagram, secret: string): ReplyReading | undefined {
  const decoded = decodePacket(reply);
  if (!decoded.ok) return undefined;
  const packet = decoded.value;
  const sentPacket = decodePacket(request.bytes);
  const sentProxyStates = sentPacket.ok ? findAttributes(sentPacket.value, PROXY_STATE_TYPE) : [];
  const echoed = findAttributes(packet, PROXY_STATE_TYPE);
  const proxyStateEchoed =
    echoed.length === sentProxyStates.length &&
    echoed.every((attribute, i) => sentProxyStates[i]?.value.equals(attribute.value) === true);
  let attributesDecoded: DecodedAttribute[] = [];
  try {
    attributesDecoded = decodeAttributes(
      packet.attributes,
      { secret, requestAuthenticator: request.authenticator },
      defaultDictionary,
    );
  } catch {
    attributesDecoded = [];
  }
  const attributes = seeAttributes(attributesDecoded);
  return {
    replyCode: packetCodeLabel(packet.code),
    verified: verifyResponse(reply, packet, request.authenticator, secret).ok,
    proxyStateEchoed,
    messageAuthenticatorFirst: packet.attributes[0]?.type === MESSAGE_AUTHENTICATOR_TYPE,
    attributes,
    decoded: attributesDecoded,
  };
}
