// Execution segments (k6 semantics): the segments of one sequence partition the run exactly, each
// gets its even share, and a wrong segment is an issue naming the flag and the fix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../runtime/validation/index.ts';
import {
  fraction,
  owns,
  parseSegment,
  parseSequence,
  planSegment,
  scaleCount,
  type Fraction,
  type SegmentPlan,
} from '../../../scenarios/load/segments.ts';

function equalPlans(parts: number): SegmentPlan[] {
  const sequence: Fraction[] = Array.from({ length: parts + 1 }, (_, i) => fraction(i, parts));
  return Array.from({ length: parts }, (_, i) => {
    const plan = planSegment({ from: fraction(i, parts), to: fraction(i + 1, parts) }, sequence);
    if (plan === undefined) throw new Error('segment not in its sequence');
    return plan;
  });
}

describe('execution segments', () => {
  it('gives every index of the run to exactly one segment of the sequence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 500 }), (parts, total) => {
        const plans = equalPlans(parts);
        for (let i = 0; i < total; i++) if (plans.filter((p) => owns(p, i)).length !== 1) return false;
        return plans.reduce((n, p) => n + scaleCount(p, total), 0) === total;
      }),
    );
  });

  it('partitions an uneven sequence too, each segment within one of its exact share', () => {
    const sequence = [fraction(0, 1), fraction(1, 3), fraction(1, 2), fraction(1, 1)];
    const plans = [0, 1, 2].map((i) => {
      const plan = planSegment({ from: sequence[i] as Fraction, to: sequence[i + 1] as Fraction }, sequence);
      if (plan === undefined) throw new Error('segment not in its sequence');
      return plan;
    });
    const total = 1000;
    const counts = plans.map((p) => scaleCount(p, total));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    [1 / 3, 1 / 6, 1 / 2].forEach((share, i) =>
      expect(Math.abs((counts[i] ?? 0) - share * total)).toBeLessThanOrEqual(1),
    );
  });

  it('spreads a quarter segment evenly: every fourth index, not the first quarter of the run', () => {
    const [first] = equalPlans(4);
    expect(first?.offsets).toEqual([0]);
    expect(first?.lcd).toBe(4);
  });

  it('takes the equal split as the sequence of an equal segment given alone', () => {
    const issues: Issue[] = [];
    const segment = parseSegment('1/4:2/4', '--segment', issues);
    expect(issues).toEqual([]);
    const plan = segment === undefined ? undefined : planSegment(segment);
    expect(plan?.sequence.map((f) => `${f.n}/${f.d}`)).toEqual(['0/1', '1/4', '1/2', '3/4', '1/1']);
  });

  it('reports a segment that is not FROM < TO <= 1, and a sequence that does not rise, with their fix', () => {
    const issues: Issue[] = [];
    expect(parseSegment('2/4:1/4', '--segment', issues)).toBeUndefined();
    expect(parseSegment('half', '--segment', issues)).toBeUndefined();
    expect(parseSequence('0,1/2,1/4,1', '--segment-sequence', issues)).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual(['--segment', '--segment', '--segment-sequence']);
    expect(issues.every((i) => i.fix.length > 0)).toBe(true);
  });
});
