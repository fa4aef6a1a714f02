import { afterEach, describe, expect, it } from 'vitest';
import {
  MsChapErrorCode,
  buildMsChap2Response,
  buildMsChapResponse,
  chapResponse,
  checkAuthenticatorResponse,
  decryptMppeKey,
  encodeChapPassword,
  generateNtResponse,
  msChapV2MppeKeys,
  ntChallengeResponseV1,
  ntPasswordHash,
  parseMsChap2Success,
  parseMsChapError,
} from '../../../protocol/auth/index.ts';
import {
  PacketCode,
  attributeValue,
  type AttributeInput,
  type DecodedAttribute,
} from '../../../protocol/index.ts';
import type { MemoryUser } from '../../support/memory-directory.ts';
import { settle, type RadiusReply } from '../../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startServerFixture, type ServerFixture } from './fixture.ts';

const USERS: readonly MemoryUser[] = [
  { name: 'alice', password: 'correct horse', groups: ['VPN-Users'] },
  { name: 'carol', password: 'carol-pw', groups: ['Contractors'] },
  { name: 'dave', password: 'dave-pw' },
  { name: 'dis', password: 'pw', state: 'disabled' },
  { name: 'lock', password: 'pw', state: 'locked' },
  { name: 'exp', password: 'pw', state: 'account-expired' },
  { name: 'pwexp', password: 'pw', state: 'password-expired' },
  { name: 'nohash', password: 'pw', storeNtHash: false, storeCleartext: false },
];

interface Fixture extends ServerFixture {
  ask(attributes: readonly AttributeInput[], authenticator?: Buffer): Promise<RadiusReply>;
}

afterEach(closeServerFixtures);

async function start(config: Record<string, unknown> = {}): Promise<Fixture> {
  const f = await startServerFixture({ users: USERS, config });
  return {
    ...f,
    async ask(attributes, authenticator) {
      const request = f.client.accessRequest(
        attributes,
        authenticator !== undefined ? { authenticator } : {},
      );
      const reply = await settle(f.clock, f.client.exchange(request));
      if (reply === undefined) throw new Error('no reply');
      expect(reply.verified).toEqual({ ok: true, value: undefined });
      expect(reply.messageAuthenticatorFirst).toBe(true);
      return reply;
    },
  };
}

const pap = (user: string, password: string): AttributeInput[] => [
  { name: 'User-Name', value: user },
  { name: 'User-Password', value: password },
];

function chap(user: string, password: string, chapId = 7): AttributeInput[] {
  const challenge = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  return [
    { name: 'User-Name', value: user },
    { name: 'CHAP-Challenge', value: challenge },
    { name: 'CHAP-Password', value: encodeChapPassword(chapId, chapResponse(chapId, password, challenge)) },
  ];
}

function msChapV1(user: string, password: string): AttributeInput[] {
  const challenge = Buffer.from('0123456789abcdef', 'hex');
  return [
    { name: 'User-Name', value: user },
    { name: 'MS-CHAP-Challenge', value: challenge },
    {
      name: 'MS-CHAP-Response',
      value: buildMsChapResponse({
        ident: 1,
        ntResponse: ntChallengeResponseV1(challenge, ntPasswordHash(password)),
      }),
    },
  ];
}

interface MsChapV2Login {
  readonly attributes: AttributeInput[];
  readonly authChallenge: Buffer;
  readonly peerChallenge: Buffer;
  readonly ntResponse: Buffer;
}

function msChapV2(user: string, password: string, ident = 0x2a): MsChapV2Login {
  const authChallenge = Buffer.from('5b5d7c7d7b3f2f3e3c2c602132262628', 'hex');
  const peerChallenge = Buffer.from('21402324255e262a28295f2b3a337c7e', 'hex');
  const ntResponse = generateNtResponse(authChallenge, peerChallenge, user, ntPasswordHash(password));
  return {
    authChallenge,
    peerChallenge,
    ntResponse,
    attributes: [
      { name: 'User-Name', value: user },
      { name: 'MS-CHAP-Challenge', value: authChallenge },
      { name: 'MS-CHAP2-Response', value: buildMsChap2Response({ ident, peerChallenge, ntResponse }) },
    ],
  };
}

