// CloudMfa, the reference server's MFA client, against the MFA mock's msw handlers in process, in
// virtual time: tokens, the long-poll loop, how every answer maps to allow / deny, codes, sessions.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../../protocol/auth/index.ts';
import { VirtualClock } from '../../../runtime/clock.ts';
import { IssueCollector } from '../../../runtime/validation/index.ts';
import { normaliseMfa, type MfaSettings } from '../../../reference/config/mfa-config.ts';
import type { DirectoryUser } from '../../../reference/directory/types.ts';
import { CloudMfa } from '../../../reference/mfa/cloud-mfa.ts';
import { testCredential } from '../../support/certificates.ts';
import type { MfaContext, MfaDecision } from '../../../reference/mfa/second-factor.ts';
import { createMfaMock, type MfaMock, type TenantDefinition } from '../../../simulators/mfa/index.ts';
import { fixed } from '../../../simulators/users/index.ts';
import {
  DEMO_PASSWORD,
  DEMO_TOTP_SECRET,
  MFA_BASE_URL,
  VIRTUAL_START_MS,
  demoTenantVariant,
  loadDemoTenant,
  startVirtualMfaStack,
  upn,
  type VirtualMfaStack,
} from '../../support/mfa-stack.ts';
import { settle } from '../../support/radius-test-client.ts';

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterAll(() => msw.close());

interface Fixture {
  readonly clock: VirtualClock;
  readonly mock: MfaMock;
  readonly mfa: CloudMfa;
  readonly warnings: { code: string; message: string }[];
  /** Runs a call to the end in virtual time; `at` is when it ended, ms after the fixture started. */
  run(call: Promise<MfaDecision>): Promise<MfaDecision & { readonly at: number }>;
  calls(endpoint: 'token' | 'begin' | 'poll' | 'code'): number;
}

const mocks: MfaMock[] = [];
afterEach(() => {
  for (const mock of mocks.splice(0)) mock.dispose();
  msw.resetHandlers();
});

function settings(overrides: Record<string, unknown> = {}): MfaSettings {
  const c = new IssueCollector();
  const result = normaliseMfa(c, {
    enabled: true,
    serviceUrl: MFA_BASE_URL,
    certificates: { dir: 'test/fixtures/certificates' },
    tenantId: 'set-below',
    // msw/node intercepts node:http(s) requests only, not HTTP/2 sessions.
    http: 'http1.1',
    ...overrides,
  });
  expect(c.issues).toEqual([]);
  return result;
}

async function fixture(overrides: Record<string, unknown> = {}, tenant?: TenantDefinition): Promise<Fixture> {
  const clock = new VirtualClock(VIRTUAL_START_MS);
  const definition = tenant ?? (await loadDemoTenant());
  const mock = createMfaMock({ tenant: definition, clock });
  mocks.push(mock);
  msw.resetHandlers(...mock.handlers);
  const warnings: { code: string; message: string }[] = [];
  const mfa = new CloudMfa({
    settings: settings({ tenantId: definition.id, ...overrides }),
    baseUrl: MFA_BASE_URL,
    clock,
    credential: testCredential(clock, definition.id),
    onWarning: (code, message) => warnings.push({ code, message }),
  });
  return {
    clock,
    mock,
    mfa,
    warnings,
    run: async (call) => {
      const decision = await settle(clock, call, { stepMs: 100, limitMs: 400_000 });
      return { ...decision, at: clock.now() - VIRTUAL_START_MS };
    },
    calls: (endpoint) => mock.service.history.count({ endpoint }),
  };
}

function user(name: string, extra: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    dn: `CN=${name},OU=Users,DC=radmfa,DC=test`,
    accountName: name,
    userPrincipalName: upn(name),
    groups: ['VPN-Users'],
    state: 'active',
    attributes: { samaccountname: [name] },
    ...extra,
  };
}

function context(name: string, extra: Partial<MfaContext> = {}): MfaContext {
  return { user: user(name), method: 'pap', client: 'vpn', ...extra };
}

function bobCode(atMs: number): string {
  const key = base32Decode(DEMO_TOTP_SECRET);
  if (!key.ok) throw new Error('bad secret');
  return totp(key.value, atMs);
}

