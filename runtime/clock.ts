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

/**
 * A SystemClock timer is its own handle: the Node timer and what is left of a long delay live on it,
 * so a pending timer costs this record and Node's Timeout, with no map entry and no closure (ten
 * thousand logins waiting on MFA hold a poll timeout each).
 */
class SystemTimer implements TimerHandle {
  timeout: NodeJS.Timeout | undefined;

  constructor(
    readonly owner: SystemClock,
    readonly id: number,
    public remainingMs: number,
    readonly callback: () => void,
  ) {}
}

/** Arms the next step of `timer` (a longer delay is taken in steps: Node fires a timer above MAX_TIMER_DELAY_MS after 1 ms). */
function armSystemTimer(timer: SystemTimer): void {
  const stepMs = Math.min(timer.remainingMs, MAX_TIMER_DELAY_MS);
  timer.remainingMs -= stepMs;
  // The timer rides as Node's callback argument: one module-level function serves every timer.
  timer.timeout = setTimeout(fireSystemTimer, stepMs, timer);
}

function fireSystemTimer(timer: SystemTimer): void {
  if (timer.remainingMs > 0) {
    armSystemTimer(timer);
    return;
  }
  timer.timeout = undefined;
  timer.callback();
}

export class SystemClock implements Clock {
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    // NaN fires as soon as possible, as Node does; Infinity is re-armed in steps, never due.
    const delay = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    const timer = new SystemTimer(this, this.nextId++, delay, callback);
    armSystemTimer(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    // A handle of another clock, or one already fired or cleared, is ignored (as Node does).
    if (!(handle instanceof SystemTimer) || handle.owner !== this || handle.timeout === undefined) return;
    clearTimeout(handle.timeout);
    handle.timeout = undefined;
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }
}

/** Also the handle setTimeout returns: clearTimeout finds it without a lookup. */
class VirtualTimer implements TimerHandle {
  /** Still to fire: false once it has fired or been cleared (cleared timers leave the heap lazily). */
  pending = true;

  constructor(
    readonly owner: VirtualClock,
    readonly id: number,
    readonly due: number,
    readonly seq: number,
    readonly callback: () => void,
  ) {}
}

/** (due, seq) order: earlier instant first, and among equal instants the one set first. */
function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** A binary min-heap of timers in (due, seq) order. */
class TimerHeap {
  private readonly items: VirtualTimer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): VirtualTimer | undefined {
    return this.items[0];
  }

  push(timer: VirtualTimer): void {
    const items = this.items;
    let index = items.length;
    items.push(timer);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = items[parent] as VirtualTimer;
      if (!before(timer, above)) break;
      items[index] = above;
      index = parent;
    }
    items[index] = timer;
  }

  pop(): VirtualTimer | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    this.siftDown(last, 0);
    return top;
  }

  /** Drops the timers `keep` refuses and restores heap order (after many clears). */
  retain(keep: (timer: VirtualTimer) => boolean): void {
    const kept = this.items.filter(keep);
    this.items.length = 0;
    this.items.push(...kept);
    for (let index = (kept.length >> 1) - 1; index >= 0; index--) {
      this.siftDown(this.items[index] as VirtualTimer, index);
    }
  }

  private siftDown(timer: VirtualTimer, start: number): void {
    const items = this.items;
    const length = items.length;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(items[right] as VirtualTimer, items[left] as VirtualTimer)) child = right;
      const below = items[child] as VirtualTimer;
      if (!before(below, timer)) break;
      items[index] = below;
      index = child;
    }
    items[index] = timer;
  }
}

/** Cleared timers the heap may hold beyond half its size before it is rebuilt without them. */
const COMPACT_MIN_CLEARED = 1024;

