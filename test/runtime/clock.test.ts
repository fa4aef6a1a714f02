import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemClock, VirtualClock, type TimerHandle } from '../../runtime/clock.ts';

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

  it('fires any set of timers in (due, set order), each at its due time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 50 }), cleared: fc.boolean() }), {
          maxLength: 300,
          size: 'max',
        }),
        async (timers) => {
          const clock = new VirtualClock(1_000);
          const fired: { index: number; at: number }[] = [];
          const handles = timers.map(({ delay }, index) =>
            clock.setTimeout(() => fired.push({ index, at: clock.now() }), delay),
          );
          timers.forEach(({ cleared }, index) => {
            if (cleared) clock.clearTimeout(handles[index] as TimerHandle);
          });
          await clock.advance(50);
          const expected = timers
            .map(({ delay, cleared }, index) => ({ index, at: 1_000 + delay, cleared }))
            .filter(({ cleared }) => !cleared)
            .sort((a, b) => a.at - b.at || a.index - b.index)
            .map(({ index, at }) => ({ index, at }));
          expect(fired).toEqual(expected);
          expect(clock.pendingCount).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fires a timer set for the current instant after those already due then, before later ones', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('a@5');
      clock.setTimeout(() => order.push('d@5 (set by a)'), 0);
    }, 5);
    clock.setTimeout(() => order.push('b@5'), 5);
    clock.setTimeout(() => order.push('e@6'), 6);
    clock.setTimeout(() => order.push('c@0'), 0);
    await clock.advance(10);
    expect(order).toEqual(['c@0', 'a@5', 'b@5', 'd@5 (set by a)', 'e@6']);
  });

  it('fires every timer due at one instant before a macrotask that one of them schedules', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('t1');
      setImmediate(() => order.push('macrotask from t1'));
    }, 10);
    clock.setTimeout(() => order.push('t2'), 10);
    clock.setTimeout(() => order.push('t3'), 10);
    clock.setTimeout(() => order.push('t4 at the next instant'), 11);
    await clock.advance(20);
    expect(order).toEqual(['t1', 't2', 't3', 'macrotask from t1', 't4 at the next instant']);
  });

  it('settles promise continuations between timers of one instant', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    const handles: { second?: TimerHandle } = {};
    clock.setTimeout(() => {
      order.push('first');
      void (async () => {
        for (let i = 0; i < 10; i++) await Promise.resolve();
        order.push('continuation of first');
        if (handles.second !== undefined) clock.clearTimeout(handles.second);
      })();
    }, 10);
    handles.second = clock.setTimeout(() => order.push('second (cleared by the continuation)'), 10);
    clock.setTimeout(() => order.push('third'), 10);
    await clock.advance(10);
    expect(order).toEqual(['first', 'continuation of first', 'third']);
    expect(clock.pendingCount).toBe(0);
  });

  it("fires, within the same advance, a timer the last timer's continuations set for the same instant", async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('last of the instant');
      void (async () => {
        for (let i = 0; i < 10; i++) await Promise.resolve();
        clock.setTimeout(() => order.push('set late, same instant'), 0);
      })();
    }, 5);
    await clock.advance(5);
    expect(order).toEqual(['last of the instant', 'set late, same instant']);
    expect(clock.pendingCount).toBe(0);
  });

  it('lets a macrotask the last timer of an instant schedules run before advance returns', async () => {
    // Code with a real setImmediate of its own (accounting's group commit) finishes its turn before
    // the clock moves on or hands control back, as it did when every timer had a turn.
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      order.push('timer');
      void (async () => {
        for (let i = 0; i < 3; i++) await Promise.resolve();
        setImmediate(() => order.push('macrotask from its continuation'));
      })();
    }, 5);
    await clock.advance(5);
    expect(order).toEqual(['timer', 'macrotask from its continuation']);
  });

  it('forgets cleared timers: they never fire, nextDueAt and pendingCount skip them', async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    // More than the heap keeps before it is rebuilt without cleared timers.
    const handles = Array.from({ length: 5_000 }, (_, i) => clock.setTimeout(() => fired.push(i), 100 + i));
    handles.forEach((handle, i) => {
      if (i % 1_000 !== 999) clock.clearTimeout(handle);
    });
    expect(clock.pendingCount).toBe(5);
    expect(clock.nextDueAt()).toBe(100 + 999);
    clock.clearTimeout(handles[999] as TimerHandle);
    clock.clearTimeout(handles[999] as TimerHandle);
    expect(clock.nextDueAt()).toBe(100 + 1_999);
    await clock.advance(10_000);
    expect(fired).toEqual([1_999, 2_999, 3_999, 4_999]);
    expect(clock.nextDueAt()).toBeUndefined();
  });

  it('after a timer throws, advance rejects and the rest of its instant stays pending, in order', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => order.push('before'), 5);
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 5);
    clock.setTimeout(() => order.push('after 1'), 5);
    clock.setTimeout(() => order.push('after 2'), 5);
    await expect(clock.advance(5)).rejects.toThrow('boom');
    expect(order).toEqual(['before']);
    expect(clock.pendingCount).toBe(2);
    expect(clock.nextDueAt()).toBe(5);
    await clock.advance(0);
    expect(order).toEqual(['before', 'after 1', 'after 2']);
  });
});
