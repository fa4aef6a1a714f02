// The simulated NAS with each vendor profile against the probe server, in virtual time: the report
// must measure the timeout and transmission count the profile configures (within 10%), tell `same`
// from `naive` retransmission, and report a failover to the secondary as a second prompt.
import { describe, expect, test } from 'vitest';
import { nasProfiles, scheduleBounds, type NasProfileName } from '../../../simulators/nas/index.ts';
import { verdictExit } from '../../../scenarios/nas-validation/session.ts';
import type { NasEntry } from '../../../scenarios/nas-validation/result.ts';
import { PROBE_PROMPT_TIMEOUT_MS, PROBE_USERS } from '../../../scenarios/nas-validation/probe.ts';
import { runVirtual } from './drive.ts';

const verdictOf = (nas: NasEntry, id: string): string | undefined =>
  nas.checks.find((c) => c.id === id)?.verdict;

const within10 = (measured: number | null, configured: number): void => {
  expect(measured).not.toBeNull();
  // +1 ms: jitter is drawn in [-10%, +10%] and then rounded to the millisecond.
  expect(Math.abs((measured ?? 0) - configured)).toBeLessThanOrEqual(configured * 0.1 + 1);
};

const vendorProfiles = (Object.keys(nasProfiles) as NasProfileName[]).filter((name) => name !== 'custom');

