// The seed's story ("RADIUS protocol behavior and the NPS extension"), in virtual time: a VPN server
// that times out before the user answers the push retransmits; the server must recognise the
// retransmissions as duplicates and discard them, so the phone rings once. RADIUS over a
// MemoryNetwork, the directory in memory, the MFA mock's msw handlers in process, one VirtualClock:
// a 45 s approval takes no wall-clock time and every instant below is exact.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PacketCode } from '../../protocol/index.ts';
import type { LoginResult, RetryPolicyInput, TraceEvent } from '../../simulators/nas/index.ts';
import {
  DEMO_PASSWORD,
  DEMO_SECRET,
  startVirtualMfaStack,
  upn,
  type VirtualMfaStack,
} from '../support/mfa-stack.ts';
import { RadiusTestClient, settle } from '../support/radius-test-client.ts';

const msw = setupServer();
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
afterAll(() => msw.close());

const stacks: VirtualMfaStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

async function start(config?: Record<string, unknown>): Promise<VirtualMfaStack> {
  const stack = await startVirtualMfaStack({ msw, ...(config !== undefined ? { config } : {}) });
  stacks.push(stack);
  return stack;
}

/** The seed's short-timeout VPN server: 5 s per try, 3 retransmissions. */
const SHORT_SAME: RetryPolicyInput = { kind: 'fixed', timeoutMs: 5_000, retries: 3, retransmission: 'same' };
const SHORT_NAIVE: RetryPolicyInput = { ...SHORT_SAME, retransmission: 'naive' };

async function judyLogs(
  stack: VirtualMfaStack,
  nasOptions: { profile?: string; policy?: RetryPolicyInput },
): Promise<LoginResult> {
  const nas = stack.nas(nasOptions);
  const login = nas.login({ method: 'pap', user: 'judy', password: DEMO_PASSWORD });
  return settle(stack.clock, login, { stepMs: 100, limitMs: 200_000 });
}

/** Instants (ms after the login began) of the datagrams the NAS sent. */
function sendTimes(result: LoginResult): number[] {
  return result.trace
    .filter(
      (e): e is Extract<TraceEvent, { kind: 'send' | 'retransmit' }> =>
        e.kind === 'send' || e.kind === 'retransmit',
    )
    .map((e) => e.at - result.startedAt);
}

function identifiers(result: LoginResult): number[] {
  return result.trace
    .filter(
      (e): e is Extract<TraceEvent, { kind: 'send' | 'retransmit' }> =>
        e.kind === 'send' || e.kind === 'retransmit',
    )
    .map((e) => e.identifier);
}

describe('judy approves after 45 s; the NAS waits 5 s and retries 3 times (RFC 5080 retransmission)', () => {
  it('sends 4 identical datagrams, the server sends ONE push and discards 3 duplicates, the NAS gives up at 20 s', async () => {
    const stack = await start();
    const result = await judyLogs(stack, { policy: SHORT_SAME });

    expect(result.outcome).toBe('timeout');
    expect(result.transmissions).toBe(4);
    expect(sendTimes(result)).toEqual([0, 5_000, 10_000, 15_000]);
    // Same Identifier, same Request Authenticator: a retransmission, not a new request (RFC 5080 2.2.1).
    expect(new Set(identifiers(result)).size).toBe(1);
    expect(result.finishedAt - result.startedAt).toBe(20_000);

    expect(stack.begins(upn('judy'))).toBe(1);
    expect(stack.events.duplicates).toHaveLength(3);
    expect(stack.events.duplicates.every((d) => d.action === 'discard' && d.reason === 'in-flight')).toBe(
      true,
    );
    expect(stack.events.duplicates.map((d) => d.duplicates)).toEqual([1, 2, 3]);
    expect(stack.server.stats().duplicates).toMatchObject({ new: 1, discardedInFlight: 3, replayed: 0 });
    expect(stack.events.access).toEqual([]);

    // judy approves 25 s after the NAS gave up: the server answers into the void, still one push.
    await stack.clock.advance(30_000);
    expect(stack.events.access).toMatchObject([{ outcome: 'accept', userName: 'judy', durationMs: 45_000 }]);
    expect(stack.begins(upn('judy'))).toBe(1);
  });

  it('with the 60 s timeout the seed recommends (nps-recommended), one datagram, one push, accepted at 45 s', async () => {
    const stack = await start();
    const result = await judyLogs(stack, { profile: 'nps-recommended' });

    expect(result.outcome).toBe('accept');
    expect(result.transmissions).toBe(1);
    expect(result.totalTimeMs).toBe(45_000);
    expect(stack.begins(upn('judy'))).toBe(1);
    expect(stack.events.duplicates).toEqual([]);
  });

  it('naive retransmissions (a new Identifier each time) are new requests: four pushes', async () => {
    const stack = await start();
    const result = await judyLogs(stack, { policy: SHORT_NAIVE });

    expect(result.outcome).toBe('timeout');
    expect(sendTimes(result)).toEqual([0, 5_000, 10_000, 15_000]);
    expect(new Set(identifiers(result)).size).toBe(4);
    // Nothing for the server to recognise: four logins, four prompts on judy's phone.
    expect(stack.begins(upn('judy'))).toBe(4);
    expect(stack.events.duplicates).toEqual([]);
    expect(stack.server.stats().duplicates).toMatchObject({ new: 4, discardedInFlight: 0 });

    // She approves each push 45 s after it came: four Access-Accepts nobody waits for.
    await stack.clock.advance(45_000);
    expect(stack.events.access.map((e) => e.durationMs)).toEqual([45_000, 45_000, 45_000, 45_000]);
  });

  it('a NAS that waits 20 s: same outcome either way, but naive mode rings the phone 3 times, RFC 5080 mode once', async () => {
    const slow: RetryPolicyInput = { kind: 'fixed', timeoutMs: 20_000, retries: 3 };
    const same = await start();
    const sameResult = await judyLogs(same, { policy: { ...slow, retransmission: 'same' } });
    const naive = await start();
    const naiveResult = await judyLogs(naive, { policy: { ...slow, retransmission: 'naive' } });

    for (const result of [sameResult, naiveResult]) {
      expect(result.outcome).toBe('accept');
      expect(result.totalTimeMs).toBe(45_000);
      expect(sendTimes(result)).toEqual([0, 20_000, 40_000]);
    }
    expect(same.begins(upn('judy'))).toBe(1);
    expect(same.events.duplicates).toHaveLength(2);
    // In naive mode the first request's answer is still taken (the NAS keeps listening for it), but
    // the second and third requests each sent a push.
    expect(naive.begins(upn('judy'))).toBe(3);
    expect(naive.events.duplicates).toEqual([]);
  });
});

