// The MFA service failing: down, slow, 5xx, token errors, dropped connections. Fail-closed (the
// default) rejects with a reason naming the failure; fail-open accepts and says so loudly. Most of it
// in virtual time (the mock in process through msw/node), the transport distinctions (connection
// refused vs dropped) over real loopback HTTP, where they exist.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSettings } from '../../protocol/mfa-api.ts';
import type { LoginResult } from '../../simulators/nas/index.ts';
import {
  DEMO_PASSWORD,
  startMfaStack,
  startVirtualMfaStack,
  upn,
  type RunningMfaStack,
  type VirtualMfaStack,
} from '../support/mfa-stack.ts';
import { settle } from '../support/radius-test-client.ts';

// msw patches the process's fetch while it listens: only the in-process describes below keep it on,
// the ones over loopback HTTP need the real fetch.
const msw = setupServer();
const inProcess = (): void => {
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => msw.close());
};

const stacks: VirtualMfaStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

async function start(mfa: Record<string, unknown> = {}): Promise<VirtualMfaStack> {
  const stack = await startVirtualMfaStack({ msw, mfa });
  stacks.push(stack);
  return stack;
}

/** One PAP login by a NAS that waits 60 s (nps-recommended), run to its end in virtual time. */
function login(
  stack: VirtualMfaStack,
  user: string,
  accessAttributes?: readonly { name: string; value: string }[],
): Promise<LoginResult> {
  const nas = stack.nas({
    profile: 'nps-recommended',
    ...(accessAttributes !== undefined ? { accessAttributes } : {}),
  });
  return nas.login({ method: 'pap', user, password: DEMO_PASSWORD });
}

function access(stack: VirtualMfaStack, user: string) {
  const event = stack.events.access.filter((e) => e.userName === user).at(-1);
  if (event === undefined) throw new Error(`no access event for ${user}`);
  return event;
}

interface FaultCase {
  readonly name: string;
  readonly faults: FaultSettings;
  /** The MFA service's error code behind the reason (`mfa.code` of the access event). */
  readonly code: RegExp;
  /** The event's `detail`, when it says something exact. */
  readonly message?: string;
  /** When the server decides, ms after the request (virtual time). */
  readonly decidedAtMs: number;
}

const CASES: readonly FaultCase[] = [
  {
    name: 'down (nothing answers)',
    faults: { unreachable: {} },
    // In process msw can only fail the fetch; over HTTP (below) it is a refused connection.
    code: /^HTTP_CONNECT_ERROR$/,
    decidedAtMs: 0,
  },
  {
    name: 'slow (15 s, longer than httpTimeoutMs 10 s)',
    faults: { latency: { ms: 15_000, endpoints: ['begin'] } },
    code: /^HTTPS_COMMUNICATION_ERROR$/,
    message: 'no answer within 10000 ms',
    decidedAtMs: 10_000,
  },
  {
    name: '5xx',
    faults: { serverError: { status: 503 } },
    code: /^ServiceUnavailable$/,
    decidedAtMs: 0,
  },
  {
    name: 'token refused',
    faults: { tokenError: {} },
    code: /^ESTS_TOKEN_ERROR$/,
    decidedAtMs: 0,
  },
  {
    name: 'connection dropped',
    faults: { drop: { endpoints: ['begin'] } },
    // In process a drop and a refusal are the same failed fetch; over HTTP (below) they differ.
    code: /^HTTPS?_(CONNECT|COMMUNICATION)_ERROR$/,
    decidedAtMs: 0,
  },
];

