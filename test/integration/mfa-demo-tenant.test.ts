// The second factor end to end over real loopback sockets: the embedded stack (LDAP stub, MFA mock
// over HTTP, reference server) in this process; the real `radmfa nas` command in a child process
// where the command line is what is tested (alice, bob's --otp, --nas-ip), the same simulated NAS in
// this process elsewhere (a spawned command costs seconds of CPU on a two-core box). Each test starts
// its own stack on ephemeral ports, so the mock's call history and the server's events belong to
// that test alone and the tests run concurrently. When a login is decided is asserted in virtual
// time only (the last describe).
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmsOutboxResponse } from '../../protocol/mfa-api.ts';
import { demoTenantFixture } from '../../scenarios/embedded/defaults.ts';
import type { LoginResult } from '../../simulators/nas/index.ts';
import {
  ALICE_PUSH_AND_APP_CODE,
  DEMO_PASSWORD,
  DEMO_TOTP_SECRET,
  loginAttribute,
  loginOver,
  replaceTenantUser,
  replyAttribute,
  startMfaStack,
  startVirtualMfaStack,
  upn,
  writeTenantVariant,
  type RunningMfaStack,
  type StackTweaks,
  type VirtualMfaStack,
} from '../support/mfa-stack.ts';
import { settle } from '../support/radius-test-client.ts';
import { serveTestConfig, startServe } from '../../peers/serve-process.ts';
import { requireTools, runProcess, toolPath } from '../../peers/tools.ts';

const tools = requireTools(['oathtool']);

/** A NAS that waits as the NPS extension documentation recommends (60 s), so one login is one datagram. */
const CLI_LOGIN = ['--profile', 'nps-recommended', '--password', 'Passw0rd!'] as const;

async function withStack<T>(tweaks: StackTweaks, run: (stack: RunningMfaStack) => Promise<T>): Promise<T> {
  const stack = await startMfaStack(tweaks);
  try {
    return await run(stack);
  } finally {
    await stack.close();
  }
}

/** The current TOTP of a base32 secret, from Debian's oathtool (an implementation independent of ours). */
async function oathtoolTotp(secret: string): Promise<string> {
  const result = await runProcess(toolPath('oathtool'), ['--totp', '-b', secret], { timeoutMs: 10_000 });
  expect(result.exitCode, result.stderr).toBe(0);
  const code = result.stdout.trim();
  expect(code).toMatch(/^\d{6}$/);
  return code;
}

function lastAccess(stack: RunningMfaStack, user: string) {
  const event = stack.events.access.filter((e) => e.userName === user).at(-1);
  if (event === undefined) throw new Error(`no access event for ${user}`);
  return event;
}

