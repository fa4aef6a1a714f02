import { afterEach, describe, expect, it } from 'vitest';
import {
  EapCode,
  EapType,
  buildEapMsChapV2Response,
  buildMd5Response,
  checkAuthenticatorResponse,
  decodeEap,
  decodeMsChapV2ServerMessage,
  decryptMppeKey,
  eapIdentityResponse,
  eapMsChapV2Msk,
  eapNak,
  generateNtResponse,
  ntPasswordHash,
  parseMd5TypeData,
  type EapPacket,
} from '../../../protocol/auth/index.ts';
import {
  EAP_MESSAGE_TYPE,
  PacketCode,
  attributeValue,
  joinedValue,
  type AttributeInput,
} from '../../../protocol/index.ts';
import { RadiusTestClient, settle, type RadiusReply } from '../../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startServerFixture, type ServerFixture } from './fixture.ts';

const PASSWORD = 'correct horse';

interface Round {
  readonly reply: RadiusReply;
  readonly eap: EapPacket;
  readonly state?: Buffer;
  readonly requestAuthenticator: Buffer;
}

interface Fixture extends ServerFixture {
  round(eap: Buffer, state?: Buffer, userName?: string): Promise<Round>;
  /** The same, from another NAS address (its own socket). */
  roundsFrom(address: string): Promise<(eap: Buffer, state?: Buffer, userName?: string) => Promise<Round>>;
}

afterEach(closeServerFixtures);

async function start(config: Record<string, unknown> = {}): Promise<Fixture> {
  const f = await startServerFixture({
    users: [
      { name: 'alice', password: PASSWORD, groups: ['VPN-Users'] },
      { name: 'locked', password: PASSWORD, state: 'locked' },
    ],
    config,
  });
  const roundsOf =
    (c: RadiusTestClient) =>
    async (eap: Buffer, state?: Buffer, userName = 'alice'): Promise<Round> => {
      const attributes: AttributeInput[] = [
        { name: 'User-Name', value: userName },
        { name: 'EAP-Message', value: eap },
        ...(state !== undefined ? [{ name: 'State', value: state }] : []),
      ];
      const request = c.accessRequest(attributes);
      const reply = await settle(f.clock, c.exchange(request));
      if (reply === undefined) throw new Error('no reply');
      expect(reply.verified.ok).toBe(true);
      expect(reply.messageAuthenticatorFirst).toBe(true);
      const joined = joinedValue(reply.packet.attributes, EAP_MESSAGE_TYPE);
      if (joined === undefined) throw new Error('reply without EAP-Message');
      const decoded = decodeEap(joined);
      if (!decoded.ok) throw new Error(decoded.message);
      const replyState = attributeValue(reply.attributes, 'State');
      return {
        reply,
        eap: decoded.value,
        requestAuthenticator: request.packet.authenticator,
        ...(Buffer.isBuffer(replyState) ? { state: replyState } : {}),
      };
    };
  return {
    ...f,
    round: roundsOf(f.client),
    async roundsFrom(address) {
      return roundsOf(await f.clientAt(address));
    },
  };
}

function expectRequest(round: Round, type: number): { identifier: number; typeData: Buffer; state: Buffer } {
  expect(round.reply.packet.code).toBe(PacketCode.AccessChallenge);
  const { eap, state } = round;
  if (eap.code !== EapCode.Request) throw new Error(`expected an EAP-Request, got code ${eap.code}`);
  expect(eap.type).toBe(type);
  if (state === undefined) throw new Error('Access-Challenge without State');
  return { identifier: eap.identifier, typeData: eap.typeData, state };
}

/** Identity, then an MD5-Challenge (the server's first proposal, as FreeRADIUS's default). */
async function md5Challenge(f: Fixture, userName = 'alice') {
  const identity = await f.round(eapIdentityResponse(0, userName), undefined, userName);
  const request = expectRequest(identity, EapType.Md5Challenge);
  const md5 = parseMd5TypeData(request.typeData);
  if (!md5.ok) throw new Error(md5.message);
  return { ...request, challenge: md5.value.value };
}