describe('fail-closed (default): the login is rejected, the reason names the failure', () => {
  inProcess();

  for (const c of CASES) {
    it(c.name, async () => {
      const stack = await start();
      stack.mock.service.faults.set(c.faults);
      const result = await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 });
      expect(result.outcome).toBe('reject');
      const event = access(stack, 'alice');
      expect(event.outcome).toBe('reject');
      expect(event.reason).toBe('mfa-unavailable');
      expect(event.mfa?.code).toMatch(c.code);
      if (c.message !== undefined) expect(event.detail).toBe(c.message);
      expect(event.durationMs).toBe(c.decidedAtMs);
      expect(stack.events.warnings).toEqual([]);
    });
  }

  it('a response lost after the push went out: rejected, and the push is not sent again', async () => {
    const stack = await start();
    stack.mock.service.faults.set({ drop: { endpoints: ['begin'], afterProcessing: true, times: 1 } });
    const result = await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 });
    expect(result.outcome).toBe('reject');
    expect(stack.mock.service.history.list({ endpoint: 'begin' })).toMatchObject([
      { user: upn('alice'), httpStatus: 0 },
    ]);
  });

  it('the service failing during the long-poll (5xx on poll): rejected', async () => {
    const stack = await start();
    stack.mock.service.faults.set({ serverError: { endpoints: ['poll'] } });
    const result = await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 });
    expect(result.outcome).toBe('reject');
    expect(access(stack, 'alice')).toMatchObject({
      reason: 'mfa-unavailable',
      mfa: { code: 'ServiceUnavailable' },
    });
    expect(stack.begins(upn('alice'))).toBe(1);
  });

  it('the service recovers: the next login goes through', async () => {
    const stack = await start();
    stack.mock.service.faults.set({ serverError: { times: 1 } });
    expect((await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 })).outcome).toBe('reject');
    expect((await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 })).outcome).toBe('accept');
  });
});

describe('fail-open: accepted without a second factor, with a loud warning', () => {
  inProcess();

  for (const c of CASES) {
    it(c.name, async () => {
      const stack = await start({ failMode: 'fail-open' });
      stack.mock.service.faults.set(c.faults);
      const result = await settle(stack.clock, login(stack, 'alice'), { stepMs: 100 });
      expect(result.outcome).toBe('accept');
      const event = access(stack, 'alice');
      expect(event.reason).toBe('fail-open');
      expect(event.mfa?.code).toMatch(c.code);
      // The start-up warning about the setting, then the one about this login.
      expect(stack.events.warnings.map((w) => w.code)).toEqual(['fail-open-configured', 'mfa-fail-open']);
      expect(stack.events.warnings[1]).toMatchObject({ code: 'mfa-fail-open', userName: 'alice' });
      expect(stack.events.warnings[1]?.message).toMatch(/FAIL-OPEN/);
    });
  }

  it('is not a way around an answer: a denial, a not-enrolled user and a timeout still reject', async () => {
    const stack = await start({ failMode: 'fail-open', approvalTimeoutMs: 5_000 });
    const [carol, dave, frank] = await settle(
      stack.clock,
      Promise.all([login(stack, 'carol'), login(stack, 'dave'), login(stack, 'frank')]),
      { stepMs: 100 },
    );
    expect([carol.outcome, dave.outcome, frank.outcome]).toEqual(['reject', 'reject', 'reject']);
    expect(access(stack, 'carol').reason).toBe('mfa-denied');
    expect(access(stack, 'dave').reason).toBe('UserNotEnrolled');
    expect(access(stack, 'frank').reason).toBe('mfa-timeout');
    expect(stack.events.warnings.map((w) => w.code)).toEqual(['fail-open-configured']);
  });
});