describe.concurrent('second factor with the demo tenant over real sockets', () => {
  // When alice is accepted (2 s) and frank given up on (3 s) is asserted in virtual time at the end.
  it('alice (push, approves after 2 s), `radmfa nas` PAP: accepted with one datagram, one push', async () => {
    await withStack({}, async (stack) => {
      const run = await stack.nas(['--user', 'alice', ...CLI_LOGIN]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.json.outcome).toBe('accept');
      expect(run.json.transmissions).toBe(1);
      expect(stack.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
        { user: upn('alice'), result: 'push_sent' },
      ]);
      expect(lastAccess(stack, 'alice')).toMatchObject({
        outcome: 'accept',
        reason: 'mfa-approved',
        mfa: { method: 'push', result: 'mfa-approved' },
        policy: 'vpn-admins',
      });
      expect(replyAttribute(run, 'Filter-Id')).toBe('admin-acl');
    });
  });

  it('carol (denies): rejected with mfa-denied after one push', async () => {
    await withStack({}, async (stack) => {
      const result = await stack.login({ user: 'carol' });
      expect(result.outcome).toBe('reject');
      expect(stack.begins(upn('carol'))).toBe(1);
      expect(lastAccess(stack, 'carol')).toMatchObject({ outcome: 'reject', reason: 'mfa-denied' });
    });
  });

  it('frank (never answers): rejected with mfa-timeout under approvalTimeoutMs (3 s), one push', async () => {
    await withStack({ mfa: { approvalTimeoutMs: 3000 } }, async (stack) => {
      const result = await stack.login({ user: 'frank' });
      expect(result.outcome).toBe('reject');
      const event = lastAccess(stack, 'frank');
      expect(event).toMatchObject({ outcome: 'reject', reason: 'mfa-timeout' });
      expect(stack.begins(upn('frank'))).toBe(1);
    });
  });

  it('dave (not enrolled): rejected; with REQUIRE_USER_MATCH FALSE accepted, enrolled users still prompted', async () => {
    await withStack({}, async (stack) => {
      expect((await stack.login({ user: 'dave' })).outcome).toBe('reject');
      expect(lastAccess(stack, 'dave')).toMatchObject({ outcome: 'reject', reason: 'UserNotEnrolled' });
    });
    // The registry spelling, a string, as an administrator would set it.
    await withStack({ mfa: { REQUIRE_USER_MATCH: 'FALSE' } }, async (stack) => {
      const [dave, carol] = await Promise.all([
        stack.login({ user: 'dave' }),
        stack.login({ user: 'carol' }),
      ]);
      expect(dave.outcome).toBe('accept');
      expect(lastAccess(stack, 'dave').reason).toMatch(/^user-not-enrolled-allowed/);
      expect(carol.outcome).toBe('reject');
      expect(lastAccess(stack, 'carol').reason).toBe('mfa-denied');
    });
  });

  it('MS-CHAPv2: bob (app code) rejected with REQUEST_MISSING_CODE, alice (push) accepted', async () => {
    await withStack({}, async (stack) => {
      const [bob, alice] = await Promise.all([
        stack.nas(['--user', 'bob', '--method', 'mschapv2', ...CLI_LOGIN]),
        stack.login({ user: 'alice', method: 'mschapv2' }),
      ]);
      expect(bob.exitCode).toBe(1);
      expect(bob.json.outcome).toBe('reject');
      expect(lastAccess(stack, 'bob')).toMatchObject({
        outcome: 'reject',
        method: 'mschapv2',
        reason: 'REQUEST_MISSING_CODE',
      });
      // The service was asked, and refused to start anything the exchange cannot carry.
      expect(stack.mock.service.history.list({ endpoint: 'begin', user: upn('bob') })).toMatchObject([
        { result: 'REQUEST_MISSING_CODE' },
      ]);

      expect(alice.outcome).toBe('accept');
      expect(alice.msChap2SuccessVerified).toBe(true);
      expect(stack.begins(upn('alice'))).toBe(1);
      expect(lastAccess(stack, 'alice')).toMatchObject({ method: 'mschapv2', reason: 'mfa-approved' });
    });
  });

  it('grace (disabled) and heidi (password expired): rejected without a single call to the MFA service', async () => {
    await withStack({}, async (stack) => {
      const [grace, heidi] = await Promise.all([
        stack.login({ user: 'grace' }),
        stack.login({ user: 'heidi' }),
      ]);
      expect(grace.outcome).toBe('reject');
      expect(heidi.outcome).toBe('reject');
      expect(lastAccess(stack, 'grace').reason).toBe('account-disabled');
      // PASSWORD_EXPIRED and pwdLastSet 0: "must change" wins (protocol/ad-account.ts).
      expect(lastAccess(stack, 'heidi').reason).toBe('password-must-change');
      expect(stack.mock.service.history.list()).toEqual([]);
    });
  });

  it('erin (SMS): Access-Challenge, the code read from the mock over HTTP (GET /_admin/sms), accepted', async () => {
    await withStack({}, async (stack) => {
      const prompts: string[] = [];
      const result = await stack.login({
        user: 'erin',
        challengeResponder: async (challenge) => {
          prompts.push(challenge.replyMessage ?? '');
          const response = await fetch(new URL(`/_admin/sms?user=${upn('erin')}`, stack.mfaUrl));
          const outbox = (await response.json()) as SmsOutboxResponse;
          return outbox.messages.at(-1)?.code ?? null;
        },
      });
      expect(result.outcome).toBe('accept');
      expect(result.challenges).toBe(1);
      expect(prompts).toHaveLength(1);
      // The prompt names the phone with all but its last two digits masked.
      expect(prompts[0]).toMatch(/\*+05\b/);
      expect(stack.mock.service.outbox.list({ user: upn('erin') })).toHaveLength(1);
      expect(lastAccess(stack, 'erin')).toMatchObject({ outcome: 'accept', reason: 'mfa-code-accepted' });
    });
  });

  it('IP_WHITELIST: a listed NAS-IP-Address skips MFA, another does not, none at all warns', async () => {
    await withStack({ mfa: { IP_WHITELIST: '10.20.30.40, 192.0.2.0/24' } }, async (stack) => {
      const [listed, inRange, unlisted] = await Promise.all([
        // carol would deny and frank never answers: accepted only because MFA is skipped.
        stack.nas(['--user', 'carol', '--nas-ip', '10.20.30.40', ...CLI_LOGIN]),
        stack.login({ user: 'frank', attributes: [{ name: 'NAS-IP-Address', value: '192.0.2.77' }] }),
        stack.login({ user: 'alice', attributes: [{ name: 'NAS-IP-Address', value: '10.20.30.41' }] }),
      ]);
      expect(listed.exitCode).toBe(0);
      expect(listed.json.outcome).toBe('accept');
      expect(inRange.outcome).toBe('accept');
      expect(lastAccess(stack, 'carol').reason).toBe('ip-whitelisted');
      expect(stack.begins(upn('carol'))).toBe(0);
      expect(stack.begins(upn('frank'))).toBe(0);
      expect(unlisted.outcome).toBe('accept');
      expect(stack.begins(upn('alice'))).toBe(1);
      expect(stack.events.warnings).toEqual([]);

      const missing = await stack.login({ user: 'alice' });
      expect(missing.outcome).toBe('accept');
      expect(stack.begins(upn('alice'))).toBe(2);
      expect(stack.events.warnings).toMatchObject([{ code: 'ip-whitelist-no-nas-ip', userName: 'alice' }]);
    });
  });

  it('IP_WHITELIST without NAS-IP-Address: `radmfa serve` logs the warning', async () => {
    const serve = await startServe({
      config: (workDir) =>
        serveTestConfig(workDir, {
          duplicates: { profile: 'nps' },
          mfa: { enabled: true, embedded: { tenant: demoTenantFixture }, IP_WHITELIST: ['10.20.30.40'] },
        }),
    });
    try {
      const carol = await loginOver(serve.auth, { user: 'carol' });
      expect(carol.outcome).toBe('reject');
      const warning = await serve.waitForLog((e) => e.event === 'warning');
      // pino level 40 is warn.
      expect(warning).toMatchObject({ code: 'ip-whitelist-no-nas-ip', userName: 'carol', level: 40 });
      const listed = await loginOver(serve.auth, {
        user: 'carol',
        attributes: [{ name: 'NAS-IP-Address', value: '10.20.30.40' }],
      });
      expect(listed.outcome).toBe('accept');
      expect(serve.logEvents().filter((e) => e.event === 'warning')).toHaveLength(1);
    } finally {
      await serve.stop();
    }
  });

  it('LDAP_ALTERNATE_LOGINID_ATTRIBUTE mail: the MFA service is asked about alice by her mail', async () => {
    await withStack({ mfa: { LDAP_ALTERNATE_LOGINID_ATTRIBUTE: 'mail' } }, async (stack) => {
      const result = await stack.login({ user: 'alice' });
      expect(result.outcome).toBe('accept');
      expect(stack.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
        { user: 'alice.anderson@radmfa.test', result: 'push_sent' },
      ]);
      expect(stack.begins(upn('alice'))).toBe(0);
      expect(stack.events.warnings).toEqual([]);
    });
  });
});

