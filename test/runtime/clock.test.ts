import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../runtime/clock.ts';

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
