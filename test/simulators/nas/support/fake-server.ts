// A tiny RADIUS server for the NAS tests: PAP (with an optional OTP Access-Challenge), CHAP,
// MS-CHAPv2, EAP-MD5, EAP-MSCHAPv2, Status-Server and accounting, checked with protocol/auth, and a
// reply plan that drops or corrupts replies so retransmission behaviour can be observed.
import type { Clock } from '../../../../runtime/clock.ts';
import type { DatagramSocket, Endpoint, Transport } from '../../../../runtime/transport.ts';
import {
  EAP_MESSAGE_TYPE,
  PacketCode,
  attributeValue,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
  joinedValue,
  type AttributeInput,
  type DecodedAttribute,
  type RadiusPacket,
} from '../../../../protocol/index.ts';
import {
  EapCode,
  EapType,
  buildEapMsChapV2Request,
  buildMd5Challenge,
  buildMsChap2Success,
  buildMsChapError,
  decodeEap,
  decodeMsChapV2PeerMessage,
  eapFailure,
  eapMsChapV2Msk,
  eapSuccess,
  generateAuthenticatorResponse,
  mppeKeysFromMsk,
  msChapV2MppeKeys,
  ntPasswordHash,
  parseMsChap2Response,
  verifyChapPassword,
  verifyMd5Response,
  verifyNtResponse,
  type MppeKeys,
} from '../../../../protocol/auth/index.ts';

export interface FakeUser {
  readonly password: string;
  /** PAP only: after the password, an Access-Challenge asks for this code. */
  readonly otp?: string;
}

/** What to do with the n-th reply (0-based, counted over all requests). */
export type ReplyAction = 'send' | 'drop' | 'bad-authenticator' | 'bad-authenticator-then-send';

export interface ReceivedRequest {
  readonly at: number;
  readonly from: Endpoint;
  readonly data: Buffer;
  readonly packet: RadiusPacket;
  readonly attributes: readonly DecodedAttribute[];
}

export interface FakeServerOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly secret: string;
  readonly users: Readonly<Record<string, FakeUser>>;
  readonly address?: string;
  readonly replyPlan?: (index: number, request: RadiusPacket) => ReplyAction;
  /** Delay before each reply. */
  readonly replyDelayMs?: number;
  /** EAP type the server proposes first (a peer wanting another must Nak). Default: the peer's. */
  readonly eapFirstType?: number;
  /** Corrupt the MS-CHAP2-Success / EAP-MSCHAPv2 S= value (a server that does not know the password). */
  readonly badAuthenticatorResponse?: boolean;
  /** Send MS-MPPE keys other than the ones the password gives (MS-CHAPv2, EAP-MSCHAPv2). */
  readonly wrongMppeKeys?: boolean;
  /** Put Message-Authenticator in replies (default true; FreeRADIUS 3.2.1 does not). */
  readonly messageAuthenticator?: boolean;
  /** Reply attributes added to every Access-Accept. */
  readonly acceptAttributes?: readonly AttributeInput[];
}

interface EapSession {
  type: number;
  eapId: number;
  challenge: Buffer;
  msChapV2Id: number;
  user: string;
  ntResponse?: Buffer;
  succeeded?: boolean;
}

interface ReplySpec {
  readonly code: number;
  readonly attributes: AttributeInput[];
}

export interface FakeServer {
  readonly endpoint: Endpoint;
  readonly received: ReceivedRequest[];
  /** Replies actually put on the wire (after the plan). */
  readonly sent: { at: number; data: Buffer }[];
  close(): Promise<void>;
}

/** The keys to send: as derived, or with every octet inverted when the plan says wrong keys. */
function keysToSend(keys: MppeKeys, wrong: boolean | undefined): MppeKeys {
  if (wrong !== true) return keys;
  const invert = (key: Buffer): Buffer => Buffer.from(key.map((octet) => octet ^ 0xff));
  return { sendKey: invert(keys.sendKey), recvKey: invert(keys.recvKey) };
}

