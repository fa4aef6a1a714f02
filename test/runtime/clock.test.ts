import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock, VirtualClock } from '../../runtime/clock.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('SystemClock', () => {
  it('waits out a delay longer than a Node timer can hold (2^31 - 1 ms)', () => {
    // Node fires such a timer after 1 ms (TimeoutOverflowWarning); vitest's fake timers do the same.
    vi.useFakeTimers();
    const clock = new SystemClock();
    const fired = vi.fn();
    const delayMs = 2 ** 31 + 5_000;
    clock.setTimeout(fired, delayMs);
    vi.advanceTimersByTime(10);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(delayMs - 11);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('can clear a long timer after it has been re-armed', () => {
    vi.useFakeTimers();
    const clock = new SystemClock();
    const fired = vi.fn();
    const handle = clock.setTimeout(fired, 2 ** 32);
    vi.advanceTimersByTime(2 ** 31);
    clock.clearTimeout(handle);
    vi.advanceTimersByTime(2 ** 32);
    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('VirtualClock', () => {
  it('treats a delay that is not a finite number as zero, so now() never becomes NaN', async () => {
    const clock = new VirtualClock(100);
    let fired = 0;
    clock.setTimeout(() => fired++, Number.NaN);
    clock.setTimeout(() => fired++, Number.POSITIVE_INFINITY);
    await clock.advance(0);
    expect(fired).toBe(2);
    expect(clock.now()).toBe(100);
  });

  it('fires timers due at the same instant in the order they were set', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => order.push('b'), 10);
    clock.setTimeout(() => order.push('a'), 5);
    clock.setTimeout(() => order.push('c'), 10);
    await clock.advance(10);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