describe('the token', () => {
  it('is fetched once and reused by later logins', async () => {
    const f = await fixture();
    expect(await f.run(f.mfa.verify(context('alice')))).toMatchObject({ kind: 'allow', at: 2_000 });
    expect(await f.run(f.mfa.verify(context('carol')))).toMatchObject({ kind: 'deny' });
    expect(f.calls('token')).toBe(1);
    expect(f.calls('begin')).toBe(2);
  });

  it('is renewed a minute before it expires (1 h lifetime), never used past its expiry', async () => {
    const f = await fixture();
    // bob's app code: begin answers at once, so no time passes inside verify.
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge', at: 0 });
    await f.clock.advanceTo(VIRTUAL_START_MS + 3_540_000 - 1);
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge' });
    expect(f.calls('token')).toBe(1);
    await f.clock.advance(1);
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge' });
    expect(f.calls('token')).toBe(2);
    // No MFA call was ever refused for its token.
    expect(f.mock.service.history.list().filter((c) => c.result === 'ESTS_TOKEN_ERROR')).toEqual([]);
  });

  it('a long wait for a push never polls with an expired token', async () => {
    // Prompts may last up to 170 s here, longer than the minute of margin the token is renewed with.
    const slowPrompts = demoTenantVariant((t) => {
      (t.settings as Record<string, unknown>).promptTimeout = '170s';
    });
    const f = await fixture({ approvalTimeoutMs: 170_000 }, slowPrompts);
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge' });
    f.mock.service.setBehaviour(upn('judy'), {
      prompt: { outcome: 'approve', responseTime: fixed(150_000) },
      code: { typingTime: fixed(1_000), wrongCodeProbability: 0, giveUpProbability: 0 },
    });
    // The cached token has 61 s left: fresh enough to begin, not to poll for 150 s.
    await f.clock.advanceTo(VIRTUAL_START_MS + 3_539_000);
    const judy = await f.run(f.mfa.verify(context('judy')));
    expect(judy).toMatchObject({ kind: 'allow', reason: 'mfa-approved', at: 3_539_000 + 150_000 });
    expect(f.mock.service.history.list({ endpoint: 'poll' }).map((c) => c.result)).toEqual([
      'pending',
      'pending',
      'approved',
    ]);
    expect(f.calls('token')).toBe(2);
  });

  it('is fetched once for logins that start together', async () => {
    const f = await fixture();
    const all = Promise.all(['alice', 'bob', 'carol', 'ivan'].map((name) => f.mfa.verify(context(name))));
    const decisions = await settle(f.clock, all, { stepMs: 100 });
    expect(decisions.map((d) => d.kind)).toEqual(['allow', 'challenge', 'deny', 'allow']);
    expect(f.calls('token')).toBe(1);
  });

  it('a refused token fails the login closed, and the next login asks for a new one', async () => {
    const f = await fixture();
    f.mock.service.faults.set({ tokenError: { times: 1 } });
    const refused = await f.run(f.mfa.verify(context('alice')));
    expect(refused).toMatchObject({ kind: 'deny', reason: 'mfa-unavailable', code: 'ESTS_TOKEN_ERROR' });
    expect(f.calls('begin')).toBe(0);
    expect(await f.run(f.mfa.verify(context('alice')))).toMatchObject({ kind: 'allow' });
    expect(f.calls('token')).toBe(2);
  });

  it('a token the service no longer knows is replaced within the same login, once', async () => {
    const f = await fixture();
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge' });
    f.mock.service.reset(); // the service forgot every token (a restart)
    expect(await f.run(f.mfa.verify(context('bob')))).toMatchObject({ kind: 'challenge' });
    expect(f.calls('token')).toBe(1); // the history was cleared by reset(); one new token since
    expect(f.calls('begin')).toBe(2); // the refused begin, then the retried one
  });
});