describe('EAP-MD5 through the server', () => {
  it('Identity -> MD5-Challenge with State -> Response -> Access-Accept with EAP-Success', async () => {
    const f = await start();
    const challenge = await md5Challenge(f);
    expect(challenge.identifier).toBe(1);
    expect(challenge.state.length).toBeGreaterThan(0);

    const done = await f.round(
      buildMd5Response(challenge.identifier, PASSWORD, challenge.challenge),
      challenge.state,
    );
    expect(done.reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(done.eap.code).toBe(EapCode.Success);
    // RFC 3748 4.2: Success carries the Identifier of the Response it answers.
    expect(done.eap.identifier).toBe(challenge.identifier);
    // EAP-MD5 derives no keys.
    expect(attributeValue(done.reply.attributes, 'MS-MPPE-Send-Key')).toBeUndefined();
    expect(f.access.map((event) => [event.outcome, event.reason])).toEqual([
      ['challenge', 'eap-md5-challenge'],
      ['accept', 'primary-ok'],
    ]);
    expect(f.access[1]?.method).toBe('eap-md5');
  });

  it('a wrong password gets Access-Reject with EAP-Failure', async () => {
    const f = await start();
    const challenge = await md5Challenge(f);
    const done = await f.round(
      buildMd5Response(challenge.identifier, 'wrong', challenge.challenge),
      challenge.state,
    );
    expect(done.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(done.eap.code).toBe(EapCode.Failure);
    expect(done.eap.identifier).toBe(challenge.identifier);
    expect(f.access[1]?.reason).toBe('wrong-password');
  });

  it('a locked account is rejected with EAP-Failure and its reason', async () => {
    const f = await start();
    const challenge = await md5Challenge(f, 'locked');
    const done = await f.round(
      buildMd5Response(challenge.identifier, PASSWORD, challenge.challenge),
      challenge.state,
      'locked',
    );
    expect(done.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(done.eap.code).toBe(EapCode.Failure);
    expect(f.access[1]?.reason).toBe('account-locked');
  });

  it('a replayed State (already used) and an unknown State are rejected with EAP-Failure', async () => {
    const f = await start();
    const challenge = await md5Challenge(f);
    const response = buildMd5Response(challenge.identifier, PASSWORD, challenge.challenge);
    expect((await f.round(response, challenge.state)).reply.packet.code).toBe(PacketCode.AccessAccept);

    // A new packet (new authenticator, so not a retransmission) carrying the spent State.
    const replayed = await f.round(response, challenge.state);
    expect(replayed.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(replayed.eap.code).toBe(EapCode.Failure);

    const unknown = await f.round(response, Buffer.from('00000000000000000000000000000000', 'hex'));
    expect(unknown.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(unknown.eap.code).toBe(EapCode.Failure);
    // RFC 3748 4.2: the Failure answers this Response, so it carries its Identifier.
    expect(unknown.eap.identifier).toBe(challenge.identifier);
    expect(f.access.slice(2).map((event) => event.reason)).toEqual([
      'unknown-or-expired-state',
      'unknown-or-expired-state',
    ]);
  });

  it('a State handed to one NAS is refused from another NAS (even one with the same secret)', async () => {
    const f = await start({
      clients: [
        { name: 'vpn', address: '127.0.0.1', secret: SECRET },
        { name: 'other-vpn', address: '127.0.0.2', secret: SECRET },
      ],
    });
    const challenge = await md5Challenge(f);
    const fromOther = await f.roundsFrom('127.0.0.2');
    const response = buildMd5Response(challenge.identifier, PASSWORD, challenge.challenge);
    const stolen = await fromOther(response, challenge.state);
    expect(stolen.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(stolen.eap.code).toBe(EapCode.Failure);
    expect(f.access.at(-1)).toMatchObject({
      outcome: 'reject',
      reason: 'state-from-another-client',
      client: 'other-vpn',
    });
  });

  it('a State older than the challenge lifetime has expired', async () => {
    const f = await start();
    const challenge = await md5Challenge(f);
    await f.clock.advance(180_000);
    const late = await f.round(
      buildMd5Response(challenge.identifier, PASSWORD, challenge.challenge),
      challenge.state,
    );
    expect(late.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access[1]?.reason).toBe('unknown-or-expired-state');
  });

  it('EAP-Start (an empty EAP-Message) is answered with EAP-Request/Identity, and the login goes on', async () => {
    const f = await start();
    const started = await f.round(Buffer.alloc(0));
    expect(started.reply.packet.code).toBe(PacketCode.AccessChallenge);
    expect(started.eap).toMatchObject({ code: EapCode.Request, identifier: 0, type: EapType.Identity });
    const identity = await f.round(eapIdentityResponse(0, 'alice'), started.state);
    const challenge = expectRequest(identity, EapType.Md5Challenge);
    expect(challenge.identifier).toBe(1);
  });

  it('an EAP conversation that does not start with Identity is refused', async () => {
    const f = await start();
    const done = await f.round(buildMd5Response(0, PASSWORD, Buffer.alloc(16)));
    expect(done.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(done.eap.code).toBe(EapCode.Failure);
    expect(f.access[0]?.reason).toBe('eap-expected-identity');
  });
});

describe('EAP-MSCHAPv2 through the server', () => {
  async function msChapV2Login(f: Fixture, password: string) {
    const md5 = await md5Challenge(f);
    // RFC 3748 5.3.1: the peer refuses MD5 and asks for EAP-MSCHAPv2 (26).
    const nak = await f.round(eapNak(md5.identifier, [EapType.MsChapV2]), md5.state);
    const request = expectRequest(nak, EapType.MsChapV2);
    expect(request.identifier).toBe(md5.identifier + 1);
    const message = decodeMsChapV2ServerMessage(request.typeData);
    if (!message.ok || message.value.op !== 'challenge') throw new Error('expected an MSCHAPv2 Challenge');
    const authChallenge = message.value.challenge;
    const peerChallenge = Buffer.from('21402324255e262a28295f2b3a337c7e', 'hex');
    const ntResponse = generateNtResponse(authChallenge, peerChallenge, 'alice', ntPasswordHash(password));
    const response = await f.round(
      buildEapMsChapV2Response(request.identifier, {
        op: 'response',
        msChapV2Id: message.value.msChapV2Id,
        peerChallenge,
        ntResponse,
        flags: 0,
        name: 'alice',
      }),
      request.state,
    );
    return { response, authChallenge, peerChallenge, ntResponse, challengeId: request.identifier };
  }

  it('Identity -> MD5 Nak -> Challenge -> Response -> Success -> ack -> Accept with MSK-derived MPPE keys', async () => {
    const f = await start();
    const login = await msChapV2Login(f, PASSWORD);
    const success = expectRequest(login.response, EapType.MsChapV2);
    const message = decodeMsChapV2ServerMessage(success.typeData);
    if (!message.ok || message.value.op !== 'success') throw new Error('expected an MSCHAPv2 Success');
    const ntHash = ntPasswordHash(PASSWORD);
    expect(
      checkAuthenticatorResponse(
        ntHash,
        login.ntResponse,
        login.peerChallenge,
        login.authChallenge,
        'alice',
        message.value.authenticatorResponse,
      ),
    ).toBe(true);

    const ack = buildEapMsChapV2Response(success.identifier, { op: 'success-ack' });
    const done = await f.round(ack, success.state);
    expect(done.reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(done.eap.code).toBe(EapCode.Success);
    expect(done.eap.identifier).toBe(success.identifier);

    // RFC 3579 / RFC 2548: Recv-Key is the MSK's first half, Send-Key its second.
    const msk = eapMsChapV2Msk(ntHash, login.ntResponse);
    const sendAttr = done.reply.attributes.find((attr) => attr.name === 'MS-MPPE-Send-Key');
    const recvAttr = done.reply.attributes.find((attr) => attr.name === 'MS-MPPE-Recv-Key');
    if (sendAttr === undefined || recvAttr === undefined) throw new Error('MPPE keys missing');
    const recv = decryptMppeKey(recvAttr.raw, SECRET, done.requestAuthenticator);
    const send = decryptMppeKey(sendAttr.raw, SECRET, done.requestAuthenticator);
    expect(recv.ok && recv.value).toEqual(msk.subarray(0, 16));
    expect(send.ok && send.value).toEqual(msk.subarray(16, 32));
    expect(f.access.at(-1)).toMatchObject({ outcome: 'accept', method: 'eap-mschapv2', userName: 'alice' });
  });

  it('eap.defaultMethod: mschapv2 proposes EAP-MSCHAPv2 right after Identity (no Nak round trip)', async () => {
    const f = await start({ eap: { defaultMethod: 'mschapv2' } });
    const first = await f.round(eapIdentityResponse(7, 'alice'));
    const request = expectRequest(first, EapType.MsChapV2);
    expect(request.identifier).toBe(8);
    const message = decodeMsChapV2ServerMessage(request.typeData);
    expect(message.ok && message.value.op).toBe('challenge');
  });

  it('a wrong password gets Access-Reject with EAP-Failure and no keys', async () => {
    const f = await start();
    const login = await msChapV2Login(f, 'wrong password');
    expect(login.response.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(login.response.eap.code).toBe(EapCode.Failure);
    expect(login.response.eap.identifier).toBe(login.challengeId);
    expect(attributeValue(login.response.reply.attributes, 'MS-MPPE-Send-Key')).toBeUndefined();
    expect(f.access.at(-1)).toMatchObject({ outcome: 'reject', reason: 'wrong-password' });
  });

  it('a Nak listing no method the server knows ends the conversation', async () => {
    const f = await start();
    const md5 = await md5Challenge(f);
    const nak = await f.round(eapNak(md5.identifier, [13]), md5.state);
    expect(nak.reply.packet.code).toBe(PacketCode.AccessReject);
    expect(nak.eap.code).toBe(EapCode.Failure);
    expect(f.access.at(-1)?.reason).toBe('eap-no-common-method');
  });
});
