// What the mock was asked and when, like undici's mock call history: tests assert "exactly one push was
// sent for this login" from it, humans read it over HTTP. A call is recorded when it arrives and
// completed when it is answered, so a long-poll still waiting is visible.

import type { CallRecord, MfaEndpoint } from './api-types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface CallFilter {
  /** Only calls with seq greater than this. */
  readonly since?: number;
  readonly endpoint?: MfaEndpoint;
  /** Case-insensitive. */
  readonly user?: string;
  readonly sessionId?: string;
}

export type CallPredicate = (call: CallRecord) => boolean;

export function matchesFilter(call: CallRecord, filter: CallFilter): boolean {
  return (
    (filter.since === undefined || call.seq > filter.since) &&
    (filter.endpoint === undefined || call.endpoint === filter.endpoint) &&
    (filter.user === undefined || call.user?.toLowerCase() === filter.user.toLowerCase()) &&
    (filter.sessionId === undefined || call.sessionId === filter.sessionId)
  );
}

interface Waiter {
  readonly predicate: CallPredicate;
  readonly resolve: (call: CallRecord) => void;
}

export class CallHistory {
  private calls: Mutable<CallRecord>[] = [];
  private nextSeq = 1;
  private readonly waiters = new Set<Waiter>();
  /** Calls forgotten because the history reached its limit (oldest go first). */
  forgotten = 0;

  /** @param limit Calls kept; a load run would otherwise keep every call it ever made. */
  constructor(private readonly limit = 100_000) {}

  /** Records an arriving call; returns its seq for `complete`. */
  record(call: Omit<CallRecord, 'seq'>): number {
    const entry: Mutable<CallRecord> = { seq: this.nextSeq++, ...call };
    this.calls.push(entry);
    if (this.calls.length > this.limit) {
      // Trim in chunks so a full history costs O(1) amortised per call, not a shift per call.
      const excess = this.calls.length - Math.floor(this.limit * 0.9);
      this.calls.splice(0, excess);
      this.forgotten += excess;
    }
    const snapshot = { ...entry };
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(snapshot)) {
        this.waiters.delete(waiter);
        waiter.resolve(snapshot);
      }
    }
    return entry.seq;
  }

  /** Adds what happened to a recorded call (its response, the faults applied). */
  update(seq: number, patch: Partial<Omit<CallRecord, 'seq'>>): void {
    const entry = this.find(seq);
    if (entry !== undefined) Object.assign(entry, patch);
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.calls.filter((call) => matchesFilter(call, filter)).map((call) => ({ ...call }));
  }

  /** The most recent call matching `filter`. */
  last(filter: CallFilter = {}): CallRecord | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const call = this.calls[i];
      if (call !== undefined && matchesFilter(call, filter)) return { ...call };
    }
    return undefined;
  }

  count(filter: CallFilter = {}): number {
    return this.calls.reduce((n, call) => (matchesFilter(call, filter) ? n + 1 : n), 0);
  }

  clear(): void {
    this.calls = [];
  }

  /**
   * Resolves with the first call matching `predicate`, already recorded or yet to come. Lets a
   * virtual-time test wait until a request has reached the mock before it advances the clock.
   */
  waitFor(predicate: CallPredicate | CallFilter, signal?: AbortSignal): Promise<CallRecord> {
    const test =
      typeof predicate === 'function' ? predicate : (call: CallRecord) => matchesFilter(call, predicate);
    const existing = this.calls.find(test);
    if (existing !== undefined) return Promise.resolve({ ...existing });
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { predicate: test, resolve };
      this.waiters.add(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters.delete(waiter);
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  private find(seq: number): Mutable<CallRecord> | undefined {
    // Seqs are dense and ordered, so the position is computable (unless trimmed, then absent).
    const first = this.calls[0];
    if (first === undefined) return undefined;
    const candidate = this.calls[seq - first.seq];
    return candidate?.seq === seq ? candidate : this.calls.find((call) => call.seq === seq);
  }
}
