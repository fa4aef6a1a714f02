// The NPS extension's smaller seed points through the reference server (virtual time, the MFA mock
// in process): a hardware OATH token is the code asked for under OVERRIDE_NUMBER_MATCHING_WITH_OTP,
// an SSPR-only user is asked for MFA even with REQUIRE_USER_MATCH FALSE, and a method switched off
// for the tenant is never used.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_PASSWORD,
  demoTenantVariant,
  startVirtualMfaStack,
  upn,
  type VirtualMfaStack,
} from '../../support/mfa-stack.ts';
import { settle } from '../../support/radius-test-client.ts';

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterAll(() => msw.close());

const stacks: VirtualMfaStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

/** alice: push by default, plus a hardware token; erin: SMS, registered through SSPR only. */
const tenant = demoTenantVariant((t) => {
  const users = t.users as Record<string, unknown>[];
  t.users = users.map((u) => {
    if (u.upn === upn('alice'))
      return {
        ...u,
        methods: ['push', 'oath_token'],
        defaultMethod: 'push',
        oathToken: { serial: 'HW-0001', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' },
      };
    if (u.upn === upn('erin')) return { ...u, registeredFor: ['sspr'] };
    return u;
  });
});

async function stack(mfa: Record<string, unknown>): Promise<VirtualMfaStack> {
  const started = await startVirtualMfaStack({ msw, mfa, tenant });
  stacks.push(started);
  return started;
}

/** A PAP login whose code prompt (if any) is recorded and answered with a wrong code. */
async function login(s: VirtualMfaStack, user: string) {
  const prompts: string[] = [];
  const nas = s.nas({ profile: 'nps-recommended' });
  const result = await settle(
    s.clock,
    nas.login({
      method: 'pap',
      user,
      password: DEMO_PASSWORD,
      challengeResponder: (prompt) => {
        prompts.push(prompt.replyMessage ?? '');
        return Promise.resolve('000000');
      },
    }),
    { stepMs: 1_000, limitMs: 400_000 },
  );
  return {
    outcome: result.outcome,
    prompts,
    methods: s.mock.service.history.list({ endpoint: 'begin' }).map((c) => c.result),
  };
}

describe('OVERRIDE_NUMBER_MATCHING_WITH_OTP with a hardware token', () => {
  it('TRUE: the token code is asked for instead of the push', async () => {
    const s = await stack({ OVERRIDE_NUMBER_MATCHING_WITH_OTP: true });
    const { prompts, methods } = await login(s, 'alice');
    expect(methods).toEqual(['enter_token_code']);
    expect(prompts).toEqual(['Enter the code shown on your hardware token']);
  });

  it('FALSE: the push, as before', async () => {
    const s = await stack({ OVERRIDE_NUMBER_MATCHING_WITH_OTP: false });
    const { outcome, methods } = await login(s, 'alice');
    expect(outcome).toBe('accept');
    expect(methods).toEqual(['push_sent']);
  });
});

describe('a user registered only for SSPR', () => {
  it('is asked for MFA (an SMS) even with REQUIRE_USER_MATCH FALSE', async () => {
    const s = await stack({ REQUIRE_USER_MATCH: false });
    const { outcome, prompts, methods } = await login(s, 'erin');
    expect(methods).toEqual(['sms_sent']);
    expect(prompts).toHaveLength(1);
    // The wrong code is refused: no way around the second factor.
    expect(outcome).toBe('reject');
    expect(s.events.access.at(-1)).toMatchObject({
      userName: 'erin',
      reason: 'SMSAuthFailedWrongCodeEntered',
    });
  });
});

describe('a method switched off for the whole tenant', () => {
  it('the token is not offered once oath_token is off: alice gets her push', async () => {
    const s = await stack({ OVERRIDE_NUMBER_MATCHING_WITH_OTP: true });
    s.mock.service.setMethodEnabled('oath_token', false);
    const { outcome, methods } = await login(s, 'alice');
    expect(outcome).toBe('accept');
    expect(methods).toEqual(['push_sent']);
  });
});
