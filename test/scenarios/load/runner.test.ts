// The load engine in virtual time against the embedded stack: the open model keeps its offered
// rate when the server stalls (timeouts rise, arrivals do not wait), the closed model follows the
// server, abortOnFail ends a run early, and every metric is counted from what happened.
import { describe, expect, it } from 'vitest';
import { executeLoad } from '../../../scenarios/load/index.ts';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import type { LoadResult } from '../../../scenarios/load/result.ts';
import type { NetworkImpairments } from '../../../scenarios/embedded/stacks.ts';

function profile(input: Record<string, unknown>): LoadProfile {
  const parsed = parseLoadProfile({
    users: { source: 'generated', count: 200 },
    mix: [
      {
        weight: 3,
        method: 'pap',
        mfa: 'push',
        behaviour: { prompt: { outcome: 'approve', after: '300ms' } },
      },
      { weight: 1, method: 'pap', mfa: 'totp', behaviour: { code: { typing: '500ms' } } },
    ],
    nas: { profile: 'palo-alto' },
    ...input,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const arrivalRate = {
  scenarios: {
    logins: {
      executor: 'constant-arrival-rate',
      rate: 20,
      duration: '3s',
      preAllocatedVUs: 10,
      maxVUs: 200,
      gracefulStop: '20s',
    },
  },
};

function run(p: LoadProfile, network?: NetworkImpairments): Promise<LoadResult> {
  return executeLoad({
    profile: p,
    target: { kind: 'embedded-virtual', ...(network !== undefined ? { network } : {}) },
  });
}

const total = (result: LoadResult, key: 'offered' | 'sent' | 'timeouts' | 'retransmits'): number =>
  result.series.reduce((n, row) => n + row[key], 0);

describe('load engine (virtual time)', () => {
  it('reports its CPU from the first second on, with the requests sent since (process.steady)', async () => {
    const result = await run(profile(arrivalRate));
    const steady = result.process?.steady;
    expect(steady?.fromMs).toBe(1000);
    // Every request sent after the first second's tick, and none before it.
    expect(steady?.sent).toBe(total(result, 'sent') - (result.series[0]?.sent ?? 0));
    expect(steady?.sent).toBeGreaterThan(0);
    expect((steady?.cpuUserMicros ?? 0) + (steady?.cpuSystemMicros ?? 0)).toBeGreaterThan(0);
    expect(steady?.cpuUserMicros).toBeLessThanOrEqual(result.process?.cpuUserMicros ?? 0);
  });

  it('open model: a stalled server raises timeouts, the offered rate stays', async () => {
    const healthy = await run(profile(arrivalRate));
    // Every datagram lost: the server never answers, as if it had stalled.
    const stalled = await run(profile(arrivalRate), { loss: 1 });
    for (const result of [healthy, stalled]) {
      expect(total(result, 'offered')).toBe(60);
      // Arrivals never wait for replies: every login's first Access-Request leaves on schedule
      // (and each Access-Challenge answered adds one more request).
      expect(total(result, 'sent')).toBe(60 + (result.metrics.radius_challenges.values.count ?? 0));
      expect(result.series.slice(0, 3).map((row) => row.offered)).toEqual([20, 20, 20]);
    }
    expect(healthy.metrics.radius_accepts.values.count).toBe(60);
    // No accounting: each iteration is its login, so the two trends hold the same values.
    expect(healthy.metrics.iteration_duration.values).toEqual(healthy.metrics.radius_access_duration.values);
    expect(healthy.metrics.iteration_duration.values.count).toBe(healthy.metrics.iterations.values.count);
    expect(healthy.metrics.radius_timeouts.values.rate).toBe(0);
    expect(stalled.metrics.radius_timeouts.values.rate).toBe(1);
    // Sent in the second each was due, though no reply ever came.
    expect(stalled.series.slice(0, 3).map((row) => row.sent)).toEqual([20, 20, 20]);
    expect(stalled.metrics.radius_timeouts.values.passes).toBe(60);
    // palo-alto: 3 transmissions 3 s apart, so each login gave up after 9 s, measured from its intended start.
    expect(stalled.metrics.radius_retransmits.values.count).toBe(120);
    expect(stalled.metrics.radius_access_duration.values.min).toBeGreaterThanOrEqual(9000);
    expect(Math.max(...stalled.series.map((row) => row.inFlight))).toBeGreaterThan(
      Math.max(...healthy.series.map((row) => row.inFlight)),
    );
  });

  it('open model: arrivals that find maxVUs busy are dropped and counted, not delayed', async () => {
    const capped = profile({
      scenarios: {
        logins: {
          executor: 'constant-arrival-rate',
          rate: 20,
          duration: '2s',
          preAllocatedVUs: 2,
          maxVUs: 5,
          gracefulStop: '20s',
        },
      },
    });
    const result = await run(capped, { loss: 1 });
    expect(result.metrics.dropped_iterations.values.count).toBe(35);
    expect(total(result, 'offered')).toBe(40);
    expect(total(result, 'sent')).toBe(5);
    expect(result.metrics.vus_max.values.max).toBe(5);
  });

  it('closed model: constant-vus runs back to back, so a slower server gets fewer logins', async () => {
    const vus = {
      scenarios: { office: { executor: 'constant-vus', vus: 4, duration: '5s', gracefulStop: '20s' } },
    };
    const fast = await run(profile(vus));
    const slow = await run(profile(vus), { delay: 400 });
    expect(fast.metrics.iterations.values.count).toBeGreaterThan(slow.metrics.iterations.values.count ?? 0);
    expect(slow.metrics.radius_accepts.values.count).toBe(slow.metrics.iterations.values.count);
  });

  it('per-vu-iterations: exactly VUs x iterations logins, with accounting Start and Stop after each accept', async () => {
    const result = await run(
      profile({
        scenarios: { batch: { executor: 'per-vu-iterations', vus: 3, iterations: 4 } },
        accounting: { interims: 1, interval: '200ms' },
      }),
    );
    expect(result.metrics.iterations.values.count).toBe(12);
    expect(result.metrics.radius_accepts.values.count).toBe(12);
    // TOTP users were challenged once each; MFA prompts: one per login, never more.
    expect(result.metrics.mfa_prompts_per_login.values.max).toBe(1);
    expect(result.metrics.mfa_prompts_per_login.values.count).toBe(12);
    expect(result.metrics.iteration_duration.values.min).toBeGreaterThanOrEqual(
      (result.metrics.radius_access_duration.values.min ?? 0) + 400,
    );
  });

  it('abortOnFail ends the run at the first failing evaluation and says which threshold', async () => {
    const result = await run(
      profile({
        scenarios: {
          logins: {
            executor: 'constant-arrival-rate',
            rate: 10,
            duration: '60s',
            preAllocatedVUs: 10,
            maxVUs: 500,
          },
        },
        thresholds: {
          radius_accepts: [{ threshold: 'count>1000000', abortOnFail: true, delayAbortEval: '2s' }],
        },
      }),
    );
    expect(result.stop).toMatchObject({
      kind: 'threshold',
      metric: 'radius_accepts',
      threshold: 'count>1000000',
    });
    expect(result.durationMs).toBeLessThan(10_000);
    expect(result.passed).toBe(false);
  });
});