describe('no head-of-line blocking', () => {
  inProcess();

  it('while the MFA service is slow (8 s per begin), a whitelisted NAS and other users are served at once', async () => {
    const stack = await start({ IP_WHITELIST: ['10.20.30.40'], httpTimeoutMs: 20_000 });
    stack.mock.service.faults.set({ latency: { ms: 8_000, endpoints: ['begin'] } });
    const t0 = stack.clock.now();
    const judy = login(stack, 'judy'); // 8 s of latency, then a 45 s push
    await stack.clock.advance(1_000);
    const carol = login(stack, 'carol'); // 8 s of latency, then denies after 3 s
    await stack.clock.advance(1_000);
    const alice = login(stack, 'alice', [{ name: 'NAS-IP-Address', value: '10.20.30.40' }]);
    const aliceResult = await settle(stack.clock, alice, { stepMs: 10 });
    // Answered at 2 s, when it came, though two logins are waiting on the MFA service.
    expect(aliceResult.outcome).toBe('accept');
    expect(aliceResult.totalTimeMs).toBe(0);
    expect(access(stack, 'alice').reason).toBe('ip-whitelisted');
    expect(stack.server.stats().inFlight).toBe(2);

    // carol's slow begin does not wait behind judy's: each login waits only for its own calls.
    const carolResult = await settle(stack.clock, carol, { stepMs: 100 });
    expect(carolResult.outcome).toBe('reject');
    expect(stack.clock.now() - t0).toBe(1_000 + 8_000 + 3_000);
    const judyResult = await settle(stack.clock, judy, { stepMs: 100 });
    expect(judyResult.outcome).toBe('accept');
    expect(stack.clock.now() - t0).toBe(8_000 + 45_000);
  });
});

describe('over loopback HTTP: a refused connection and a dropped one are told apart', () => {
  const real: RunningMfaStack[] = [];
  afterEach(async () => {
    for (const stack of real.splice(0)) await stack.close();
  });

  async function startReal(mfa: Record<string, unknown> = {}): Promise<RunningMfaStack> {
    const stack = await startMfaStack({ mfa });
    real.push(stack);
    return stack;
  }

  it('the mock down (listener closed): HTTP_CONNECT_ERROR, rejected; accepted in fail-open', async () => {
    for (const failMode of ['fail-closed', 'fail-open'] as const) {
      const stack = await startReal({ failMode });
      stack.mock.service.faults.set({ unreachable: {} });
      await stack.stack.mfaHttp?.settled();
      const result = await stack.login({ user: 'alice' });
      const event = stack.events.access.at(-1);
      if (failMode === 'fail-closed') {
        expect(result.outcome).toBe('reject');
        expect(event).toMatchObject({ reason: 'mfa-unavailable', mfa: { code: 'HTTP_CONNECT_ERROR' } });
        expect(event?.detail).toMatch(/ECONNREFUSED/);
      } else {
        expect(result.outcome).toBe('accept');
        expect(event).toMatchObject({ reason: 'fail-open', mfa: { code: 'HTTP_CONNECT_ERROR' } });
        expect(stack.events.warnings).toMatchObject([
          { code: 'fail-open-configured' },
          { code: 'mfa-fail-open' },
        ]);
      }
    }
  });

  it('the connection dropped mid-request: HTTPS_COMMUNICATION_ERROR, rejected', async () => {
    const stack = await startReal();
    stack.mock.service.faults.set({ drop: { endpoints: ['token'] } });
    const result = await stack.login({ user: 'alice' });
    expect(result.outcome).toBe('reject');
    expect(stack.events.access.at(-1)).toMatchObject({
      reason: 'mfa-unavailable',
      mfa: { code: 'HTTPS_COMMUNICATION_ERROR' },
    });
    expect(stack.begins(upn('alice'))).toBe(0);
  });

  it('slow (latency over httpTimeoutMs): HTTPS_COMMUNICATION_ERROR, rejected', async () => {
    const stack = await startReal({ httpTimeoutMs: 300 });
    stack.mock.service.faults.set({ latency: { ms: 2_000, endpoints: ['token'] } });
    const result = await stack.login({ user: 'alice' });
    expect(result.outcome).toBe('reject');
    expect(stack.events.access.at(-1)).toMatchObject({
      reason: 'mfa-unavailable',
      detail: 'no answer within 300 ms',
      mfa: { code: 'HTTPS_COMMUNICATION_ERROR' },
    });
  });
});
