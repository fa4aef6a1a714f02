// The executors' plans: arrivals on the schedule the rate gives (whatever the server does), the
// segments of a run splitting arrivals and VUs exactly, and the table validating every executor.
import { describe, expect, it } from 'vitest';
import { validate } from '../../../runtime/validation/index.ts';
import {
  executorNames,
  executorSchema,
  planExecutor,
  type Arrival,
  type ArrivalPlan,
  type VuPlan,
} from '../../../scenarios/load/executors.ts';
import { FULL_PLAN, fraction, planSegment, type SegmentPlan } from '../../../scenarios/load/segments.ts';

function config(input: Record<string, unknown>) {
  const result = validate(executorSchema, input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function arrivalsOf(plan: ArrivalPlan): Arrival[] {
  const out: Arrival[] = [];
  const it = plan.arrivals();
  for (let next = it.next(); !next.done; next = it.next()) out.push(next.value);
  return out;
}

function quarters(): SegmentPlan[] {
  const sequence = [0, 1, 2, 3, 4].map((i) => fraction(i, 4));
  return [0, 1, 2, 3].map(
    (i) => planSegment({ from: fraction(i, 4), to: fraction(i + 1, 4) }, sequence) as SegmentPlan,
  );
}

describe('executors', () => {
  it('registers the five k6 executors', () => {
    expect(executorNames.sort()).toEqual(
      [
        'constant-arrival-rate',
        'constant-vus',
        'per-vu-iterations',
        'ramping-arrival-rate',
        'ramping-vus',
      ].sort(),
    );
  });

  it('constant-arrival-rate: rate x duration arrivals, one every 1/rate, from the start', () => {
    const plan = planExecutor(
      config({ executor: 'constant-arrival-rate', rate: 50, duration: '2s', preAllocatedVUs: 10 }),
      FULL_PLAN,
    ) as ArrivalPlan;
    const arrivals = arrivalsOf(plan);
    expect(arrivals).toHaveLength(100);
    expect(arrivals.slice(0, 3).map((a) => a.atMs)).toEqual([0, 20, 40]);
    expect(plan.maxVUs).toBe(10);
  });

  it('ramping-arrival-rate: as many arrivals as the area under the rate, in rising density', () => {
    const plan = planExecutor(
      config({
        executor: 'ramping-arrival-rate',
        startRate: 0,
        stages: [{ duration: '10s', target: 20 }],
        preAllocatedVUs: 5,
      }),
      FULL_PLAN,
    ) as ArrivalPlan;
    const arrivals = arrivalsOf(plan);
    // Area of the triangle: 10 s x 20/s / 2 = 100.
    expect(arrivals).toHaveLength(100);
    const firstHalf = arrivals.filter((a) => a.atMs < 5000).length;
    expect(firstHalf).toBe(25);
    expect(arrivals.every((a, i) => i === 0 || a.atMs >= (arrivals[i - 1]?.atMs ?? 0))).toBe(true);
  });

  it('splits arrivals over four segments exactly, at the times of the full run', () => {
    const c = config({
      executor: 'constant-arrival-rate',
      rate: 33,
      duration: '3s',
      preAllocatedVUs: 10,
      maxVUs: 21,
    });
    const full = arrivalsOf(planExecutor(c, FULL_PLAN) as ArrivalPlan);
    const parts = quarters().map((s) => planExecutor(c, s) as ArrivalPlan);
    const merged = parts.flatMap(arrivalsOf).sort((a, b) => a.index - b.index);
    expect(merged).toEqual(full);
    // VUs are split as k6 scales them: the shares add up to the whole.
    expect(parts.reduce((n, p) => n + p.preAllocatedVUs, 0)).toBe(10);
    expect(parts.reduce((n, p) => n + p.maxVUs, 0)).toBe(21);
  });

  it('splits the VUs of constant-vus over segments exactly', () => {
    const c = config({ executor: 'constant-vus', vus: 10, duration: '1s' });
    const parts = quarters().map((s) => (planExecutor(c, s) as VuPlan).vus);
    expect(parts.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('ramping-vus: VU v runs only while the target exceeds v', () => {
    const plan = planExecutor(
      config({
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: '10s', target: 10 },
          { duration: '10s', target: 0 },
        ],
      }),
      FULL_PLAN,
    ) as VuPlan;
    expect(plan.vus).toHaveLength(10);
    expect(plan.activeFrom(0, 0)).toBe(100);
    expect(plan.activeFrom(9, 0)).toBeGreaterThanOrEqual(9000);
    expect(plan.activeFrom(9, 11_000)).toBeUndefined();
  });

  it('reports every wrong field of an executor at once, maxVUs below preAllocatedVUs included', () => {
    const result = validate(executorSchema, {
      executor: 'constant-arrival-rate',
      rate: -1,
      duration: 'soon',
      preAllocatedVUs: 10,
      maxVUs: 5,
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['rate', 'duration']));
  });
});
