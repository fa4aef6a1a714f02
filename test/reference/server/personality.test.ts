// Each personality's observable difference on the wire, in virtual time over the in-memory network
// (and the OTP case once more over real UDP on loopback): what an Accept after an OTP challenge
// carries, the reject delay, duplicates, Status-Server, Message-Authenticator, Reply-Message wording.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eapIdentityResponse } from '../../../protocol/auth/index.ts';
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  PacketCode,
  attributeValue,
  type AttributeInput,
} from '../../../protocol/index.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import type { MfaDecision, SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { fitReplyMessage } from '../../../reference/reply-habits.ts';
import { RadiusTestClient, settle, type RadiusReply } from '../../support/radius-test-client.ts';
import {
  SECRET,
  closeServerFixtures,
  startReferenceServer,
  startServerFixture,
  type ServerFixture,
} from './fixture.ts';

afterEach(closeServerFixtures);
afterAll(closeServerFixtures);

const CODE = '123456';
const SERVICE_PROMPT = 'Enter the verification code from your authenticator app';

/** The second factor of a TOTP user: a code challenge, then the code checked. Counts prompts. */
class AppCode implements SecondFactor {
  prompts = 0;
  verify(): Promise<MfaDecision> {
    this.prompts++;
    return Promise.resolve({
      kind: 'challenge',
      prompt: SERVICE_PROMPT,
      session: { sessionId: `s${this.prompts}`, mfaMethod: 'app_code', userId: 'alice@radmfa.test' },
    });
  }
  submitCode(_context: unknown, _session: unknown, code: string): Promise<MfaDecision> {
    return Promise.resolve(
      code === CODE
        ? { kind: 'allow', reason: 'mfa-code-accepted', mfaMethod: 'app_code' }
        : { kind: 'deny', reason: 'mfa-code-wrong', mfaMethod: 'app_code' },
    );
  }
}

/** A push approved at once. */
class Push implements SecondFactor {
  verify(): Promise<MfaDecision> {
    return Promise.resolve({ kind: 'allow', reason: 'mfa-approved', mfaMethod: 'push' });
  }
  submitCode(): Promise<MfaDecision> {
    return Promise.resolve({ kind: 'deny', reason: 'mfa-code-wrong' });
  }
}

const POLICY = {
  rules: [
    {
      name: 'vpn-users',
      when: { group: 'VPN-Users' },
      reply: [
        { name: 'Class', value: 'vpn-users' },
        { name: 'Filter-Id', value: 'user-acl' },
        { name: 'Session-Timeout', value: 3600 },
      ],
    },
  ],
};

/** Sends signed and unsigned requests alike, so auto must not learn to require signing. */
const LENIENT_CLIENT = {
  name: 'vpn',
  address: '127.0.0.1',
  secret: SECRET,
  requireMessageAuthenticator: false,
};

const USERS = [{ name: 'alice', password: 'pw', groups: ['VPN-Users'] }];

const pap = (password: string, state?: Buffer): AttributeInput[] => [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: password },
  ...(state !== undefined ? [{ name: 'State', value: state }] : []),
];

function start(config: Record<string, unknown>, secondFactor?: SecondFactor): Promise<ServerFixture> {
  return startServerFixture({
    users: USERS,
    config: { policy: POLICY, ...config },
    ...(secondFactor !== undefined ? { secondFactor } : {}),
  });
}

async function ask(
  f: ServerFixture,
  attributes: AttributeInput[],
  messageAuthenticator = true,
): Promise<RadiusReply> {
  const reply = await settle(
    f.clock,
    f.client.exchange(f.client.accessRequest(attributes, { messageAuthenticator })),
  );
  if (reply === undefined) throw new Error('no reply');
  return reply;
}

/** Password, Access-Challenge, the code with the State: both replies. */
async function otpLogin(f: ServerFixture): Promise<{ challenge: RadiusReply; final: RadiusReply }> {
  const challenge = await ask(f, pap('pw'));
  expect(challenge.packet.code).toBe(PacketCode.AccessChallenge);
  const state = attributeValue(challenge.attributes, 'State');
  if (!Buffer.isBuffer(state)) throw new Error('challenge without State');
  return { challenge, final: await ask(f, pap(CODE, state)) };
}

const policyAttributesOf = (reply: RadiusReply): Record<string, unknown> => ({
  Class: attributeValue(reply.attributes, 'Class')?.toString(),
  'Filter-Id': attributeValue(reply.attributes, 'Filter-Id'),
  'Session-Timeout': attributeValue(reply.attributes, 'Session-Timeout'),
});

const FORWARDED = { Class: 'vpn-users', 'Filter-Id': 'user-acl', 'Session-Timeout': 3600 };
const DROPPED = { Class: undefined, 'Filter-Id': undefined, 'Session-Timeout': undefined };

const hasMessageAuthenticator = (reply: RadiusReply): boolean =>
  reply.packet.attributes.some((attribute) => attribute.type === MESSAGE_AUTHENTICATOR_TYPE);