/**
 * A clock that only moves when told to. Timers due at the same instant fire in the order they were
 * set. `advance` lets promise continuations run after every timer, so async code driven by this clock
 * behaves as it would in real time, only without the waiting.
 *
 * Timers wait in a binary heap ordered by (due, seq); a timer set for the current instant (delay 0,
 * the common case of a datagram on a perfect MemoryNetwork) skips the heap for a FIFO, since every
 * timer already in the heap for that instant was set before it. All timers due at one instant fire in
 * one event-loop turn, each from its own setImmediate callback: Node drains the microtask queue
 * between immediates of one turn, as it does between timers, without polling for I/O in between.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private seq = 0;
  /** Timers set and not yet fired nor cleared. */
  private pendingTimers = 0;
  private readonly heap = new TimerHeap();
  /** Timers due at `current`, in the order set; `nowHead` is the next one to fire. */
  private now_: VirtualTimer[] = [];
  private nowHead = 0;
  /** Timers taken for the instant being fired that have not fired yet. */
  private inFlight = 0;

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
    const timer = new VirtualTimer(this, id, this.current + delay, this.seq++, callback);
    this.pendingTimers++;
    if (delay === 0) this.now_.push(timer);
    else this.heap.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    // A handle of another clock, or one already fired or cleared, is ignored (as Node does).
    if (!(handle instanceof VirtualTimer) || handle.owner !== this || !handle.pending) return;
    handle.pending = false;
    this.pendingTimers--;
    this.compactIfMostlyCleared();
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** When the next timer is due, or undefined when none is pending (lets a driver skip idle time). */
  nextDueAt(): number | undefined {
    if (this.inFlight > 0) return this.current;
    return this.nextDue();
  }

  /** Number of timers not yet fired. */
  get pendingCount(): number {
    return this.pendingTimers;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises between them. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > targetMs) break;
      this.current = Math.max(this.current, due);
      await this.fireInstant(this.takeInstant(due));
    }
    this.current = Math.max(this.current, targetMs);
  }

  /** Fires timers until none are left or `limitMs` of virtual time has passed (a bound, not a target). */
  async runAll(limitMs = 24 * 3600_000): Promise<void> {
    const stopAt = this.current + limitMs;
    await flushMicrotasks();
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > stopAt) return;
      await this.advanceTo(due);
    }
  }

  /** The earliest due time among pending timers, dropping cleared ones met on the way. */
  private nextDue(): number | undefined {
    while (this.nowHead < this.now_.length && !(this.now_[this.nowHead] as VirtualTimer).pending) {
      this.nowHead++;
    }
    if (this.nowHead < this.now_.length) return this.current;
    this.now_ = [];
    this.nowHead = 0;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.pending) return top?.due;
      this.heap.pop();
    }
  }

  /** Every timer due at `due`, in firing order: the heap's (set earlier) before the FIFO's. */
  private takeInstant(due: number): VirtualTimer[] {
    const batch: VirtualTimer[] = [];
    for (let top = this.heap.peek(); top !== undefined && top.due === due; top = this.heap.peek()) {
      this.heap.pop();
      if (top.pending) batch.push(top);
    }
    if (due === this.current) {
      for (let i = this.nowHead; i < this.now_.length; i++) {
        const timer = this.now_[i] as VirtualTimer;
        if (timer.pending) batch.push(timer);
      }
      this.now_ = [];
      this.nowHead = 0;
    }
    return batch;
  }

  /**
   * Fires `batch` in one event-loop turn, one setImmediate callback per timer, so that promise
   * continuations settle between timers; one more callback at the end, once those of the last timer
   * have settled too (they may set timers for this instant), resolves in the turn after, behind any
   * setImmediate the batch scheduled. A timer cleared by an
   * earlier one of the batch stays silent; after a throw the rest of the batch is put back, still
   * pending, and the error rejects.
   */
  private fireInstant(batch: readonly VirtualTimer[]): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    this.inFlight = batch.length;
    return new Promise((resolve, reject) => {
      let index = 0;
      let failed = false;
      const fireNext = (): void => {
        if (failed) return;
        if (index === batch.length) {
          // Immediates the batch scheduled (group commit's flush, real I/O callbacks) run first, in
          // the next turn, as they did when every timer had a turn of its own.
          setImmediate(resolve);
          return;
        }
        const timer = batch[index++] as VirtualTimer;
        this.inFlight--;
        if (!timer.pending) return;
        timer.pending = false;
        this.pendingTimers--;
        try {
          timer.callback();
        } catch (error) {
          failed = true;
          this.restore(batch.slice(index));
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      for (let i = 0; i <= batch.length; i++) setImmediate(fireNext);
    });
  }

  private restore(rest: readonly VirtualTimer[]): void {
    this.inFlight = 0;
    for (const timer of rest) {
      if (timer.pending) this.heap.push(timer);
    }
  }

  /**
   * Cleared timers leave the heap lazily, when they reach its top; a NAS whose 60 s timeouts are
   * cleared by replies would otherwise grow it without bound. The heap is rebuilt once most of it
   * is cleared timers, which keeps the cost per clear constant on average.
   */
  private compactIfMostlyCleared(): void {
    if (this.heap.size > 2 * this.pendingTimers + COMPACT_MIN_CLEARED) {
      this.heap.retain((timer) => timer.pending);
    }
  }
}

/**
 * Lets every queued promise continuation run: a macrotask turn only starts once the microtask queue
 * is empty, however deep the chain. No real time passes that anyone waits on.
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