describe('validate-nas measures each vendor profile of the simulated NAS', () => {
  test.each(vendorProfiles)(
    '%s: timeout and transmissions as configured, retransmission same',
    async (name) => {
      const profile = nasProfiles[name];
      // probe-never keeps the server silent, so the NAS runs its whole schedule on the primary and fails
      // over to the secondary: the gap before the failover is its last wait, seen even with one transmission.
      const { result } = await runVirtual(
        { steps: [{ login: { user: 'probe-never', profile: name, failover: true } }] },
        { secondary: true },
      );
      const [nas] = result.nas;
      expect(result.nas).toHaveLength(1);
      if (nas === undefined) return;
      const policy = profile.policy;
      if (policy.kind === 'fixed') {
        within10(nas.timeoutMs, policy.timeoutMs);
        expect(nas.transmissions).toBe(policy.retries + 1);
        within10(nas.giveUpMs, policy.timeoutMs * (policy.retries + 1));
      } else {
        within10(nas.timeoutMs, policy.irtMs);
        const bounds = scheduleBounds(policy);
        expect(nas.transmissions).toBeGreaterThanOrEqual(bounds.minTransmissions);
        expect(nas.transmissions).toBeLessThanOrEqual(bounds.maxTransmissions);
        expect(nas.giveUpMs).toBeGreaterThanOrEqual(bounds.minGiveUpMs * 0.9);
        expect(nas.giveUpMs).toBeLessThanOrEqual(bounds.maxGiveUpMs * 1.1);
        expect(nas.backoff).toBe('exponential');
      }
      if (policy.kind === 'fixed' && policy.retries > 0) {
        expect(nas.retransmission).toBe('same');
        expect(verdictOf(nas, 'retransmission-same')).toBe('pass');
      }
      // A NAS that waits longer than the server's MFA limit gets its Access-Reject before failing over.
      if (scheduleBounds(policy).maxGiveUpMs < PROBE_PROMPT_TIMEOUT_MS - 10_000) {
        expect(nas.failovers).toBe(1);
        // The secondary's duplicate cache does not know the primary's request: the user is prompted again.
        expect(verdictOf(nas, 'failover-second-prompt')).toBe('fail');
        expect(result.users.find((u) => u.user === 'probe-never')?.prompts).toBe(2);
      } else {
        expect(nas.failovers).toBe(0);
        expect(verdictOf(nas, 'failover-second-prompt')).toBe('warn');
      }
      expect(verdictOf(nas, 'timeout-covers-mfa')).toBe(
        (nas.giveUpMs ?? 0) >= 60_000 ? 'pass' : (nas.giveUpMs ?? 0) >= 30_000 ? 'warn' : 'fail',
      );
    },
  );

  test('naive retransmission is detected and costs a prompt per rebuild', async () => {
    const { result } = await runVirtual({
      steps: [
        {
          login: {
            user: 'probe-never',
            profile: 'custom',
            policy: { kind: 'fixed', timeoutMs: 4000, retries: 2, retransmission: 'naive' },
          },
        },
      ],
    });
    const [nas] = result.nas;
    expect(nas?.retransmission).toBe('naive');
    within10(nas?.timeoutMs ?? null, 4000);
    expect(nas?.transmissions).toBe(3);
    expect(nas && verdictOf(nas, 'retransmission-same')).toBe('fail');
    expect(nas && verdictOf(nas, 'no-second-prompt')).toBe('fail');
    expect(result.users.find((u) => u.user === 'probe-never')?.prompts).toBe(3);
    expect(verdictExit(result)).toBe(1);
  });

  test('the same profile set to same retransmission is not called naive, and prompts once', async () => {
    const { result } = await runVirtual({
      steps: [
        {
          login: {
            user: 'probe-never',
            profile: 'custom',
            policy: { kind: 'fixed', timeoutMs: 4000, retries: 2 },
          },
        },
      ],
    });
    const [nas] = result.nas;
    expect(nas?.retransmission).toBe('same');
    expect(nas && verdictOf(nas, 'no-second-prompt')).toBe('pass');
    expect(result.users.find((u) => u.user === 'probe-never')?.prompts).toBe(1);
  });

  test('a well-behaved NAS passes every check and the run exits 0; the report says which users got in', async () => {
    const { result } = await runVirtual({
      steps: [
        {
          login: {
            user: 'probe-never',
            profile: 'nps-recommended',
            statusServer: true,
            callingStationId: '203.0.113.7',
          },
        },
        {
          login: {
            user: 'probe-approve-45s',
            profile: 'nps-recommended',
            accounting: true,
            callingStationId: '203.0.113.7',
          },
        },
        { login: { user: 'probe-code', profile: 'nps-recommended', callingStationId: '203.0.113.7' } },
      ],
    });
    const [nas] = result.nas;
    expect(nas?.checks.filter((c) => c.verdict !== 'pass').map((c) => c.id)).toEqual([
      'failover-second-prompt',
    ]);
    expect(nas?.timeoutMs).toBe(60_000);
    expect(nas?.transmissions).toBe(2);
    expect(nas?.advice.find((a) => a.mfaResponseMs === 90_000)?.meets).toBe(true);
    expect(result.users.map((u) => [u.user, u.outcome, u.prompts])).toEqual([
      ['probe-approve-45s', 'accept', 1],
      // The server's MFA limit (110 s) ends the push before the NAS's 120 s: it sees the Access-Reject.
      ['probe-never', 'reject', 1],
      ['probe-code', 'accept', 1],
    ]);
    expect(verdictExit(result)).toBe(0);
  });

  test("a NAS that waits 9 s fails the seed's 60 s and the slow users' logins", async () => {
    const { result } = await runVirtual({
      steps: [
        { login: { user: 'probe-approve-10s', profile: 'palo-alto' } },
        { login: { user: 'probe-approve-2s', profile: 'palo-alto' } },
      ],
    });
    const [nas] = result.nas;
    expect(nas && verdictOf(nas, 'timeout-covers-mfa')).toBe('fail');
    expect(nas?.advice.find((a) => a.mfaResponseMs === 60_000)).toEqual({
      mfaResponseMs: 60_000,
      neededTimeoutMs: 22_000,
      meets: false,
    });
    const outcome = (user: string): string | undefined => result.users.find((u) => u.user === user)?.outcome;
    expect(outcome('probe-approve-2s')).toBe('accept');
    expect(outcome('probe-approve-10s')).toBe('late-accept');
  });

  test('two NAS addresses get one entry each', async () => {
    const { result } = await runVirtual(
      {
        steps: [
          { login: { user: 'probe-never', profile: 'palo-alto', from: '127.0.0.2', background: true } },
          { login: { user: 'probe-never', profile: 'fortigate', from: '127.0.0.3', failover: true } },
        ],
      },
      { secondary: true },
    );
    expect(result.nas.map((n) => [n.address, n.timeoutMs, n.transmissions])).toEqual([
      ['127.0.0.2', 3000, 3],
      ['127.0.0.3', 5000, 1],
    ]);
  });

  test("each probe user's phone does what its name says (a NAS that waits 120 s)", async () => {
    const users = PROBE_USERS.map((u) => u.name);
    const { result } = await runVirtual({
      steps: users.map((user) => ({ login: { user, profile: 'nps-recommended' } })),
    });
    const seen = Object.fromEntries(result.users.map((u) => [u.user, [u.outcome, u.prompts, u.durationMs]]));
    expect(seen).toEqual({
      'probe-approve-2s': ['accept', 1, 2_000],
      'probe-approve-10s': ['accept', 1, 10_000],
      'probe-approve-30s': ['accept', 1, 30_000],
      'probe-approve-45s': ['accept', 1, 45_000],
      'probe-approve-90s': ['accept', 1, 90_000],
      // The server's MFA limit (110 s) ends an unanswered push.
      'probe-never': ['reject', 1, 110_000],
      'probe-deny': ['reject', 1, 3_000],
      'probe-code': ['accept', 1, 0],
      'probe-call-5s': ['accept', 1, 5_000],
    });
  });
});
