import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../runtime/validation/index.ts';
import {
  DRAWS_PER_DURATION,
  describeDuration,
  fixed,
  lognormal,
  parseDurationModel,
  parseDurationMs,
  sampleDuration,
  uniform,
} from '../../../simulators/users/durations.ts';
import { streamFor } from '../../../simulators/users/random.ts';

function counting(random: () => number): { random: () => number; draws: () => number } {
  let n = 0;
  return {
    random: () => {
      n++;
      return random();
    },
    draws: () => n,
  };
}

describe('sampleDuration', () => {
  it('fixed is exact; uniform stays within [min, max]', () => {
    const random = streamFor(1, 'd');
    expect(sampleDuration(fixed(2000), random)).toBe(2000);
    for (let i = 0; i < 200; i++) {
      const ms = sampleDuration(uniform(1000, 5000), random);
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(ms).toBeLessThanOrEqual(5000);
    }
  });

  it('lognormal has the given median and respects its clamp', () => {
    const random = streamFor(2, 'd');
    const samples = Array.from({ length: 2001 }, () => sampleDuration(lognormal(4000, 0.5), random)).sort(
      (a, b) => a - b,
    );
    const median = samples[1000] ?? 0;
    expect(median).toBeGreaterThan(3600);
    expect(median).toBeLessThan(4400);
    expect(samples.every((ms) => ms > 0)).toBe(true);
    const clamped = Array.from({ length: 500 }, () => sampleDuration(lognormal(4000, 2, 6000), random));
    expect(Math.max(...clamped)).toBe(6000);
  });

  it('always consumes the same number of draws, whatever the model', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat(100_000).map((ms) => fixed(ms)),
          fc.tuple(fc.nat(1000), fc.nat(1000)).map(([a, b]) => uniform(a, a + b)),
          fc
            .tuple(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 3, noNaN: true }))
            .map(([m, s]) => lognormal(m, s)),
        ),
        fc.nat(),
        (model, seed) => {
          const source = counting(streamFor(seed, 'x'));
          const ms = sampleDuration(model, source.random);
          expect(source.draws()).toBe(DRAWS_PER_DURATION);
          expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        },
      ),
    );
  });

  it('describes itself', () => {
    expect(describeDuration(fixed(2000))).toBe('2000 ms');
    expect(describeDuration(uniform(1, 5))).toBe('uniform 1-5 ms');
    expect(describeDuration(lognormal(3000, 0.5, 9000))).toBe(
      'lognormal median 3000 ms, sigma 0.5, at most 9000 ms',
    );
  });
});

describe('parsing', () => {
  it('reads numbers and unit strings', () => {
    const issues: Issue[] = [];
    expect(parseDurationMs(250, 'p', issues)).toBe(250);
    expect(parseDurationMs('500ms', 'p', issues)).toBe(500);
    expect(parseDurationMs('2s', 'p', issues)).toBe(2000);
    expect(parseDurationMs('1.5m', 'p', issues)).toBe(90_000);
    expect(parseDurationMs('1h', 'p', issues)).toBe(3_600_000);
    expect(issues).toEqual([]);
    expect(parseDurationMs('soon', 'a.b', issues)).toBeUndefined();
    expect(parseDurationMs(-1, 'a.c', issues)).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual(['a.b', 'a.c']);
  });

  it('reads each model form', () => {
    const issues: Issue[] = [];
    expect(parseDurationModel('2s', 'p', issues)).toEqual(fixed(2000));
    expect(parseDurationModel({ fixed: 300 }, 'p', issues)).toEqual(fixed(300));
    expect(parseDurationModel({ uniform: { min: '1s', max: '3s' } }, 'p', issues)).toEqual(
      uniform(1000, 3000),
    );
    expect(parseDurationModel({ lognormal: { median: '3s', sigma: 0.4 } }, 'p', issues)).toEqual(
      lognormal(3000, 0.4),
    );
    expect(parseDurationModel({ lognormal: { median: '3s', sigma: 0.4, max: '1m' } }, 'p', issues)).toEqual(
      lognormal(3000, 0.4, 60_000),
    );
    expect(issues).toEqual([]);
  });

  it('names the wrong part of a model', () => {
    const issues: Issue[] = [];
    parseDurationModel({ gaussian: {} }, 'x', issues);
    parseDurationModel({ fixed: 1, uniform: {} }, 'y', issues);
    parseDurationModel({ lognormal: { median: 0, sigma: -1 } }, 'z', issues);
    parseDurationModel({ uniform: { min: '1s', maxx: '2s' } }, 'w', issues);
    expect(issues.map((i) => i.path)).toEqual([
      'x.gaussian',
      'y',
      'z.lognormal.sigma',
      'z.lognormal.median',
      'w.uniform.maxx',
      'w.uniform.max',
    ]);
  });
});
