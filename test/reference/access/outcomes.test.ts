// The closed list of access reasons, as the server publishes it: the reason is always a key of
// ACCESS_REASONS (never a string with a message glued on), the message travels in `detail`, the MFA
// service's code in `mfa.code`, and an unanswered request is counted under the drop reason its
// cause maps to, without any string parsing.
import { afterEach, describe, expect, it } from 'vitest';
import {
  EapCode,
  buildMd5Response,
  decodeEap,
  eapIdentityResponse,
  parseMd5TypeData,
} from '../../../protocol/auth/index.ts';
import { MFA_ERROR_CODES } from '../../../protocol/mfa-api.ts';
import {
  EAP_MESSAGE_TYPE,
  PacketCode,
  attributeValue,
  joinedValue,
  type AttributeInput,
} from '../../../protocol/index.ts';
import { ACCESS_REASONS, isAccessReason } from '../../../reference/access/reasons.ts';
import { completionOf } from '../../../reference/access/second-step.ts';
import type { MfaContext, MfaDecision, SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { closeServerFixtures, startServerFixture, type ServerFixture } from '../server/fixture.ts';

afterEach(closeServerFixtures);

const pap = (user: string, password: string): AttributeInput[] => [
  { name: 'User-Name', value: user },
  { name: 'User-Password', value: password },
];

/** Answers every login with the same decision. */
class Fixed implements SecondFactor {
  constructor(private readonly decision: MfaDecision) {}
  verify(): Promise<MfaDecision> {
    return Promise.resolve(this.decision);
  }
  submitCode(): Promise<MfaDecision> {
    return Promise.resolve(this.decision);
  }
}

function start(config: Record<string, unknown> = {}, secondFactor?: SecondFactor): Promise<ServerFixture> {
  return startServerFixture({
    users: [{ name: 'alice', password: 'alice-pw', groups: ['VPN-Users'] }],
    config,
    ...(secondFactor !== undefined ? { secondFactor } : {}),
  });
}

describe('the reasons table', () => {
  it('describes every reason, the MFA service codes included', () => {
    for (const [reason, description] of Object.entries(ACCESS_REASONS)) {
      expect(description, reason).not.toBe('');
    }
    for (const code of MFA_ERROR_CODES) expect(isAccessReason(code), code).toBe(true);
  });

  it('has no composite reasons: a message is never part of a reason', () => {
    expect(Object.keys(ACCESS_REASONS).filter((reason) => /[:( ]/.test(reason))).toEqual([]);
    expect(isAccessReason('mfa-unavailable: HTTP_CONNECT_ERROR: refused')).toBe(false);
  });
});

describe('what the server publishes', () => {
  it('the directory down (reject): reason directory-unavailable, its message in detail', async () => {
    const f = await start();
    f.directory.unavailable = true;
    const down = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(down);
    expect(f.client.repliesTo(down)[0]?.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access).toMatchObject([
      { outcome: 'reject', reason: 'directory-unavailable', detail: 'memory directory switched off' },
    ]);
  });

  it("the directory down (onUnavailable 'discard'): dropped as directory-unavailable", async () => {
    const f = await start({ directory: { url: 'ldap://127.0.0.1:389', onUnavailable: 'discard' } });
    f.directory.unavailable = true;
    const down = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(down);
    expect(f.client.repliesTo(down)).toEqual([]);
    expect(f.dropped).toMatchObject([
      { reason: 'directory-unavailable', detail: 'memory directory switched off' },
    ]);
    expect(f.server.stats().access.discard).toBe(1);
  });

  it('the MFA client closing under a login: dropped as mfa-unavailable, with the reason described', async () => {
    const f = await start({}, new Fixed({ kind: 'discard', reason: 'mfa-client-closed' }));
    const login = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(login);
    expect(f.client.repliesTo(login)).toEqual([]);
    expect(f.dropped).toMatchObject([
      { reason: 'mfa-unavailable', detail: ACCESS_REASONS['mfa-client-closed'] },
    ]);
  });

  it('an MFA service failure: reason mfa-unavailable, the code in mfa.code, the message in detail', async () => {
    const f = await start(
      {},
      new Fixed({ kind: 'deny', reason: 'mfa-unavailable', code: 'HTTP_CONNECT_ERROR', detail: 'refused' }),
    );
    const login = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(login);
    expect(f.client.repliesTo(login)[0]?.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access).toMatchObject([
      {
        outcome: 'reject',
        reason: 'mfa-unavailable',
        detail: 'refused',
        mfa: { code: 'HTTP_CONNECT_ERROR' },
      },
    ]);
  });

  it('a malformed request: reason no-credentials, what is wrong in detail', async () => {
    const f = await start();
    const bare = f.client.accessRequest([{ name: 'User-Name', value: 'alice' }]);
    await f.send(bare);
    expect(f.access).toMatchObject([{ outcome: 'reject', reason: 'no-credentials' }]);
    expect(f.access[0]?.detail).toMatch(/no User-Password/);
  });

  it('EAP with a second factor that wants a code: REQUEST_MISSING_CODE, the prompt kept in mfa', async () => {
    const prompt = new Fixed({
      kind: 'challenge',
      prompt: 'Enter the code',
      session: { sessionId: 's1', mfaMethod: 'app_code', userId: 'alice@radmfa.test' },
    });
    const f = await start({ eap: { defaultMethod: 'md5' } }, prompt);
    const identity = f.client.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eapIdentityResponse(0, 'alice') },
    ]);
    await f.send(identity);
    const challenge = f.client.repliesTo(identity)[0];
    const state = challenge !== undefined ? attributeValue(challenge.attributes, 'State') : undefined;
    const eap =
      challenge !== undefined ? joinedValue(challenge.packet.attributes, EAP_MESSAGE_TYPE) : undefined;
    const decoded = eap !== undefined ? decodeEap(eap) : undefined;
    if (!Buffer.isBuffer(state) || decoded?.ok !== true || decoded.value.code !== EapCode.Request)
      throw new Error('no EAP-MD5 challenge');
    const md5 = parseMd5TypeData(decoded.value.typeData);
    if (!md5.ok) throw new Error(md5.message);
    const response = f.client.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: buildMd5Response(decoded.value.identifier, 'alice-pw', md5.value.value) },
      { name: 'State', value: state },
    ]);
    await f.send(response);
    expect(f.client.repliesTo(response)[0]?.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access).toMatchObject([
      { outcome: 'challenge', reason: 'eap-md5-challenge' },
      {
        outcome: 'reject',
        reason: 'REQUEST_MISSING_CODE',
        method: 'eap-md5',
        mfa: { result: 'mfa-code-requested', method: 'app_code' },
      },
    ]);
    for (const event of f.access) expect(isAccessReason(event.reason)).toBe(true);
  });
});

