// The soak's growth rule on synthetic series: a leak is caught however noisy, flat memory with a
// garbage-collection sawtooth or fault-phase bumps is not, and too short a series is no verdict.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCES, judgeGrowth, slope, type Point } from '../../bench/soak-growth.ts';
import { analyseSamples, type SoakSample } from '../../bench/soak.ts';

const MiB = 1024 * 1024;
const series = (values: readonly number[], stepMs = 5_000): Point[] =>
  values.map((value, i) => ({ atMs: i * stepMs, value }));
const rss = { warmupShare: 0.2, tolerance: DEFAULT_TOLERANCES.rssBytes };

describe('judgeGrowth', () => {
  it('catches memory that grows by 5 MiB a sample from 150 MiB (a leak), and says by how much', () => {
    const verdict = judgeGrowth(series(Array.from({ length: 40 }, (_, i) => (150 + 5 * i) * MiB)), rss);
    expect(verdict.kind).toBe('grows');
    if (verdict.kind === 'too-few-samples') throw new Error('unreachable');
    expect(verdict.slopePerMinute / MiB).toBeCloseTo(60, 5);
    expect(verdict.lastThirdMax).toBeGreaterThan(verdict.limit);
  });

  it('calls a GC sawtooth flat: 150-190 MiB up and down, however long', () => {
    const saw = Array.from({ length: 60 }, (_, i) => (150 + (i % 5) * 10) * MiB);
    expect(judgeGrowth(series(saw), rss).kind).toBe('flat');
  });

  it('calls a leak of 8 MiB a sample or more over 24 samples growth, whatever the noise (±8 MiB)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 8, max: 50, noNaN: true }),
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 24, maxLength: 24 }),
        (leakPerSample, noise) => {
          const values = noise.map((n, i) => (150 + leakPerSample * i + n) * MiB);
          return judgeGrowth(series(values), rss).kind === 'grows';
        },
      ),
    );
  });

  it('calls flat noise (±8 MiB around any level) flat', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 50, max: 2_000, noNaN: true }),
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 12, maxLength: 120 }),
        (level, noise) => judgeGrowth(series(noise.map((n) => (level + n) * MiB)), rss).kind === 'flat',
      ),
    );
  });

  it('leaves the warm-up out: a ramp in the first 20 % followed by a plateau is flat', () => {
    const values = [30, 100, 150, ...Array.from({ length: 12 }, () => 160)].map((v) => v * MiB);
    expect(judgeGrowth(series(values), rss).kind).toBe('flat');
  });

  it('gives no verdict on too few samples', () => {
    expect(judgeGrowth(series([1, 2, 3, 4, 5, 6]), rss)).toEqual({
      kind: 'too-few-samples',
      samples: 5,
      needed: 7,
    });
  });

  it('slope is the least-squares slope', () => {
    expect(slope(series([1, 3, 5, 7], 1))).toBe(2);
    expect(slope(series([4], 1))).toBe(0);
  });
});

describe('analyseSamples (what the bench and the CI soak judge)', () => {
  const sample = (i: number, leak: number): SoakSample => ({
    atMs: i * 5_000,
    phase: 'load',
    fault: 'none',
    rssBytes: 150 * MiB,
    heapUsedBytes: 40 * MiB,
    eventLoopP99Ms: 15,
    openFds: 60,
    duplicateEntries: 70 + leak * i,
    challengeStates: 2,
    mfaPending: 15,
    inFlight: 3,
  });

  it('names the one series that grows: duplicate entries never expiring (20 more per sample)', () => {
    const { growing, series: s } = analyseSamples(Array.from({ length: 12 }, (_, i) => sample(i, 20)));
    expect(growing).toEqual(['duplicateEntries']);
    expect(s.duplicateEntries.verdict.kind).toBe('grows');
  });

  it('leaves drain samples out and finds nothing growing in a flat run', () => {
    const load = Array.from({ length: 12 }, (_, i) => sample(i, 0));
    const drain = { ...sample(12, 0), phase: 'drain' as const, rssBytes: 900 * MiB };
    expect(analyseSamples([...load, drain]).growing).toEqual([]);
  });
});