describe('the Accept after an OTP challenge', () => {
  it.each([
    ['nps (the seed: not forwarded)', {}, DROPPED],
    [
      'nps + npsCompat.crpUsernameStuffing (the seed workaround)',
      { npsCompat: { crpUsernameStuffing: true } },
      FORWARDED,
    ],
    ['freeradius', { personality: 'freeradius' }, FORWARDED],
    ['duo', { personality: 'duo' }, FORWARDED],
    [
      'freeradius + npsCompat.dropPolicyAttributesAfterChallenge: true',
      { personality: 'freeradius', npsCompat: { dropPolicyAttributesAfterChallenge: true } },
      DROPPED,
    ],
  ])('%s', async (_name, config, expected) => {
    const factor = new AppCode();
    const f = await start(config, factor);
    const { final } = await otpLogin(f);
    expect(final.packet.code).toBe(PacketCode.AccessAccept);
    expect(policyAttributesOf(final)).toEqual(expected);
    expect(factor.prompts).toBe(1);
  });

  it('nps: a push Accept (no challenge) still carries the policy attributes', async () => {
    const f = await start({}, new Push());
    const reply = await ask(f, pap('pw'));
    expect(reply.packet.code).toBe(PacketCode.AccessAccept);
    expect(policyAttributesOf(reply)).toEqual(FORWARDED);
  });
});

describe('the code challenge wording (Reply-Message)', () => {
  it.each([
    ['nps: the MFA service text', {}, SERVICE_PROMPT],
    [
      'duo: the Duo challenge text',
      { personality: 'duo' },
      'Duo two-factor login for alice\n\nEnter a passcode',
    ],
    [
      'replies.codePrompt overrides',
      { replies: { codePrompt: '{user}: {prompt}' } },
      `alice: ${SERVICE_PROMPT}`,
    ],
  ])('%s', async (_name, config, expected) => {
    const f = await start(config, new AppCode());
    const { challenge } = await otpLogin(f);
    expect(attributeValue(challenge.attributes, 'Reply-Message')).toBe(expected);
  });

  it('replies.rejectMessage adds a Reply-Message to an Access-Reject; no personality sends one', async () => {
    const plain = await start({ personality: 'duo' });
    expect(attributeValue((await ask(plain, pap('wrong'))).attributes, 'Reply-Message')).toBeUndefined();
    const worded = await start({ replies: { rejectMessage: 'Access denied' } });
    const reply = await ask(worded, pap('wrong'));
    expect(reply.packet.code).toBe(PacketCode.AccessReject);
    expect(attributeValue(reply.attributes, 'Reply-Message')).toBe('Access denied');
  });
});

describe('fitReplyMessage', () => {
  it('cuts a rendered prompt to the 253 octets of one Reply-Message, on a character boundary', () => {
    const long = 'é'.repeat(200); // 400 octets in UTF-8
    const cut = fitReplyMessage(long);
    expect(Buffer.byteLength(cut)).toBe(252);
    expect(cut).toBe('é'.repeat(126));
    expect(fitReplyMessage('a'.repeat(253))).toHaveLength(253);
  });
});

describe('reject delay (virtual clock)', () => {
  it.each([
    ['nps', {}, 0],
    ['freeradius (reject_delay = 1)', { personality: 'freeradius' }, 1_000],
    ['duo', { personality: 'duo' }, 0],
    ['freeradius + rejectDelayMs: 250', { personality: 'freeradius', rejectDelayMs: 250 }, 250],
  ])('%s', async (_name, config, delayMs) => {
    const f = await start(config);
    const sentAt = f.clock.now();
    const reply = await settle(f.clock, f.client.exchange(f.client.accessRequest(pap('wrong'))), {
      stepMs: 10,
    });
    expect(reply?.packet.code).toBe(PacketCode.AccessReject);
    expect((reply?.receivedAt ?? Number.NaN) - sentAt).toBe(delayMs);
    // An Accept is never delayed.
    const acceptSentAt = f.clock.now();
    const accept = await settle(f.clock, f.client.exchange(f.client.accessRequest(pap('pw'))), {
      stepMs: 10,
    });
    expect(accept?.packet.code).toBe(PacketCode.AccessAccept);
    expect(accept?.receivedAt).toBe(acceptSentAt);
  });
});

