// REQUIRE_USER_MATCH through the reference server in virtual time (MemoryDirectory, the MFA mock in
// process): FALSE lets through only users the MFA service says are not enrolled. A directory user
// without a userPrincipalName is a configuration problem, rejected whatever the setting says, without
// a call to the service. And the server warns at start-up about the settings that weaken MFA.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startVirtualMfaStack, upn, type VirtualMfaStack } from '../../support/mfa-stack.ts';
import { settle } from '../../support/radius-test-client.ts';

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterAll(() => msw.close());

const stacks: VirtualMfaStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

async function stack(mfa: Record<string, unknown>): Promise<VirtualMfaStack> {
  const started = await startVirtualMfaStack({ msw, mfa });
  stacks.push(started);
  // In the directory, not in the tenant: the service answers UserNotFound for this UPN.
  started.directory.addUser({
    name: 'newbie',
    password: DEMO_PASSWORD,
    userPrincipalName: upn('newbie'),
    groups: ['VPN-Users'],
  });
  // In the directory without a UPN (and in the tenant's domain by name, had it one).
  started.directory.addUser({ name: 'noupn', password: DEMO_PASSWORD, groups: ['VPN-Users'] });
  return started;
}

async function login(s: VirtualMfaStack, user: string) {
  const nas = s.nas({ profile: 'nps-recommended' });
  const result = await settle(s.clock, nas.login({ method: 'pap', user, password: DEMO_PASSWORD }), {
    stepMs: 1_000,
    limitMs: 400_000,
  });
  const event = s.events.access.filter((e) => e.userName === user).at(-1);
  return { outcome: result.outcome, event };
}

describe.each([
  ['TRUE', true],
  ['FALSE', false],
] as const)('REQUIRE_USER_MATCH %s', (spelling, strict) => {
  it('a directory user without a userPrincipalName is rejected, the service never asked', async () => {
    const s = await stack({ REQUIRE_USER_MATCH: spelling });
    const { outcome, event } = await login(s, 'noupn');
    expect(outcome).toBe('reject');
    expect(event).toMatchObject({ outcome: 'reject', reason: 'user-identifier-missing' });
    expect(s.mock.service.history.list({ endpoint: 'begin' })).toEqual([]);
    expect(s.events.warnings).toContainEqual(
      expect.objectContaining({ code: 'user-identifier-missing', userName: 'noupn' }),
    );
  });

  it(`a user with a UPN the tenant does not know is ${strict ? 'rejected' : 'let in without MFA'}`, async () => {
    const s = await stack({ REQUIRE_USER_MATCH: spelling });
    const { outcome, event } = await login(s, 'newbie');
    expect(s.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
      { user: upn('newbie'), result: 'UserNotFound' },
    ]);
    if (strict) {
      expect(outcome).toBe('reject');
      expect(event).toMatchObject({ outcome: 'reject', reason: 'UserNotFound' });
    } else {
      expect(outcome).toBe('accept');
      expect(event).toMatchObject({
        outcome: 'accept',
        reason: 'user-not-enrolled-allowed',
        mfa: { code: 'UserNotFound' },
      });
    }
  });

  it('an enrolled user still gets MFA: alice is pushed and approves, carol is pushed and denies', async () => {
    const s = await stack({ REQUIRE_USER_MATCH: spelling });
    const alice = await login(s, 'alice');
    const carol = await login(s, 'carol');
    expect(alice.outcome).toBe('accept');
    expect(alice.event).toMatchObject({ reason: 'mfa-approved', mfa: { method: 'push' } });
    expect(carol.outcome).toBe('reject');
    expect(carol.event).toMatchObject({ reason: 'mfa-denied' });
    expect(s.begins(upn('alice'))).toBe(1);
    expect(s.begins(upn('carol'))).toBe(1);
  });
});

describe('start-up warnings', () => {
  it('REQUIRE_USER_MATCH FALSE: one warning, published when the server starts, saying to remove it', async () => {
    const s = await stack({ REQUIRE_USER_MATCH: 'FALSE' });
    expect(s.events.warnings).toEqual([
      {
        code: 'require-user-match-false',
        message: expect.stringMatching(/remove before production/i) as string,
      },
    ]);
  });

  it('fail-open: one warning at start-up; both settings: both warnings', async () => {
    const open = await stack({ failMode: 'fail-open' });
    expect(open.events.warnings.map((w) => w.code)).toEqual(['fail-open-configured']);
    const both = await stack({ failMode: 'fail-open', REQUIRE_USER_MATCH: false });
    expect(both.events.warnings.map((w) => w.code)).toEqual([
      'require-user-match-false',
      'fail-open-configured',
    ]);
  });

  it('the defaults (REQUIRE_USER_MATCH TRUE, fail-closed): no warning', async () => {
    const s = await stack({});
    expect(s.events.warnings).toEqual([]);
  });
});
