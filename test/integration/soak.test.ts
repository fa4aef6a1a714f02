// The CI soak: `radmfa serve` in its own process for 60 s of mixed MFA load (every phone behaviour,
// retransmissions, accounting) with MFA and LDAP faults switched every 5 s, sampled every 5 s. Every
// series must be flat by the growth rule (bench/soak-growth.ts, whose own test shows it catches a
// growing series), and once the load stops the duplicate cache, the challenge store and the MFA
// waits must empty. bench/soak.ts runs the same for as long as asked.
import { describe, expect, it } from 'vitest';
import { SOAK_SERIES } from '../../bench/soak-growth.ts';
import { renderSoak, runSoak } from '../../bench/soak.ts';

describe('soak (CI length)', () => {
  it('60 s of mixed load with faults switched on and off: nothing grows, the held stores empty afterwards', async () => {
    const result = await runSoak({
      durationMs: 60_000,
      sampleMs: 5_000,
      rate: 5,
      faultEveryMs: 5_000,
      // Short prompts and States so the steady state comes early and the drain fits the budget.
      promptTimeoutMs: 10_000,
      drainMs: 25_000,
      seed: 1,
      progress: () => {},
    });
    const report = renderSoak(result);
    // Each series was judged (enough samples), none grows.
    for (const name of SOAK_SERIES)
      expect(result.series[name].verdict.kind, `${name}\n${report}`).toBe('flat');
    expect(result.drain, report).toMatchObject({
      drained: true,
      held: { duplicateEntries: 0, challengeStates: 0, mfaPending: 0 },
    });
    // The run was what its title says: faults were on, logins of every kind went through.
    expect(result.faults.switchedOn).toBeGreaterThanOrEqual(3);
    expect(new Set(result.samples.map((s) => s.fault)).size).toBeGreaterThanOrEqual(3);
    expect(result.load.accepts).toBeGreaterThan(0);
    expect(result.load.rejects).toBeGreaterThan(0);
    expect(result.load.challenges).toBeGreaterThan(0);
    expect(result.load.retransmits).toBeGreaterThan(0);
  }, 150_000);
});