describe('a retransmission after the answer', () => {
  it.each([
    ['nps: discarded for 10 s', {}, 'discard', 10_000],
    ['freeradius: the cached reply for 5 s (cleanup_delay)', { personality: 'freeradius' }, 'replay', 5_000],
    ['duo: the cached reply for 30 s', { personality: 'duo' }, 'replay', 30_000],
  ])('%s', async (_name, config, action, windowMs) => {
    const f = await start(config);
    // Inside the window (its last millisecond): the personality's duplicate action.
    const inside = f.client.accessRequest(pap('pw'));
    const first = await settle(f.clock, f.client.exchange(inside));
    expect(first?.packet.code).toBe(PacketCode.AccessAccept);
    const before = f.client.received.length;
    await f.clock.advance(windowMs - 1);
    await f.send(inside);
    expect(f.duplicates.map((event) => event.action)).toEqual([action]);
    const replies = f.client.received.slice(before);
    if (action === 'replay') expect(replies.map((r) => r.bytes)).toEqual([first?.bytes]);
    else expect(replies).toEqual([]);
    // At the window's end the entry is gone: the same datagram is a new request, answered anew.
    const outside = f.client.accessRequest(pap('pw'));
    expect((await settle(f.clock, f.client.exchange(outside)))?.packet.code).toBe(PacketCode.AccessAccept);
    await f.clock.advance(windowMs);
    const handled = f.access.length;
    await f.send(outside);
    expect(f.access.length).toBe(handled + 1);
    expect(f.client.repliesTo(outside)).toHaveLength(2);
    expect(f.duplicates).toHaveLength(1);
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('nps and freeradius answer it; duo drops it as a code it does not serve; statusServer overrides', async () => {
    for (const [config, answered] of [
      [{}, true],
      [{ personality: 'freeradius' }, true],
      [{ personality: 'duo' }, false],
      [{ personality: 'duo', statusServer: 'answer' }, true],
      [{ statusServer: 'ignore' }, false],
    ] as const) {
      const f = await start(config);
      const probe = f.client.build(PacketCode.StatusServer, []);
      const reply = f.client.replyTo(probe, 2_000);
      await f.send(probe);
      if (answered) {
        expect((await settle(f.clock, reply))?.packet.code, JSON.stringify(config)).toBe(
          PacketCode.AccessAccept,
        );
        expect(f.statusEvents).toHaveLength(1);
      } else {
        expect(
          f.dropped.map((d) => [d.reason, d.detail]),
          JSON.stringify(config),
        ).toEqual([['unexpected-code', 'Status-Server is not answered (statusServer: ignore)']]);
        expect(f.statusEvents).toHaveLength(0);
        await settle(f.clock, reply);
      }
      await closeServerFixtures();
    }
  });
});

describe('Message-Authenticator in replies', () => {
  it('nps and duo sign every reply; freeradius signs none for PAP, with or without one in the request', async () => {
    for (const [personality, signs] of [
      ['nps', true],
      ['duo', true],
      ['freeradius', false],
    ] as const) {
      const f = await start({ personality, clients: [LENIENT_CLIENT] });
      for (const withMa of [true, false]) {
        const accept = await ask(f, pap('pw'), withMa);
        const reject = await ask(f, pap('wrong'), withMa);
        expect(
          [hasMessageAuthenticator(accept), hasMessageAuthenticator(reject)],
          `${personality} ${withMa}`,
        ).toEqual([signs, signs]);
        if (signs) expect(accept.messageAuthenticatorFirst).toBe(true);
        // Signed or not, the Response Authenticator is right.
        expect(accept.packet.code).toBe(PacketCode.AccessAccept);
      }
      await closeServerFixtures();
    }
  });

  it('freeradius still signs an EAP reply (RFC 3579 3.2 requires it)', async () => {
    const f = await start({ personality: 'freeradius' });
    const reply = await ask(f, [
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eapIdentityResponse(1, 'alice') },
    ]);
    expect(reply.packet.code).toBe(PacketCode.AccessChallenge);
    expect(reply.messageAuthenticatorFirst).toBe(true);
    expect(reply.verified.ok).toBe(true);
  });

  it('replies.messageAuthenticator: when-requested signs only the replies to signed requests', async () => {
    const f = await start({ replies: { messageAuthenticator: 'when-requested' }, clients: [LENIENT_CLIENT] });
    expect(hasMessageAuthenticator(await ask(f, pap('pw'), true))).toBe(true);
    expect(hasMessageAuthenticator(await ask(f, pap('pw'), false))).toBe(false);
  });
});

describe('over real UDP on loopback', () => {
  it('nps drops the policy attributes after the OTP challenge; crpUsernameStuffing brings them back', async () => {
    const clock = new SystemClock();
    const transport = new UdpTransport();
    const results: Record<string, unknown>[] = [];
    for (const npsCompat of [{}, { crpUsernameStuffing: true }]) {
      const { server } = await startReferenceServer({
        clock,
        transport,
        users: USERS,
        secondFactor: new AppCode(),
        config: { listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 }, policy: POLICY, npsCompat },
      });
      const [auth] = server.endpoints('auth');
      if (auth === undefined) throw new Error('no auth socket');
      const client = await RadiusTestClient.open({ transport, clock, server: auth, secret: SECRET });
      try {
        const challenge = await client.exchange(client.accessRequest(pap('pw')), 3_000);
        const state = challenge !== undefined ? attributeValue(challenge.attributes, 'State') : undefined;
        if (!Buffer.isBuffer(state)) throw new Error('no challenge State over UDP');
        const final = await client.exchange(client.accessRequest(pap(CODE, state)), 3_000);
        expect(final?.packet.code).toBe(PacketCode.AccessAccept);
        if (final !== undefined) results.push(policyAttributesOf(final));
      } finally {
        await client.close();
      }
    }
    expect(results).toEqual([DROPPED, FORWARDED]);
  });
});
