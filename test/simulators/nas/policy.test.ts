import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/memory-transport.ts';
import {
  RFC5080_RECOMMENDED,
  describeNasProfile,
  describeRetryPolicy,
  nasProfileNames,
  nasProfiles,
  normaliseRetryPolicy,
  planSchedule,
  resolveNasPolicy,
  scheduleBounds,
  type BackoffPolicy,
  type PolicyField,
  type RetryPolicy,
} from '../../../simulators/nas/index.ts';

const rfc5080: BackoffPolicy = {
  kind: 'backoff',
  ...RFC5080_RECOMMENDED,
  retransmission: 'same',
  stickyFailover: true,
};

describe('normaliseRetryPolicy', () => {
  it('fills the defaults of a fixed policy', () => {
    const result = normaliseRetryPolicy({});
    expect(result).toEqual({
      ok: true,
      policy: { kind: 'fixed', timeoutMs: 5_000, retries: 2, retransmission: 'same', stickyFailover: true },
    });
  });

  it('fills a backoff policy with the RFC 5080 recommended values', () => {
    const result = normaliseRetryPolicy({ kind: 'backoff', retransmission: 'naive' });
    expect(result.ok && result.policy).toEqual({ ...rfc5080, retransmission: 'naive' });
  });

  it('reports every problem at once, each with its field and a fix', () => {
    const result = normaliseRetryPolicy({
      kind: 'fixed',
      timeoutMs: 0,
      retries: 2.5,
      irtMs: 1000,
      retransmission: 'sam',
      failoverAfterTimeouts: 0,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual(
      [
        'policy.failoverAfterTimeouts',
        'policy.irtMs',
        'policy.retransmission',
        'policy.retries',
        'policy.timeoutMs',
      ].sort(),
    );
    for (const issue of result.issues) expect(issue.fix.length).toBeGreaterThan(5);
  });

  it('refuses a backoff that would never stop, or jitter that could collapse the waits', () => {
    const result = normaliseRetryPolicy({ kind: 'backoff', mrc: 0, mrdMs: 0, rand: 0.9 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual(['policy.mrc', 'policy.rand']);
  });

  it('overrides a profile field by field', () => {
    const result = resolveNasPolicy('palo-alto', { retries: 4, retransmission: 'naive' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.policy).toMatchObject({
      kind: 'fixed',
      timeoutMs: 3_000,
      retries: 4,
      retransmission: 'naive',
    });
    expect(describeNasProfile(result.value.profile, result.value.policy)).toContain('retries: user value');
  });

  it('names an unknown profile and lists the known ones', () => {
    const result = resolveNasPolicy('palo_alto');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe('profile');
    expect(result.issues[0]?.fix).toContain('palo-alto');
  });

  it('uses rfc5080 without a profile or policy, and custom with only a policy', () => {
    const plain = resolveNasPolicy(undefined);
    const custom = resolveNasPolicy(undefined, { timeoutMs: 1_000 });
    expect(plain.ok && plain.value.profile.name).toBe('rfc5080');
    expect(custom.ok && custom.value.profile.name).toBe('custom');
    expect(custom.ok && custom.value.policy).toMatchObject({ kind: 'fixed', timeoutMs: 1_000, retries: 2 });
  });
});

describe('schedules', () => {
  it('fixed: the same wait for every transmission', () => {
    expect(planSchedule(nasProfiles['palo-alto'].policy, () => 0.5)).toEqual([3_000, 3_000, 3_000]);
  });

  it('RFC 5080 without jitter doubles from IRT, caps at MRT and stops at MRD', () => {
    // RAND = 0 when the random source returns 0.5.
    expect(planSchedule(rfc5080, () => 0.5)).toEqual([2_000, 4_000, 8_000, 16_000]);
    const long: BackoffPolicy = { ...rfc5080, mrc: 8, mrdMs: 0 };
    expect(planSchedule(long, () => 0.5)).toEqual([
      2_000, 4_000, 8_000, 16_000, 16_000, 16_000, 16_000, 16_000,
    ]);
  });

  it('RFC 5080 keeps every wait within the jitter bounds and respects MRC and MRD (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 100, max: 5_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (seed, irtMs, mrc, mrtMs, mrdMs, rand) => {
          const policy: BackoffPolicy = { ...rfc5080, irtMs, mrc, mrtMs, mrdMs, rand };
          const waits = planSchedule(policy, seededRandom(seed));
          expect(waits.length).toBeGreaterThanOrEqual(1);
          expect(waits.length).toBeLessThanOrEqual(mrc);
          const total = waits.reduce((a, b) => a + b, 0);
          if (mrdMs > 0) expect(total).toBeLessThanOrEqual(mrdMs);
          let elapsed = 0;
          waits.forEach((wait, i) => {
            const truncated = mrdMs > 0 && wait === Math.max(1, Math.round(mrdMs - elapsed));
            const previous = waits[i - 1];
            const low = (x: number): number => Math.floor(x * (1 - rand)) - 1;
            const high = (x: number): number => Math.ceil(x * (1 + rand)) + 1;
            if (!truncated) {
              // RFC 5080 2.2.1: IRT-based, or double the previous; either capped at MRT, all +-RAND.
              const base = previous === undefined ? irtMs : 2 * previous;
              const spread = previous === undefined ? irtMs * rand : previous * rand;
              const uncapped = wait >= Math.floor(base - spread) - 1 && wait <= Math.ceil(base + spread) + 1;
              const capped = mrtMs > 0 && wait >= low(mrtMs) && wait <= high(mrtMs);
              expect(uncapped || capped).toBe(true);
              if (mrtMs > 0) expect(wait).toBeLessThanOrEqual(high(mrtMs));
            }
            elapsed += wait;
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the bounds of the RFC 5080 profile: MRD ends it after 4 or 5 transmissions', () => {
    expect(scheduleBounds(rfc5080)).toEqual({
      minTransmissions: 4,
      maxTransmissions: 5,
      minGiveUpMs: 30_000,
      maxGiveUpMs: 30_000,
    });
  });
});

describe('vendor profiles', () => {
  const giveUp: Record<string, { transmissions: number; giveUpMs: number }> = {
    'palo-alto': { transmissions: 3, giveUpMs: 9_000 },
    fortigate: { transmissions: 1, giveUpMs: 5_000 },
    'cisco-asa': { transmissions: 3, giveUpMs: 30_000 },
    netscaler: { transmissions: 1, giveUpMs: 3_000 },
    radclient: { transmissions: 3, giveUpMs: 15_000 },
    // hostapd doubling from 3 s inside eapol_test's 30 s: 3 + 6 + 12, then 9 s left.
    eapol_test: { transmissions: 4, giveUpMs: 30_000 },
    'okta-agent': { transmissions: 1, giveUpMs: 60_000 },
    'nps-recommended': { transmissions: 2, giveUpMs: 120_000 },
    custom: { transmissions: 3, giveUpMs: 15_000 },
  };

  it.each(Object.entries(giveUp))('%s gives up on a server after its documented total', (name, expected) => {
    const profile = nasProfiles[name as keyof typeof nasProfiles];
    const bounds = scheduleBounds(profile.policy);
    expect(bounds.minTransmissions).toBe(expected.transmissions);
    expect(bounds.maxTransmissions).toBe(expected.transmissions);
    expect(bounds.minGiveUpMs).toBe(expected.giveUpMs);
    expect(bounds.maxGiveUpMs).toBe(expected.giveUpMs);
  });

  it('eapol_test waits 3, 6, 12 and the 9 s left of its 30 s', () => {
    expect(planSchedule(nasProfiles.eapol_test.policy, () => 0.5)).toEqual([3_000, 6_000, 12_000, 9_000]);
  });

  it.each(nasProfileNames)('%s cites a source for every value of its policy and validates', (name) => {
    const profile = nasProfiles[name];
    const fields: PolicyField[] =
      profile.policy.kind === 'fixed'
        ? ['timeoutMs', 'retries', 'retransmission']
        : ['irtMs', 'mrc', 'mrtMs', 'mrdMs', 'rand', 'retransmission'];
    for (const field of fields) expect(profile.sources[field], `${name}.${field}`).toMatch(/\w{4,}/);
    const revalidated = normaliseRetryPolicy({}, profile.policy);
    expect(revalidated.ok && revalidated.policy).toEqual(profile.policy);
    expect(describeNasProfile(profile)).toContain(name);
  });

  it('says "assumed" where no vendor document gives the number', () => {
    const assumed = nasProfileNames.filter((name) =>
      Object.values(nasProfiles[name].sources).some((source) => source.startsWith('assumed')),
    );
    expect(assumed).toEqual(
      expect.arrayContaining(['fortigate', 'cisco-asa', 'netscaler', 'nps-recommended']),
    );
    expect(assumed).not.toContain('rfc5080');
  });
});

describe('describeRetryPolicy', () => {
  it('states the numbers, the retransmission mode and the failover rule', () => {
    const policy: RetryPolicy = { ...nasProfiles['palo-alto'].policy, failoverAfterTimeouts: 2 };
    const text = describeRetryPolicy(policy);
    expect(text).toContain('waits 3 s after each of 3 transmission(s)');
    expect(text).toContain('giving up on it after 9 s');
    expect(text).toContain('same Identifier and Request Authenticator');
    expect(text).toContain('after 2 consecutive timeout(s)');
  });

  it('describes a naive backoff', () => {
    const text = describeRetryPolicy({ ...rfc5080, retransmission: 'naive', stickyFailover: false });
    expect(text).toContain('first wait 2 s, doubling, capped at 16 s, jitter ±10%');
    expect(text).toContain('new request');
    expect(text).toContain('every request starts with the primary server');
  });
});