describe('push and phone call: the long-poll loop', () => {
  it('maps approved, denied and the phone call', async () => {
    const f = await fixture();
    expect(await f.run(f.mfa.verify(context('alice')))).toEqual({
      kind: 'allow',
      reason: 'mfa-approved',
      mfaMethod: 'push',
      at: 2_000,
    });
    expect(await f.run(f.mfa.verify(context('carol')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-denied',
      mfaMethod: 'push',
    });
    expect(await f.run(f.mfa.verify(context('ivan')))).toMatchObject({
      kind: 'allow',
      reason: 'mfa-approved',
      mfaMethod: 'phone_call',
    });
  });

  it('maps a fraud report', async () => {
    const f = await fixture();
    f.mock.service.setBehaviour(upn('carol'), {
      prompt: { outcome: 'report_fraud', responseTime: fixed(1_500) },
      code: { typingTime: fixed(1_000), wrongCodeProbability: 0, giveUpProbability: 0 },
    });
    expect(await f.run(f.mfa.verify(context('carol')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-fraud-reported',
      at: 1_500,
    });
  });

  it('the service gives up first (frank ignores the push; its 60 s prompt timeout): mfa-timeout at 60 s', async () => {
    const f = await fixture();
    expect(await f.run(f.mfa.verify(context('frank')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-timeout',
      at: 60_000,
    });
    expect(f.mock.service.history.last({ endpoint: 'poll' })?.result).toBe('timed_out');
  });

  it('approvalTimeoutMs gives up first: mfa-timeout at exactly that time, one poll', async () => {
    const f = await fixture({ approvalTimeoutMs: 5_000 });
    expect(await f.run(f.mfa.verify(context('frank')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-timeout',
      at: 5_000,
    });
    expect(f.mock.service.history.list({ endpoint: 'poll' })).toMatchObject([
      { waitMs: 5_000, result: 'pending' },
    ]);
  });

  it('polls again and again (60 s each at most) until approvalTimeoutMs, and no further', async () => {
    const slowPrompts = demoTenantVariant((t) => {
      (t.settings as Record<string, unknown>).promptTimeout = '170s';
    });
    const f = await fixture({ approvalTimeoutMs: 150_000 }, slowPrompts);
    expect(await f.run(f.mfa.verify(context('frank')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-timeout',
      at: 150_000,
    });
    expect(f.mock.service.history.list({ endpoint: 'poll' }).map((c) => c.waitMs)).toEqual([
      60_000, 60_000, 30_000,
    ]);
    // A push answered after the first minute is still taken.
    f.mock.service.setBehaviour(upn('judy'), {
      prompt: { outcome: 'approve', responseTime: fixed(100_000) },
      code: { typingTime: fixed(1_000), wrongCodeProbability: 0, giveUpProbability: 0 },
    });
    const started = f.clock.now() - VIRTUAL_START_MS;
    const judy = await f.run(f.mfa.verify(context('judy')));
    expect(judy).toMatchObject({ kind: 'allow', reason: 'mfa-approved' });
    expect(judy.at - started).toBe(100_000);
  });
});

describe('codes (PAP Access-Challenge)', () => {
  it('bob: a challenge for the app code, the right code accepted', async () => {
    const f = await fixture();
    const challenge = await f.run(f.mfa.verify(context('bob')));
    if (challenge.kind !== 'challenge') throw new Error(`expected a challenge, got ${challenge.kind}`);
    expect(challenge.prompt).toMatch(/authenticator app/);
    expect(challenge.session).toMatchObject({ mfaMethod: 'app_code', userId: upn('bob') });
    await f.clock.advance(4_000);
    const code = bobCode(f.clock.now());
    expect(await f.run(f.mfa.submitCode(context('bob'), challenge.session, code))).toMatchObject({
      kind: 'allow',
      reason: 'mfa-code-accepted',
      mfaMethod: 'app_code',
    });
  });

  it('a wrong code is denied with its result code, the third locks the session', async () => {
    const f = await fixture();
    const challenge = await f.run(f.mfa.verify(context('bob')));
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    const reasons: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const decision = await f.run(f.mfa.submitCode(context('bob'), challenge.session, '000000'));
      expect(decision.kind).toBe('deny');
      if (decision.kind === 'deny') reasons.push(decision.reason);
    }
    expect(reasons).toEqual([
      'OathCodeIncorrect',
      'OathCodeIncorrect',
      'SMSAuthFailedMaxAllowedCodeRetryReached',
      'SMSAuthFailedMaxAllowedCodeRetryReached',
    ]);
    // Locked: the right code no longer helps.
    const right = await f.run(f.mfa.submitCode(context('bob'), challenge.session, bobCode(f.clock.now())));
    expect(right).toMatchObject({ kind: 'deny', reason: 'SMSAuthFailedMaxAllowedCodeRetryReached' });
  });

  it('a TOTP code accepted once is refused when replayed on a new session', async () => {
    const f = await fixture();
    const first = await f.run(f.mfa.verify(context('bob')));
    const second = await f.run(f.mfa.verify(context('bob')));
    if (first.kind !== 'challenge' || second.kind !== 'challenge') throw new Error('expected challenges');
    const code = bobCode(f.clock.now());
    expect(await f.run(f.mfa.submitCode(context('bob'), first.session, code))).toMatchObject({
      kind: 'allow',
    });
    expect(await f.run(f.mfa.submitCode(context('bob'), second.session, code))).toMatchObject({
      kind: 'deny',
      reason: 'OathCodeReplayed',
    });
  });

  it('erin: an SMS, the texted code accepted, a wrong one denied', async () => {
    const f = await fixture();
    const challenge = await f.run(f.mfa.verify(context('erin')));
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    expect(challenge.prompt).toMatch(/sent to .*05$/);
    const sms = f.mock.service.outbox.latest({ user: upn('erin') });
    expect(sms).toBeDefined();
    expect(await f.run(f.mfa.submitCode(context('erin'), challenge.session, '1'))).toMatchObject({
      kind: 'deny',
      reason: 'SMSAuthFailedWrongCodeEntered',
    });
    expect(await f.run(f.mfa.submitCode(context('erin'), challenge.session, sms?.code ?? ''))).toMatchObject({
      kind: 'allow',
      reason: 'mfa-code-accepted',
      mfaMethod: 'sms',
    });
  });

  it('a code submitted after the session expired (3 min) is denied with InvalidSession', async () => {
    const f = await fixture();
    const challenge = await f.run(f.mfa.verify(context('bob')));
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    await f.clock.advance(180_000);
    const stale = await f.run(f.mfa.submitCode(context('bob'), challenge.session, bobCode(f.clock.now())));
    expect(stale).toMatchObject({ kind: 'deny', reason: 'InvalidSession' });
  });

  it('one millisecond before the 3 minutes, the code still counts', async () => {
    const f = await fixture();
    const challenge = await f.run(f.mfa.verify(context('bob')));
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    await f.clock.advance(179_999);
    const late = await f.run(f.mfa.submitCode(context('bob'), challenge.session, bobCode(f.clock.now())));
    expect(late).toMatchObject({ kind: 'allow' });
  });

  it('MS-CHAPv2 and EAP carry no code: REQUEST_MISSING_CODE, and nobody is texted', async () => {
    const f = await fixture();
    for (const method of ['mschapv2', 'eap-mschapv2'] as const) {
      expect(await f.run(f.mfa.verify(context('bob', { method })))).toMatchObject({
        kind: 'deny',
        reason: 'REQUEST_MISSING_CODE',
      });
      expect(await f.run(f.mfa.verify(context('erin', { method })))).toMatchObject({
        kind: 'deny',
        reason: 'REQUEST_MISSING_CODE',
      });
    }
    expect(f.mock.service.outbox.list()).toEqual([]);
    expect(await f.run(f.mfa.verify(context('alice', { method: 'mschapv2' })))).toMatchObject({
      kind: 'allow',
    });
  });
});

describe('registry settings', () => {
  it('REQUIRE_USER_MATCH: not enrolled and unknown users are denied; with FALSE they pass without MFA', async () => {
    const strict = await fixture();
    expect(await strict.run(strict.mfa.verify(context('dave')))).toMatchObject({
      kind: 'deny',
      reason: 'UserNotEnrolled',
    });
    expect(await strict.run(strict.mfa.verify(context('zoe')))).toMatchObject({
      kind: 'deny',
      reason: 'UserNotFound',
    });
    const lax = await fixture({ REQUIRE_USER_MATCH: 'FALSE' });
    expect(await lax.run(lax.mfa.verify(context('dave')))).toMatchObject({ kind: 'allow' });
    expect(await lax.run(lax.mfa.verify(context('zoe')))).toMatchObject({ kind: 'allow' });
    // Enrolled users still answer their prompt.
    expect(await lax.run(lax.mfa.verify(context('carol')))).toMatchObject({
      kind: 'deny',
      reason: 'mfa-denied',
    });
    // A user outside the tenant's domains is an AccessDenied, never let through.
    const stranger = context('mallet', {
      user: user('mallet', { userPrincipalName: 'mallet@elsewhere.test' }),
    });
    expect(await lax.run(lax.mfa.verify(stranger))).toMatchObject({ kind: 'deny', reason: 'AccessDenied' });
  });

  it('IP_WHITELIST: a listed NAS-IP-Address makes no call at all; a missing one warns', async () => {
    const f = await fixture({ IP_WHITELIST: ['10.0.0.0/8'] });
    expect(await f.run(f.mfa.verify(context('frank', { nasIpAddress: '10.1.2.3' })))).toEqual({
      kind: 'allow',
      reason: 'ip-whitelisted',
      at: 0,
    });
    expect(f.mock.service.history.list()).toEqual([]);
    expect(await f.run(f.mfa.verify(context('carol')))).toMatchObject({ kind: 'deny', reason: 'mfa-denied' });
    expect(f.warnings).toMatchObject([{ code: 'ip-whitelist-no-nas-ip' }]);
  });

  it('LDAP_ALTERNATE_LOGINID_ATTRIBUTE: the attribute names the user; without it, the UPN and a warning', async () => {
    const f = await fixture({ LDAP_ALTERNATE_LOGINID_ATTRIBUTE: 'mail' });
    const withMail = context('alice', {
      user: user('alice', { attributes: { mail: ['alice.anderson@radmfa.test'] } }),
    });
    expect(await f.run(f.mfa.verify(withMail))).toMatchObject({ kind: 'allow' });
    expect(await f.run(f.mfa.verify(context('alice')))).toMatchObject({ kind: 'allow' });
    expect(f.mock.service.history.list({ endpoint: 'begin' }).map((c) => c.user)).toEqual([
      'alice.anderson@radmfa.test',
      upn('alice'),
    ]);
    expect(f.warnings).toMatchObject([{ code: 'alternate-login-id-missing' }]);
  });

  it('OVERRIDE_NUMBER_MATCHING_WITH_OTP asks the service for the app code first', async () => {
    const tenant = demoTenantVariant((t) => {
      const users = t.users as Record<string, unknown>[];
      t.users = users.map((u) =>
        u.upn === upn('alice')
          ? {
              ...u,
              methods: ['push', 'app_code'],
              defaultMethod: 'push',
              totp: { secret: DEMO_TOTP_SECRET, algorithm: 'SHA1', digits: 6, period: 30 },
            }
          : u,
      );
    });
    const on = await fixture({ OVERRIDE_NUMBER_MATCHING_WITH_OTP: true }, tenant);
    expect(await on.run(on.mfa.verify(context('alice')))).toMatchObject({ kind: 'challenge' });
    expect(await on.run(on.mfa.verify(context('alice', { method: 'mschapv2' })))).toMatchObject({
      kind: 'allow',
      mfaMethod: 'push',
    });
    const off = await fixture({ OVERRIDE_NUMBER_MATCHING_WITH_OTP: false }, tenant);
    expect(await off.run(off.mfa.verify(context('alice')))).toMatchObject({
      kind: 'allow',
      mfaMethod: 'push',
    });
  });
});

describe('a stale State through the reference server (virtual time)', () => {
  const stacks: VirtualMfaStack[] = [];
  afterEach(async () => {
    for (const stack of stacks.splice(0)) await stack.close();
  });

  /** bob types his code `typingMs` after the Access-Challenge. */
  async function bobTypesAfter(typingMs: number, mfa: Record<string, unknown> = {}) {
    const stack = await startVirtualMfaStack({ msw, mfa });
    stacks.push(stack);
    const nas = stack.nas({ profile: 'nps-recommended' });
    const login = nas.login({
      method: 'pap',
      user: 'bob',
      password: DEMO_PASSWORD,
      challengeResponder: async () => {
        await stack.clock.sleep(typingMs);
        return bobCode(stack.clock.now());
      },
    });
    const result = await settle(stack.clock, login, { stepMs: 1_000, limitMs: 400_000 });
    return { result, reason: stack.events.access.at(-1)?.reason };
  }

  it('a code typed within the 3 minutes is accepted', async () => {
    const { result, reason } = await bobTypesAfter(170_000);
    expect(result.outcome).toBe('accept');
    expect(reason).toBe('mfa-code-accepted');
  });

  it('after 3 minutes the State itself has expired (challengeTtlMs = the session lifetime)', async () => {
    const { result, reason } = await bobTypesAfter(181_000);
    expect(result.outcome).toBe('reject');
    expect(reason).toBe('unknown-or-expired-state');
  });

  it('with a State that outlives the session, the service answers InvalidSession', async () => {
    const { result, reason } = await bobTypesAfter(181_000, { challengeTtlMs: 300_000 });
    expect(result.outcome).toBe('reject');
    expect(reason).toBe('InvalidSession');
  });
});
