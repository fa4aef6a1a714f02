import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../runtime/clock.ts';

/**
 * Conversations that span several Access-Requests (EAP rounds, an MFA code prompt) are keyed by the
 * State attribute the server hands out (RFC 2865 5.24). Entries expire on the Clock and are taken
 * out on use, so a replayed State finds nothing.
 */
export class ChallengeStore<T> {
  private readonly entries = new Map<string, { value: T; timer: TimerHandle }>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly random: (size: number) => Buffer = randomBytes,
  ) {}

  /** Stores `value` under a fresh State and returns the State to send. */
  open(value: T): Buffer {
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: Map iteration order is insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    const state = this.random(16);
    // A request still in flight when the server closed must not arm a timer that outlives it.
    if (this.closed) return state;
    const key = state.toString('hex');
    const timer = this.clock.setTimeout(() => this.entries.delete(key), this.ttlMs);
    this.entries.set(key, { value, timer });
    return state;
  }

  /** Removes and returns the conversation for this State, or undefined (unknown, expired or replayed). */
  take(state: Buffer): T | undefined {
    const key = state.toString('hex');
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.delete(key);
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  /** Clears every conversation and keeps none opened afterwards. */
  close(): void {
    this.closed = true;
    this.clear();
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) this.clock.clearTimeout(entry.timer);
    this.entries.delete(key);
  }
}