function octets(attributes: readonly DecodedAttribute[], name: string): Buffer {
  const value = attributeValue(attributes, name);
  if (!Buffer.isBuffer(value)) throw new Error(`${name} missing or not octets`);
  return value;
}

function raw(attributes: readonly DecodedAttribute[], name: string): Buffer {
  const found = attributes.find((attr) => attr.name === name);
  if (found === undefined) throw new Error(`${name} missing`);
  return found.raw;
}

describe('primary authentication through the server', () => {
  it('PAP: accepts the right password (a bind as the user) and rejects a wrong one', async () => {
    const f = await start();
    expect((await f.ask(pap('alice', 'correct horse'))).packet.code).toBe(PacketCode.AccessAccept);
    expect((await f.ask(pap('alice', 'Correct horse'))).packet.code).toBe(PacketCode.AccessReject);
    expect(f.access.map((event) => [event.outcome, event.reason, event.method])).toEqual([
      ['accept', 'primary-ok', 'pap'],
      ['reject', 'wrong-password', 'pap'],
    ]);
    expect(f.directory.count('bind', 'alice')).toBe(2);
    expect(f.server.stats().access).toMatchObject({ accept: 1, reject: 1 });
  });

  it('CHAP: with CHAP-Challenge, and with the Request Authenticator as the challenge', async () => {
    const f = await start();
    expect((await f.ask(chap('alice', 'correct horse'))).packet.code).toBe(PacketCode.AccessAccept);
    expect((await f.ask(chap('alice', 'wrong'))).packet.code).toBe(PacketCode.AccessReject);
    // RFC 2865 5.3: no CHAP-Challenge, so the 16-octet Request Authenticator is the challenge.
    const authenticator = Buffer.from('a1a2a3a4a5a6a7a8a9aaabacadaeafb0', 'hex');
    const response = chapResponse(3, 'correct horse', authenticator);
    const reply = await f.ask(
      [
        { name: 'User-Name', value: 'alice' },
        { name: 'CHAP-Password', value: encodeChapPassword(3, response) },
      ],
      authenticator,
    );
    expect(reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(f.access.map((event) => event.reason)).toEqual(['primary-ok', 'wrong-password', 'primary-ok']);
  });

  it('MS-CHAP v1: accepts the right NT-Response, rejects a wrong one with MS-CHAP-Error E=691', async () => {
    const f = await start();
    expect((await f.ask(msChapV1('alice', 'correct horse'))).packet.code).toBe(PacketCode.AccessAccept);
    const reject = await f.ask(msChapV1('alice', 'nope'));
    expect(reject.packet.code).toBe(PacketCode.AccessReject);
    const error = parseMsChapError(octets(reject.attributes, 'MS-CHAP-Error'));
    expect(error.ok && error.value.errorCode).toBe(MsChapErrorCode.AuthenticationFailure);
    expect(f.access.map((event) => [event.method, event.reason])).toEqual([
      ['mschap', 'primary-ok'],
      ['mschap', 'wrong-password'],
    ]);
  });

  it('MS-CHAPv2: Accept carries MS-CHAP2-Success the peer verifies and MPPE keys that decrypt', async () => {
    const f = await start();
    const login = msChapV2('alice', 'correct horse');
    const request = f.client.accessRequest(login.attributes);
    const reply = await settle(f.clock, f.client.exchange(request));
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    if (reply === undefined) return;
    expect(reply.verified.ok).toBe(true);

    const success = parseMsChap2Success(octets(reply.attributes, 'MS-CHAP2-Success'));
    expect(success.ok).toBe(true);
    if (!success.ok) return;
    expect(success.value.ident).toBe(0x2a);
    const ntHash = ntPasswordHash('correct horse');
    expect(
      checkAuthenticatorResponse(
        ntHash,
        login.ntResponse,
        login.peerChallenge,
        login.authChallenge,
        'alice',
        success.value.authenticatorResponse,
      ),
    ).toBe(true);

    // RFC 2548 2.4.2 / 2.4.3: salt-encrypted with the secret and this request's authenticator.
    const expected = msChapV2MppeKeys(ntHash, login.ntResponse);
    const auth = request.packet.authenticator;
    const send = decryptMppeKey(raw(reply.attributes, 'MS-MPPE-Send-Key'), SECRET, auth);
    const recv = decryptMppeKey(raw(reply.attributes, 'MS-MPPE-Recv-Key'), SECRET, auth);
    expect(send.ok && send.value).toEqual(expected.sendKey);
    expect(recv.ok && recv.value).toEqual(expected.recvKey);
    // RFC 2548 2.4.2: the two salts of one packet must differ.
    expect(raw(reply.attributes, 'MS-MPPE-Send-Key').subarray(0, 2)).not.toEqual(
      raw(reply.attributes, 'MS-MPPE-Recv-Key').subarray(0, 2),
    );
    expect(attributeValue(reply.attributes, 'MS-MPPE-Encryption-Policy')).toBe(1);
  });

  it('MS-CHAPv2: a domain-prefixed login hashes the name without the domain (RFC 2759 4)', async () => {
    const f = await start();
    const reply = await f.ask(msChapV2('RADMFA\\alice', 'correct horse').attributes);
    expect(reply.packet.code).toBe(PacketCode.AccessAccept);
  });

  it('MS-CHAPv2: a wrong password gets Access-Reject with MS-CHAP-Error, no keys', async () => {
    const f = await start();
    const reply = await f.ask(msChapV2('alice', 'not the password', 9).attributes);
    expect(reply.packet.code).toBe(PacketCode.AccessReject);
    const error = parseMsChapError(octets(reply.attributes, 'MS-CHAP-Error'));
    expect(error.ok).toBe(true);
    if (!error.ok) return;
    expect(error.value.ident).toBe(9);
    expect(error.value.errorCode).toBe(691);
    expect(error.value.retry).toBe(false);
    expect(attributeValue(reply.attributes, 'MS-MPPE-Send-Key')).toBeUndefined();
    expect(attributeValue(reply.attributes, 'MS-CHAP2-Success')).toBeUndefined();
  });

  it.each([
    ['dis', 'account-disabled'],
    ['lock', 'account-locked'],
    ['exp', 'account-expired'],
    ['pwexp', 'password-expired'],
  ])('rejects %s (right password) with reason %s, before any password check', async (user, reason) => {
    const f = await start();
    const papReply = await f.ask(pap(user, 'pw'));
    const msReply = await f.ask(msChapV2(user, 'pw').attributes);
    expect(papReply.packet.code).toBe(PacketCode.AccessReject);
    expect(msReply.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access.map((event) => event.reason)).toEqual([reason, reason]);
    expect(f.directory.count('bind')).toBe(0);
  });

  it('rejects an unknown user with user-not-found, for every method', async () => {
    const f = await start();
    for (const attributes of [
      pap('mallory', 'x'),
      chap('mallory', 'x'),
      msChapV1('mallory', 'x'),
      msChapV2('mallory', 'x').attributes,
    ]) {
      expect((await f.ask(attributes)).packet.code).toBe(PacketCode.AccessReject);
    }
    expect(f.access.map((event) => [event.method, event.reason])).toEqual([
      ['pap', 'user-not-found'],
      ['chap', 'user-not-found'],
      ['mschap', 'user-not-found'],
      ['mschapv2', 'user-not-found'],
    ]);
  });

  it('rejects CHAP and MS-CHAP when the directory holds no cleartext or NT hash', async () => {
    const f = await start();
    await f.ask(chap('nohash', 'pw'));
    await f.ask(msChapV1('nohash', 'pw'));
    await f.ask(msChapV2('nohash', 'pw').attributes);
    expect(f.access.map((event) => event.reason)).toEqual([
      'no-cleartext-password-for-chap',
      'no-nt-hash-for-mschap',
      'no-nt-hash-for-mschapv2',
    ]);
  });

  it('rejects a request with no credentials', async () => {
    const f = await start();
    const reply = await f.ask([{ name: 'User-Name', value: 'alice' }]);
    expect(reply.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access[0]?.reason).toMatch(/^no-credentials/);
  });
});

describe('network policy', () => {
  const policy = {
    rules: [
      {
        name: 'vpn-mschapv2',
        when: { group: 'vpn-users', method: 'mschapv2' },
        reply: [
          { name: 'Class', value: 'vpn-class' },
          { name: 'Filter-Id', value: 'vpn-acl' },
          { name: 'Session-Timeout', value: 3600 },
          { name: 'Cisco-AVPair', value: 'ip:inacl#1=permit ip any any' },
        ],
      },
      {
        name: 'vpn-pap',
        when: { group: 'VPN-Users', method: 'pap' },
        reply: [{ name: 'Filter-Id', value: 'pap-acl' }],
      },
      { name: 'contractors-deny', when: { group: 'Contractors' }, action: 'deny' },
    ],
  };

  it('a rule on group + method adds Class, Filter-Id, Session-Timeout and a vendor attribute', async () => {
    const f = await start({ policy });
    const reply = await f.ask(msChapV2('alice', 'correct horse').attributes);
    expect(reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(octets(reply.attributes, 'Class').toString()).toBe('vpn-class');
    expect(attributeValue(reply.attributes, 'Filter-Id')).toBe('vpn-acl');
    expect(attributeValue(reply.attributes, 'Session-Timeout')).toBe(3600);
    expect(attributeValue(reply.attributes, 'Cisco-AVPair')).toBe('ip:inacl#1=permit ip any any');
    // The method's own attributes are still there.
    expect(attributeValue(reply.attributes, 'MS-CHAP2-Success')).toBeDefined();
    expect(f.access[0]?.policy).toBe('vpn-mschapv2');

    const papReply = await f.ask(pap('alice', 'correct horse'));
    expect(attributeValue(papReply.attributes, 'Filter-Id')).toBe('pap-acl');
    expect(attributeValue(papReply.attributes, 'Class')).toBeUndefined();
    expect(f.access[1]?.policy).toBe('vpn-pap');
  });

  it('a deny rule rejects after a correct password; no rule matching follows noMatch (deny)', async () => {
    const f = await start({ policy });
    expect((await f.ask(pap('carol', 'carol-pw'))).packet.code).toBe(PacketCode.AccessReject);
    expect((await f.ask(pap('dave', 'dave-pw'))).packet.code).toBe(PacketCode.AccessReject);
    // alice with CHAP: group matches but no rule names chap.
    expect((await f.ask(chap('alice', 'correct horse'))).packet.code).toBe(PacketCode.AccessReject);
    expect(f.access.map((event) => [event.reason, event.policy])).toEqual([
      ['policy-denied', 'contractors-deny'],
      ['policy-denied', undefined],
      ['policy-denied', undefined],
    ]);
  });

  it('noMatch: grant lets unmatched users in with no policy attributes', async () => {
    const f = await start({ policy: { ...policy, noMatch: 'grant' } });
    const reply = await f.ask(pap('dave', 'dave-pw'));
    expect(reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(attributeValue(reply.attributes, 'Filter-Id')).toBeUndefined();
    // The deny rule still wins for its group.
    expect((await f.ask(pap('carol', 'carol-pw'))).packet.code).toBe(PacketCode.AccessReject);
  });

  it('a NAS-Port-Type condition is matched against the request', async () => {
    const f = await start({
      policy: {
        rules: [
          {
            name: 'virtual-only',
            when: { nasPortType: 'Virtual' },
            reply: [{ name: 'Filter-Id', value: 'v' }],
          },
        ],
      },
    });
    const virtual = await f.ask([...pap('dave', 'dave-pw'), { name: 'NAS-Port-Type', value: 'Virtual' }]);
    const ethernet = await f.ask([...pap('dave', 'dave-pw'), { name: 'NAS-Port-Type', value: 'Ethernet' }]);
    const none = await f.ask(pap('dave', 'dave-pw'));
    expect([virtual.packet.code, ethernet.packet.code, none.packet.code]).toEqual([
      PacketCode.AccessAccept,
      PacketCode.AccessReject,
      PacketCode.AccessReject,
    ]);
  });
});
