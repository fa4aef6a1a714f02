// A bounded pool of LDAP connections. A user bind changes a connection's identity (RFC 4511 4.2),
// so each bind needs a connection to itself for its round trip; opening one per login (TCP connect,
// bind, unbind) was most of the cost of a PAP login against LDAP, and an unbounded number of them
// is what a burst of logins would otherwise open against the directory. Binds beyond `max` wait in a
// FIFO queue, itself bounded: a directory that cannot keep up makes logins wait, then fail as
// unavailable, instead of accumulating connections.
import type { Clock, TimerHandle } from '../../runtime/clock.ts';

/** What the pool needs of a connection (LdapDirectory's BindConnection has it). */
export interface PooledConnection {
  unbind(): Promise<void>;
}

export interface PoolStats {
  /** Connections open now (idle + busy). */
  readonly open: number;
  readonly idle: number;
  readonly busy: number;
  /** Acquisitions waiting for a connection now. */
  readonly waiting: number;
  readonly max: number;
  /** Totals since start. */
  readonly acquired: number;
  /** Acquisitions that had to wait for a connection. */
  readonly waited: number;
  /** Sum of the waits, milliseconds (with `waited`, the mean wait). */
  readonly waitMsTotal: number;
  /** Waits that ran out of time, and acquisitions refused because the queue was full. */
  readonly timedOut: number;
  readonly rejected: number;
  readonly created: number;
  /** Connections closed as broken (not returned healthy). */
  readonly discarded: number;
}

export type Acquired<C> =
  | { readonly kind: 'ok'; readonly connection: C }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'queue-full' }
  | { readonly kind: 'closed' };

interface Waiter<C> {
  readonly since: number;
  readonly resolve: (acquired: Acquired<C>) => void;
  timer: TimerHandle | undefined;
}

export interface ConnectionPoolOptions<C> {
  readonly create: () => C;
  readonly max: number;
  readonly maxQueue: number;
  readonly clock: Clock;
}

export class ConnectionPool<C extends PooledConnection> {
  private readonly idle: C[] = [];
  private readonly waiters: Waiter<C>[] = [];
  /** Index of the first live waiter (the queue is an array with a moving head, not shift()ed). */
  private head = 0;
  private busy = 0;
  private closed = false;
  private readonly totals = {
    acquired: 0,
    waited: 0,
    waitMsTotal: 0,
    timedOut: 0,
    rejected: 0,
    created: 0,
    discarded: 0,
  };

  constructor(private readonly options: ConnectionPoolOptions<C>) {}

  /** A connection for the caller alone, until release(); waits at most `timeoutMs` for one. */
  acquire(timeoutMs: number): Promise<Acquired<C>> | Acquired<C> {
    if (this.closed) return { kind: 'closed' };
    const idle = this.idle.pop();
    if (idle !== undefined) return this.lend(idle);
    if (this.busy < this.options.max) {
      this.totals.created++;
      return this.lend(this.options.create());
    }
    if (this.waiters.length - this.head >= this.options.maxQueue) {
      this.totals.rejected++;
      return { kind: 'queue-full' };
    }
    return new Promise((resolve) => {
      const waiter: Waiter<C> = { since: this.options.clock.now(), resolve, timer: undefined };
      waiter.timer = this.options.clock.setTimeout(() => {
        waiter.timer = undefined;
        const at = this.waiters.indexOf(waiter, this.head);
        if (at >= 0) this.waiters.splice(at, 1);
        this.totals.timedOut++;
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Gives the connection back. `healthy: false` (a transport error, a timeout mid-request) closes
   * it: its next user would inherit a half-finished exchange.
   */
  release(connection: C, healthy: boolean): void {
    if (!healthy || this.closed) {
      this.busy--;
      if (!healthy) this.totals.discarded++;
      void connection.unbind().catch(() => undefined);
      // A slot freed: the next waiter gets a fresh connection.
      if (!this.closed) this.handOverFresh();
      return;
    }
    const waiter = this.nextWaiter();
    if (waiter === undefined) {
      this.busy--;
      this.idle.push(connection);
      return;
    }
    this.serve(waiter, connection);
  }

  stats(): PoolStats {
    return {
      open: this.idle.length + this.busy,
      idle: this.idle.length,
      busy: this.busy,
      waiting: this.waiters.length - this.head,
      max: this.options.max,
      ...this.totals,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (let waiter = this.nextWaiter(); waiter !== undefined; waiter = this.nextWaiter()) {
      if (waiter.timer !== undefined) this.options.clock.clearTimeout(waiter.timer);
      waiter.resolve({ kind: 'closed' });
    }
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((connection) => connection.unbind().catch(() => undefined)));
  }

  private lend(connection: C): Acquired<C> {
    this.busy++;
    this.totals.acquired++;
    return { kind: 'ok', connection };
  }

  private handOverFresh(): void {
    const waiter = this.nextWaiter();
    if (waiter === undefined) return;
    this.totals.created++;
    this.busy++;
    this.serve(waiter, this.options.create());
  }

  /** `busy` already counts the connection: it passes from one user to the next. */
  private serve(waiter: Waiter<C>, connection: C): void {
    if (waiter.timer !== undefined) this.options.clock.clearTimeout(waiter.timer);
    this.totals.acquired++;
    this.totals.waited++;
    this.totals.waitMsTotal += this.options.clock.now() - waiter.since;
    waiter.resolve({ kind: 'ok', connection });
  }

  private nextWaiter(): Waiter<C> | undefined {
    if (this.head >= this.waiters.length) return undefined;
    const waiter = this.waiters[this.head];
    this.head++;
    // Compact once the consumed head is most of the array, so the queue does not grow forever.
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    return waiter;
  }
}
