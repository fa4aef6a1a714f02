import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { FaultController, validateFaultSettings } from '../../../simulators/mfa/faults.ts';
import { streamFor } from '../../../simulators/users/random.ts';

function controller(seed = 1): { clock: VirtualClock; faults: FaultController } {
  const clock = new VirtualClock(0);
  return { clock, faults: new FaultController(clock, streamFor(seed, 'faults')) };
}

describe('FaultController', () => {
  it('plans nothing when no fault is set', () => {
    const { faults } = controller();
    expect(faults.plan('begin')).toEqual({ latencyMs: 0, action: 'none', status: 200, applied: [] });
  });

  it('limits a rule to its endpoints and uses up `times`', () => {
    const { faults } = controller();
    faults.set({ serverError: { endpoints: ['poll'], times: 2, status: 504 } });
    expect(faults.plan('begin').action).toBe('none');
    expect(faults.plan('poll')).toMatchObject({ action: 'server_error', status: 504 });
    expect(faults.settings.serverError?.times).toBe(1);
    expect(faults.plan('poll').action).toBe('server_error');
    expect(faults.settings).toEqual({});
    expect(faults.plan('poll').action).toBe('none');
  });

  it('drops take precedence over server errors; latency combines with either', () => {
    const { faults } = controller();
    faults.set({ latency: { ms: 100, jitterMs: 50 }, drop: {}, serverError: {} });
    const plan = faults.plan('code');
    expect(plan.action).toBe('drop');
    expect(plan.applied).toEqual(['latency', 'drop']);
    expect(plan.latencyMs).toBeGreaterThanOrEqual(100);
    expect(plan.latencyMs).toBeLessThan(150);
  });

  it('draws probabilities from the seeded stream, so the same seed fails the same calls', () => {
    const pattern = (seed: number): string => {
      const { faults } = controller(seed);
      faults.set({ drop: { probability: 0.3 } });
      return Array.from({ length: 40 }, () => (faults.plan('begin').action === 'drop' ? 'x' : '.')).join('');
    };
    expect(pattern(5)).toBe(pattern(5));
    expect(pattern(5)).not.toBe(pattern(6));
    const drops = pattern(5)
      .split('')
      .filter((c) => c === 'x').length;
    expect(drops).toBeGreaterThan(2);
    expect(drops).toBeLessThan(25);
  });

  it('update() changes only the named faults', () => {
    const { faults } = controller();
    faults.set({ latency: { ms: 10 } });
    faults.update({ tokenError: { times: 1 } });
    expect(faults.settings).toEqual({ latency: { ms: 10 }, tokenError: { times: 1 } });
    expect(faults.tokenErrorNow()).toBe(true);
    expect(faults.tokenErrorNow()).toBe(false);
  });

  it('notifies reachability changes, including the recovery after forMs', async () => {
    const { clock, faults } = controller();
    const seen: boolean[] = [];
    const unsubscribe = faults.onReachabilityChange((reachable) => seen.push(reachable));
    faults.set({ unreachable: { forMs: 5000 } });
    faults.update({ latency: { ms: 1 } }); // does not restart the outage's clock
    expect(faults.reachable).toBe(false);
    await clock.advance(4999);
    expect(faults.reachable).toBe(false);
    await clock.advance(1);
    expect(faults.reachable).toBe(true);
    expect(faults.settings).toEqual({ latency: { ms: 1 } });
    faults.set({ unreachable: {} });
    faults.clear();
    unsubscribe();
    faults.set({ unreachable: {} });
    expect(seen).toEqual([false, true, false, true]);
    faults.dispose();
    expect(clock.pendingCount).toBe(0);
  });
});

describe('validateFaultSettings', () => {
  it('accepts every documented fault', () => {
    const settings = {
      latency: { ms: 200, jitterMs: 20, endpoints: ['begin', 'poll'] },
      serverError: { status: 500, probability: 0.1 },
      tokenError: { times: 1 },
      drop: { afterProcessing: true, endpoints: ['begin'] },
      unreachable: { forMs: 1000 },
    };
    expect(validateFaultSettings(settings)).toEqual({ ok: true, settings });
  });

  it('names each wrong field', () => {
    const result = validateFaultSettings({
      latency: {},
      serverError: { status: 404 },
      drop: { endpoints: ['admin'], times: 0, afterProcessing: 'yes' },
      unreachable: true,
      flood: {},
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'latency.ms',
        'serverError.status',
        'drop.endpoints',
        'drop.times',
        'drop.afterProcessing',
        'unreachable',
        'flood',
      ]),
    );
  });
});