describe('the 10 s after a response (nps duplicate profile)', () => {
  it('discards the same request until 10 s after the Accept, then treats it as new (a second push)', async () => {
    const stack = await start();
    const client = await RadiusTestClient.open({
      transport: stack.network,
      clock: stack.clock,
      server: stack.endpoint,
      secret: DEMO_SECRET,
    });
    const request = client.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: DEMO_PASSWORD },
    ]);
    await client.send(request.bytes);
    const first = await settle(stack.clock, client.replyTo(request, 10_000), { stepMs: 100 });
    expect(first?.packet.code).toBe(PacketCode.AccessAccept);
    const answeredAt = stack.clock.now();
    expect(stack.elapsed()).toBe(2_000);
    expect(stack.begins(upn('alice'))).toBe(1);
    const firstBegin = stack.mock.service.history.last({ endpoint: 'begin' })?.seq ?? 0;

    // 9.999 s after the Accept: discarded, no answer, no prompt.
    await stack.clock.advanceTo(answeredAt + 9_999);
    await client.send(request.bytes);
    await stack.clock.advance(0);
    expect(stack.events.duplicates).toMatchObject([{ action: 'discard', reason: 'recently-answered' }]);
    expect(client.repliesTo(request)).toHaveLength(1);
    expect(stack.begins(upn('alice'))).toBe(1);

    // At 10 s the window is closed: the same bytes are a new login, and alice's phone rings again.
    await stack.clock.advanceTo(answeredAt + 10_000);
    await client.send(request.bytes);
    await settle(stack.clock, stack.mock.service.history.waitFor({ endpoint: 'begin', since: firstBegin }), {
      stepMs: 10,
    });
    expect(stack.begins(upn('alice'))).toBe(2);
    expect(stack.events.duplicates).toHaveLength(1);
    await stack.clock.advance(2_000);
    expect(client.repliesTo(request)).toHaveLength(2);
    expect(stack.server.stats().duplicates).toMatchObject({ new: 2, discardedRecentlyAnswered: 1 });
    await client.close();
  });

  it('a lost Accept: nps discards the retransmissions inside the window and prompts again after it; rfc5080 replays', async () => {
    const lose = (stack: VirtualMfaStack): void => {
      let dropped = false;
      // The server's first datagram (alice's Accept) never arrives.
      stack.network.impairment = (datagram) => {
        if (!dropped && datagram.from.port === stack.endpoint.port) {
          dropped = true;
          return [];
        }
        return [0];
      };
    };
    const policy: RetryPolicyInput = { kind: 'fixed', timeoutMs: 5_000, retries: 3, retransmission: 'same' };

    const nps = await start();
    lose(nps);
    const npsLogin = nps.nas({ policy }).login({ method: 'pap', user: 'alice', password: DEMO_PASSWORD });
    const npsResult = await settle(nps.clock, npsLogin, { stepMs: 100 });
    // Accept lost at 2 s; retransmissions at 5 and 10 s fall in the window (until 12 s) and are
    // discarded; the one at 15 s is a new login: a second push, accepted at 17 s.
    expect(npsResult.outcome).toBe('accept');
    expect(sendTimes(npsResult)).toEqual([0, 5_000, 10_000, 15_000]);
    expect(npsResult.totalTimeMs).toBe(17_000);
    expect(nps.begins(upn('alice'))).toBe(2);
    expect(nps.events.duplicates.map((d) => d.reason)).toEqual(['recently-answered', 'recently-answered']);

    const rfc = await start({ duplicates: { profile: 'rfc5080' } });
    lose(rfc);
    const rfcLogin = rfc.nas({ policy }).login({ method: 'pap', user: 'alice', password: DEMO_PASSWORD });
    const rfcResult = await settle(rfc.clock, rfcLogin, { stepMs: 100 });
    // RFC 5080 2.2.2: the cached Accept answers the retransmission at 5 s; one push.
    expect(rfcResult.outcome).toBe('accept');
    expect(rfcResult.totalTimeMs).toBe(5_000);
    expect(rfc.begins(upn('alice'))).toBe(1);
    expect(rfc.events.duplicates).toMatchObject([{ action: 'replay' }]);
  });
});