describe.skipIf(!tools.available).concurrent('code methods with oathtool (Debian package oathtool)', () => {
  it("bob (app code), `radmfa nas --otp`: Access-Challenge, accepted with oathtool's TOTP, policy attributes kept with crpUsernameStuffing", async () => {
    await withStack({ config: { npsCompat: { crpUsernameStuffing: true } } }, async (stack) => {
      const code = await oathtoolTotp(DEMO_TOTP_SECRET);
      const run = await stack.nas(['--user', 'bob', '--otp', code, ...CLI_LOGIN]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.json).toMatchObject({ outcome: 'accept', challenges: 1, transmissions: 2 });
      expect(stack.events.access.filter((e) => e.userName === 'bob').map((e) => e.outcome)).toEqual([
        'challenge',
        'accept',
      ]);
      expect(stack.mock.service.history.list({ endpoint: 'code' })).toMatchObject([
        { code, result: 'accepted' },
      ]);
      // The nps personality drops them after an OTP challenge; the seed's CrpUsernameStuffing forwards them.
      expect(replyAttribute(run, 'Class')).toBe(`0x${Buffer.from('vpn-users').toString('hex')}`);
      expect(replyAttribute(run, 'Filter-Id')).toBe('user-acl');
      expect(replyAttribute(run, 'Session-Timeout')).toBe(3600);
    });
  });

  it('npsCompat.dropPolicyAttributesAfterChallenge: bob accepted after the OTP without Class or Filter-Id', async () => {
    await withStack(
      { config: { npsCompat: { dropPolicyAttributesAfterChallenge: true } } },
      async (stack) => {
        const code = await oathtoolTotp(DEMO_TOTP_SECRET);
        const [bob, alice] = await Promise.all([
          stack.login({ user: 'bob', challengeResponder: () => Promise.resolve(code) }),
          stack.login({ user: 'alice' }),
        ]);
        expect(bob).toMatchObject({ outcome: 'accept', challenges: 1 });
        expect(loginAttribute(bob, 'Class')).toBeUndefined();
        expect(loginAttribute(bob, 'Filter-Id')).toBeUndefined();
        expect(loginAttribute(bob, 'Session-Timeout')).toBeUndefined();
        // The documented quirk is about OTP challenges only: a push login keeps its attributes.
        expect(alice.outcome).toBe('accept');
        expect(loginAttribute(alice, 'Class')).toBe('vpn-admins');
        expect(loginAttribute(alice, 'Filter-Id')).toBe('admin-acl');
      },
    );
  });

  it('OVERRIDE_NUMBER_MATCHING_WITH_OTP: a push + app code user types the TOTP under PAP, gets push otherwise', async () => {
    const tenant = writeTenantVariant((t) => replaceTenantUser(t, upn('alice'), ALICE_PUSH_AND_APP_CODE));
    try {
      await withStack(
        { mfa: { embedded: { tenant: tenant.file }, OVERRIDE_NUMBER_MATCHING_WITH_OTP: 'TRUE' } },
        async (stack) => {
          const code = await oathtoolTotp(DEMO_TOTP_SECRET);
          const prompts: string[] = [];
          const pap = await stack.login({
            user: 'alice',
            challengeResponder: (challenge) => {
              prompts.push(challenge.replyMessage ?? '');
              return Promise.resolve(code);
            },
          });
          expect(pap).toMatchObject({ outcome: 'accept', challenges: 1 });
          expect(prompts).toEqual([expect.stringMatching(/authenticator app/)]);
          expect(stack.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
            { user: upn('alice'), result: 'enter_app_code' },
          ]);
          expect(stack.mock.service.history.count({ endpoint: 'poll' })).toBe(0);

          // MS-CHAPv2 cannot carry a code: the same user gets the push (Approve/Deny).
          const mschap = await stack.login({ user: 'alice', method: 'mschapv2' });
          expect(mschap).toMatchObject({ outcome: 'accept', challenges: 0 });
          expect(stack.mock.service.history.last({ endpoint: 'begin' })?.result).toBe('push_sent');

          // Users without an app code keep getting Approve/Deny (carol denies).
          const carol = await stack.login({ user: 'carol' });
          expect(carol).toMatchObject({ outcome: 'reject', challenges: 0 });
          expect(lastAccess(stack, 'carol').reason).toBe('mfa-denied');
        },
      );
      // FALSE: the same alice gets her default method, the push, and no prompt for a code.
      await withStack(
        { mfa: { embedded: { tenant: tenant.file }, OVERRIDE_NUMBER_MATCHING_WITH_OTP: 'FALSE' } },
        async (stack) => {
          const pap = await stack.login({ user: 'alice' });
          expect(pap).toMatchObject({ outcome: 'accept', challenges: 0 });
          expect(stack.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
            { user: upn('alice'), result: 'push_sent' },
          ]);
        },
      );
    } finally {
      tenant.remove();
    }
  });
});