describe('completionOf: the second factor as a completion', () => {
  const context: MfaContext = {
    user: { dn: 'CN=a', accountName: 'a', groups: [], state: 'active', attributes: {} },
    method: 'pap',
    client: 'vpn',
  };
  const reply: AttributeInput[] = [{ name: 'Filter-Id', value: 'vpn' }];

  it.each<[string, MfaDecision, Record<string, unknown>]>([
    [
      'allow',
      { kind: 'allow', reason: 'mfa-approved', mfaMethod: 'push' },
      {
        kind: 'accept',
        reason: 'mfa-approved',
        reply,
        decided: { policy: 'p', mfa: { result: 'mfa-approved', method: 'push' } },
      },
    ],
    [
      'allow after not enrolled',
      { kind: 'allow', reason: 'user-not-enrolled-allowed', code: 'UserNotFound' },
      { kind: 'accept', decided: { mfa: { result: 'user-not-enrolled-allowed', code: 'UserNotFound' } } },
    ],
    [
      'deny with a message',
      { kind: 'deny', reason: 'mfa-unavailable', code: 'ServiceUnavailable', detail: 'HTTP 503' },
      {
        kind: 'reject',
        reason: 'mfa-unavailable',
        decided: { detail: 'HTTP 503', mfa: { code: 'ServiceUnavailable' } },
      },
    ],
    [
      'discard',
      { kind: 'discard', reason: 'mfa-client-closed' },
      { kind: 'discard', reason: 'mfa-client-closed' },
    ],
    [
      'challenge',
      { kind: 'challenge', prompt: 'Code?', session: { sessionId: 's', mfaMethod: 'sms', userId: 'a@x' } },
      {
        kind: 'challenge',
        prompt: 'Code?',
        code: { reply, policy: 'p', session: { sessionId: 's' } },
        decided: { mfa: { result: 'mfa-code-requested', method: 'sms' } },
      },
    ],
  ])('%s', (_name, decision, expected) => {
    expect(completionOf(decision, context, reply, 'p')).toMatchObject(expected);
  });
});
