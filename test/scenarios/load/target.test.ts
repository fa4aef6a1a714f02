// Receive coalescing by default: on for open-model runs (arrivals do not wait for replies), off when
// a closed-model VU waits for its reply, and whatever the run asked for when it asked.
import { describe, expect, it } from 'vitest';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import { OPEN_MODEL_COALESCE_US, receiveCoalescingUs } from '../../../scenarios/load/target.ts';

function profileOf(scenarios: Record<string, unknown>): LoadProfile {
  const parsed = parseLoadProfile({ scenarios, users: { source: 'demo' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const arrivals = { executor: 'constant-arrival-rate', rate: 10, duration: '1s', preAllocatedVUs: 1 };
const ramp = {
  executor: 'ramping-arrival-rate',
  stages: [{ duration: '1s', target: 5 }],
  preAllocatedVUs: 1,
};
const vus = { executor: 'constant-vus', vus: 2, duration: '1s' };

describe('receive coalescing of a load run', () => {
  it('reads every millisecond by default when every scenario is open-model', () => {
    expect(OPEN_MODEL_COALESCE_US).toBe(1000);
    expect(receiveCoalescingUs(undefined, profileOf({ a: arrivals }))).toBe(OPEN_MODEL_COALESCE_US);
    expect(receiveCoalescingUs(undefined, profileOf({ a: arrivals, b: ramp }))).toBe(OPEN_MODEL_COALESCE_US);
  });

  it('reads on every arrival by default when a scenario is closed-model', () => {
    expect(receiveCoalescingUs(undefined, profileOf({ v: vus }))).toBe(0);
    expect(receiveCoalescingUs(undefined, profileOf({ a: arrivals, v: vus }))).toBe(0);
    const perVu = { executor: 'per-vu-iterations', vus: 1, iterations: 2 };
    expect(receiveCoalescingUs(undefined, profileOf({ p: perVu }))).toBe(0);
  });

  it('takes what the run asked for, 0 included', () => {
    expect(receiveCoalescingUs(0, profileOf({ a: arrivals }))).toBe(0);
    expect(receiveCoalescingUs(250, profileOf({ v: vus }))).toBe(250);
  });
});
