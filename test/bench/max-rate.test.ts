// bench/max-rate.ts: the bounded max-rate search, driven by a fake measure whose true capacity is
// known, so the search's answer, its bracket and its probe bound can be checked exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  searchMaxRate,
  searchMaxRatesInTurn,
  type MaxRateSearchOptions,
  type RateVerdict,
} from '../../bench/max-rate.ts';

const options: MaxRateSearchOptions = {
  startRate: 500,
  minRate: 25,
  maxRate: 64_000,
  maxProbes: 12,
  precision: 0.1,
};

/** A server that sustains every rate up to `capacity` and none above. */
function fakeServer(capacity: number): { measure: (rate: number) => Promise<RateVerdict>; rates: number[] } {
  const rates: number[] = [];
  return {
    rates,
    measure: (rate) => {
      rates.push(rate);
      return Promise.resolve({ rate, sustained: rate <= capacity });
    },
  };
}

describe('searchMaxRate', () => {
  it('doubles while the rate holds, then bisects to within the precision of the capacity', async () => {
    const server = fakeServer(3000);
    const result = await searchMaxRate(server.measure, options);
    expect(server.rates.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(result.end).toBe('converged');
    expect(result.maxRate).not.toBeNull();
    expect(result.maxRate ?? 0).toBeLessThanOrEqual(3000);
    expect(result.firstFailing ?? 0).toBeGreaterThan(3000);
    expect((result.firstFailing ?? 0) / (result.maxRate ?? 1)).toBeLessThanOrEqual(1.1);
    expect(result.probes.map((p) => p.rate)).toEqual(server.rates);
  });

  it('halves from the start rate when even that is too much', async () => {
    const server = fakeServer(100);
    const result = await searchMaxRate(server.measure, options);
    expect(server.rates.slice(0, 4)).toEqual([500, 250, 125, 63]);
    expect(result.maxRate ?? 0).toBeLessThanOrEqual(100);
    expect(result.maxRate ?? 0).toBeGreaterThan(100 / 1.1);
  });

  it('says so when no rate down to the minimum holds, or every rate up to the maximum does', async () => {
    const none = await searchMaxRate(fakeServer(0).measure, options);
    expect(none).toMatchObject({ maxRate: null, end: 'min-rate', firstFailing: 25 });
    const all = await searchMaxRate(fakeServer(Number.POSITIVE_INFINITY).measure, options);
    expect(all).toMatchObject({ maxRate: 64_000, end: 'max-rate', firstFailing: null });
  });

  it('never measures more than maxProbes times, whatever the capacity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 2, max: 6 }),
        async (capacity, maxProbes) => {
          const server = fakeServer(capacity);
          const result = await searchMaxRate(server.measure, { ...options, maxProbes });
          expect(server.rates.length).toBeLessThanOrEqual(maxProbes);
          // Whatever it returns was measured and held; whatever failed was measured and failed.
          if (result.maxRate !== null) expect(result.maxRate).toBeLessThanOrEqual(capacity);
          if (result.firstFailing !== null) expect(result.firstFailing).toBeGreaterThan(capacity);
        },
      ),
    );
  });

  it('with triesPerRate 2, one failed measurement of a rate is retried and a pass on the retry counts', async () => {
    // A server of capacity 3000 whose first measurement of 1000/s hits a pause (fails once).
    const rates: number[] = [];
    let hiccups = 1;
    const measure = (rate: number): Promise<RateVerdict> => {
      rates.push(rate);
      const hiccup = rate === 1000 && hiccups-- > 0;
      return Promise.resolve({ rate, sustained: rate <= 3000 && !hiccup });
    };
    const result = await searchMaxRate(measure, { ...options, triesPerRate: 2 });
    expect(rates.slice(0, 4)).toEqual([500, 1000, 1000, 2000]);
    expect(result.maxRate ?? 0).toBeGreaterThan(2000);
    expect(result.firstFailing ?? 0).toBeGreaterThan(3000);
    // A rate above capacity is measured twice before it counts as failing.
    expect(rates.filter((rate) => rate === 4000)).toEqual([4000, 4000]);
    // Without retries the single hiccup caps the answer below 1000.
    hiccups = 1;
    rates.length = 0;
    const once = await searchMaxRate(measure, options);
    expect(once.firstFailing).toBe(1000);
  });
});

describe('searchMaxRatesInTurn', () => {
  it('runs each server to its own answer, its probes taking turns and never overlapping', async () => {
    const log: string[] = [];
    let running = 0;
    const server = (name: string, capacity: number) => async (rate: number) => {
      running++;
      expect(running).toBe(1);
      log.push(name);
      // A real probe takes time: the other search's probe must still wait for this one.
      await new Promise((resolve) => setTimeout(resolve, 1));
      running--;
      return { rate, sustained: rate <= capacity };
    };
    const result = await searchMaxRatesInTurn(
      { a: server('a', 3000), b: server('b', 12_000) },
      ['a', 'b'],
      options,
    );
    const alone = {
      a: await searchMaxRate(fakeServer(3000).measure, options),
      b: await searchMaxRate(fakeServer(12_000).measure, options),
    };
    expect(result.a.maxRate).toBe(alone.a.maxRate);
    expect(result.b.maxRate).toBe(alone.b.maxRate);
    // While both search, they alternate; the longer search then goes on alone.
    const shorter = Math.min(result.a.probes.length, result.b.probes.length);
    expect(log.slice(0, 2 * shorter)).toEqual(
      Array.from({ length: 2 * shorter }, (_, i) => (i % 2 === 0 ? 'a' : 'b')),
    );
    expect(log).toHaveLength(result.a.probes.length + result.b.probes.length);
  });
});