let saltCounter = 0;
/** Distinct salts for every salted attribute (RFC 2548 2.4.2 wants them unique per packet). */
function distinctRandom(size: number): Buffer {
  saltCounter = (saltCounter + 1) % 0x7fff;
  const out = Buffer.alloc(size);
  out.writeUInt16BE(saltCounter, 0);
  return out;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const socket: DatagramSocket = await options.transport.bind({
    address: options.address ?? '127.0.0.1',
    port: 0,
  });
  const received: ReceivedRequest[] = [];
  const sent: { at: number; data: Buffer }[] = [];
  const eapSessions = new Map<string, EapSession>();
  const otpPending = new Map<string, string>();
  let replyIndex = 0;
  let stateCounter = 0;
  const newState = (): Buffer => Buffer.from(`state-${++stateCounter}`);

  const text = (attrs: readonly DecodedAttribute[], name: string): string | undefined => {
    const value = attributeValue(attrs, name);
    return Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined;
  };
  const octets = (attrs: readonly DecodedAttribute[], name: string): Buffer | undefined => {
    const value = attributeValue(attrs, name);
    return Buffer.isBuffer(value) ? value : undefined;
  };
  const accept = (extra: AttributeInput[] = []): ReplySpec => ({
    code: PacketCode.AccessAccept,
    attributes: [...extra, ...(options.acceptAttributes ?? [])],
  });
  const reject = (extra: AttributeInput[] = []): ReplySpec => ({
    code: PacketCode.AccessReject,
    attributes: extra,
  });

  function handleMsChapV2(
    attrs: readonly DecodedAttribute[],
    user: string,
    known: FakeUser | undefined,
  ): ReplySpec {
    const challenge = octets(attrs, 'MS-CHAP-Challenge');
    const responseValue = octets(attrs, 'MS-CHAP2-Response');
    const parsed = responseValue === undefined ? undefined : parseMsChap2Response(responseValue);
    if (challenge === undefined || parsed === undefined || !parsed.ok || known === undefined) return reject();
    const ntHash = ntPasswordHash(known.password);
    const { ident, peerChallenge, ntResponse } = parsed.value;
    if (!verifyNtResponse(challenge, peerChallenge, user, ntHash, ntResponse)) {
      return reject([
        {
          name: 'MS-CHAP-Error',
          value: buildMsChapError(ident, { errorCode: 691, retry: false, message: 'bad password' }),
        },
      ]);
    }
    let s = generateAuthenticatorResponse(ntHash, ntResponse, peerChallenge, challenge, user);
    if (options.badAuthenticatorResponse === true) s = `S=${'0'.repeat(40)}`;
    const keys = keysToSend(msChapV2MppeKeys(ntHash, ntResponse), options.wrongMppeKeys);
    return accept([
      { name: 'MS-CHAP2-Success', value: buildMsChap2Success(ident, s) },
      { name: 'MS-MPPE-Send-Key', value: keys.sendKey },
      { name: 'MS-MPPE-Recv-Key', value: keys.recvKey },
    ]);
  }

  function eapChallenge(session: EapSession, state: Buffer): ReplySpec {
    session.eapId = (session.eapId + 1) % 256;
    const eap =
      session.type === EapType.Md5Challenge
        ? buildMd5Challenge(session.eapId, session.challenge, 'fake')
        : buildEapMsChapV2Request(session.eapId, {
            op: 'challenge',
            msChapV2Id: session.msChapV2Id,
            challenge: session.challenge,
            name: 'fake',
          });
    return {
      code: PacketCode.AccessChallenge,
      attributes: [
        { name: 'EAP-Message', value: eap },
        { name: 'State', value: state },
      ],
    };
  }

  function handleEap(packet: RadiusPacket, attrs: readonly DecodedAttribute[], user: string): ReplySpec {
    const message = joinedValue(packet.attributes, EAP_MESSAGE_TYPE) ?? Buffer.alloc(0);
    const decoded = decodeEap(message);
    if (!decoded.ok || decoded.value.code !== EapCode.Response) return reject();
    const eap = decoded.value;
    const known = options.users[user];
    const stateValue = octets(attrs, 'State');
    if (eap.type === EapType.Identity) {
      const state = newState();
      const session: EapSession = {
        type: options.eapFirstType ?? EapType.Md5Challenge,
        eapId: eap.identifier,
        challenge: Buffer.alloc(16, 0x42),
        msChapV2Id: 7,
        user,
      };
      eapSessions.set(state.toString(), session);
      return eapChallenge(session, state);
    }
    const session = stateValue === undefined ? undefined : eapSessions.get(stateValue.toString());
    if (session === undefined || stateValue === undefined || known === undefined) {
      return reject([{ name: 'EAP-Message', value: eapFailure(eap.identifier) }]);
    }
    if (eap.type === EapType.Nak) {
      session.type = eap.typeData[0] ?? 0;
      if (session.type !== EapType.Md5Challenge && session.type !== EapType.MsChapV2) {
        return reject([{ name: 'EAP-Message', value: eapFailure(eap.identifier) }]);
      }
      return eapChallenge(session, stateValue);
    }
    if (eap.type === EapType.Md5Challenge) {
      const good = verifyMd5Response(eap.typeData, eap.identifier, known.password, session.challenge);
      return good
        ? accept([{ name: 'EAP-Message', value: eapSuccess(eap.identifier) }])
        : reject([{ name: 'EAP-Message', value: eapFailure(eap.identifier) }]);
    }
    const peer = decodeMsChapV2PeerMessage(eap.typeData);
    if (!peer.ok) return reject([{ name: 'EAP-Message', value: eapFailure(eap.identifier) }]);
    const ntHash = ntPasswordHash(known.password);
    if (peer.value.op === 'response') {
      const { peerChallenge, ntResponse } = peer.value;
      session.eapId = (session.eapId + 1) % 256;
      if (!verifyNtResponse(session.challenge, peerChallenge, user, ntHash, ntResponse)) {
        const failure = buildEapMsChapV2Request(session.eapId, {
          op: 'failure',
          msChapV2Id: session.msChapV2Id,
          error: { errorCode: 691, retry: false, message: 'bad password' },
        });
        return {
          code: PacketCode.AccessChallenge,
          attributes: [
            { name: 'EAP-Message', value: failure },
            { name: 'State', value: stateValue },
          ],
        };
      }
      session.ntResponse = ntResponse;
      let s = generateAuthenticatorResponse(ntHash, ntResponse, peerChallenge, session.challenge, user);
      if (options.badAuthenticatorResponse === true) s = `S=${'F'.repeat(40)}`;
      const success = buildEapMsChapV2Request(session.eapId, {
        op: 'success',
        msChapV2Id: session.msChapV2Id,
        authenticatorResponse: s,
        message: 'welcome',
      });
      return {
        code: PacketCode.AccessChallenge,
        attributes: [
          { name: 'EAP-Message', value: success },
          { name: 'State', value: stateValue },
        ],
      };
    }
    if (peer.value.op === 'success-ack' && session.ntResponse !== undefined) {
      const keys = keysToSend(
        mppeKeysFromMsk(eapMsChapV2Msk(ntHash, session.ntResponse)),
        options.wrongMppeKeys,
      );
      return accept([
        { name: 'EAP-Message', value: eapSuccess(eap.identifier) },
        { name: 'MS-MPPE-Send-Key', value: keys.sendKey },
        { name: 'MS-MPPE-Recv-Key', value: keys.recvKey },
      ]);
    }
    return reject([{ name: 'EAP-Message', value: eapFailure(eap.identifier) }]);
  }

  function handleAccess(packet: RadiusPacket, attrs: readonly DecodedAttribute[]): ReplySpec {
    const user = text(attrs, 'User-Name') ?? '';
    const known = options.users[user];
    if (octets(attrs, 'EAP-Message') !== undefined) return handleEap(packet, attrs, user);
    const password = octets(attrs, 'User-Password')?.toString('utf8');
    const state = octets(attrs, 'State');
    if (state !== undefined && password !== undefined) {
      const expected = otpPending.get(state.toString());
      otpPending.delete(state.toString());
      return expected !== undefined && password === expected
        ? accept()
        : reject([{ name: 'Reply-Message', value: 'wrong code' }]);
    }
    if (password !== undefined) {
      if (known === undefined || password !== known.password)
        return reject([{ name: 'Reply-Message', value: 'bad password' }]);
      if (known.otp !== undefined) {
        const next = newState();
        otpPending.set(next.toString(), known.otp);
        return {
          code: PacketCode.AccessChallenge,
          attributes: [
            { name: 'Reply-Message', value: 'Enter your verification code' },
            { name: 'State', value: next },
          ],
        };
      }
      return accept([{ name: 'Reply-Message', value: `hello ${user}` }]);
    }
    const chapPassword = octets(attrs, 'CHAP-Password');
    if (chapPassword !== undefined) {
      const challenge = octets(attrs, 'CHAP-Challenge') ?? packet.authenticator;
      return known !== undefined && verifyChapPassword(chapPassword, challenge, known.password)
        ? accept()
        : reject();
    }
    if (octets(attrs, 'MS-CHAP2-Response') !== undefined) return handleMsChapV2(attrs, user, known);
    return reject();
  }

  function respond(packet: RadiusPacket, spec: ReplySpec, to: Endpoint): void {
    const built = buildResponse({
      code: spec.code,
      request: packet,
      attributes: spec.attributes,
      secret: options.secret,
      random: distinctRandom,
      messageAuthenticator: options.messageAuthenticator ?? true,
    });
    const action = options.replyPlan?.(replyIndex, packet) ?? 'send';
    replyIndex++;
    const corrupt = (): Buffer => {
      const bad = Buffer.from(built.bytes);
      bad[4] = (bad[4] ?? 0) ^ 0xff;
      return bad;
    };
    const datagrams =
      action === 'drop'
        ? []
        : action === 'bad-authenticator'
          ? [corrupt()]
          : action === 'bad-authenticator-then-send'
            ? [corrupt(), built.bytes]
            : [built.bytes];
    const transmit = (): void => {
      for (const data of datagrams) {
        sent.push({ at: options.clock.now(), data });
        socket.send(data, to).catch(() => undefined);
      }
    };
    if (options.replyDelayMs !== undefined && options.replyDelayMs > 0)
      options.clock.setTimeout(transmit, options.replyDelayMs);
    else transmit();
  }

  socket.onMessage((data, from) => {
    const decoded = decodeAndVerifyRequest(data, options.secret);
    if (!decoded.ok) return;
    const packet = decoded.value;
    const attrs = decodeAttributes(packet.attributes, {
      secret: options.secret,
      requestAuthenticator: packet.authenticator,
    });
    received.push({ at: options.clock.now(), from, data: Buffer.from(data), packet, attributes: attrs });
    switch (packet.code) {
      case PacketCode.AccessRequest:
        respond(packet, handleAccess(packet, attrs), from);
        return;
      case PacketCode.StatusServer:
        respond(
          packet,
          { code: PacketCode.AccessAccept, attributes: [{ name: 'Reply-Message', value: 'alive' }] },
          from,
        );
        return;
      case PacketCode.AccountingRequest:
        respond(packet, { code: PacketCode.AccountingResponse, attributes: [] }, from);
        return;
      default:
        return;
    }
  });

  return {
    endpoint: socket.local,
    received,
    sent,
    close: () => socket.close(),
  };
}
