// Every timer in radmfa goes through a Clock so that a 60 s NAS timeout or a 10 s duplicate window
// can run in virtual time in property tests and in real time over UDP, with the same code.

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual clocks start wherever they are told). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  sleep(delayMs: number): Promise<void>;
}

/** The longest delay a Node timer holds (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    // A longer delay is taken in steps: Node fires a timer above MAX_TIMER_DELAY_MS after 1 ms.
    const arm = (remainingMs: number): void => {
      const stepMs = Math.min(remainingMs, MAX_TIMER_DELAY_MS);
      const timer = setTimeout(() => {
        if (remainingMs > stepMs) {
          arm(remainingMs - stepMs);
          return;
        }
        this.timers.delete(id);
        callback();
      }, stepMs);
      this.timers.set(id, timer);
    };
    arm(Math.max(0, delayMs));
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(handle.id);
    }
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }
}

interface VirtualTimer {
  readonly id: number;
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. Timers due at the same instant fire in the order they were
 * set. `advance` lets promise continuations run between timers, so async code driven by this clock
 * behaves as it would in real time, only without the waiting.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private seq = 0;
  private readonly pending = new Map<number, VirtualTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    // Like Node, a delay that is not a finite number means "as soon as possible", never a NaN due time.
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0;
    this.pending.set(id, { id, due: this.current + delay, seq: this.seq++, callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle.id);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** When the next timer is due, or undefined when none is pending (lets a driver skip idle time). */
  nextDueAt(): number | undefined {
    return this.earliest()?.due;
  }

  /** Number of timers not yet fired. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises between them. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > targetMs) break;
      this.pending.delete(next.id);
      this.current = Math.max(this.current, next.due);
      next.callback();
      await flushMicrotasks();
    }
    this.current = Math.max(this.current, targetMs);
  }

  /** Fires timers until none are left or `limitMs` of virtual time has passed (a bound, not a target). */
  async runAll(limitMs = 24 * 3600_000): Promise<void> {
    const stopAt = this.current + limitMs;
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > stopAt) return;
      await this.advanceTo(next.due);
    }
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const timer of this.pending.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) {
        best = timer;
      }
    }
    return best;
  }
}

/**
 * Lets every queued promise continuation run: a macrotask turn only starts once the microtask queue
 * is empty, however deep the chain. No real time passes that anyone waits on.
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