// The same two logins on a VirtualClock (RADIUS over a MemoryNetwork, the mock's msw handlers in
// process), where the instants are exact: over real sockets a duration bound is either loose enough to
// prove nothing or flaky on a loaded machine.
describe('when the demo tenant decides, in virtual time', () => {
  const msw = setupServer();
  const stacks: VirtualMfaStack[] = [];
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterEach(async () => {
    for (const stack of stacks.splice(0)) await stack.close();
  });
  afterAll(() => msw.close());

  async function pap(mfa: Record<string, unknown>, user: string): Promise<[VirtualMfaStack, LoginResult]> {
    const stack = await startVirtualMfaStack({ msw, mfa });
    stacks.push(stack);
    const login = stack
      .nas({ profile: 'nps-recommended' })
      .login({ method: 'pap', user, password: DEMO_PASSWORD });
    return [stack, await settle(stack.clock, login, { stepMs: 100 })];
  }

  it('alice approves her push 2 s after it is sent: accepted at exactly 2000 ms, one datagram', async () => {
    const [stack, result] = await pap({}, 'alice');
    expect(result).toMatchObject({ outcome: 'accept', transmissions: 1, totalTimeMs: 2_000 });
    const event = stack.events.access.filter((e) => e.userName === 'alice').at(-1);
    expect(event).toMatchObject({ outcome: 'accept', reason: 'mfa-approved', durationMs: 2_000 });
  });

  it('frank never answers: rejected with mfa-timeout at exactly approvalTimeoutMs (3000 ms)', async () => {
    const [stack, result] = await pap({ approvalTimeoutMs: 3_000 }, 'frank');
    expect(result).toMatchObject({ outcome: 'reject', transmissions: 1, totalTimeMs: 3_000 });
    const event = stack.events.access.filter((e) => e.userName === 'frank').at(-1);
    expect(event).toMatchObject({ outcome: 'reject', reason: 'mfa-timeout', durationMs: 3_000 });
    expect(stack.begins(upn('frank'))).toBe(1);
  });
});
