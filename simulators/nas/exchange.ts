// One request/reply round: send, wait, retransmit as the policy says, move to the next server,
// and take only a reply that verifies. Replies that do not verify are traced and ignored while the
// NAS keeps waiting, as RFC 2865 3 says a client must silently discard them.
import type { Clock } from '../../runtime/clock.ts';
import type { Endpoint } from '../../runtime/transport.ts';
import {
  decodePacket,
  verifyResponse,
  type BuiltPacket,
  type RadiusPacket,
  type Secret,
} from '../../protocol/index.ts';
import { MAX_TRANSMISSIONS_PER_SERVER, type RetryPolicy, type TimeoutDecider } from './policy.ts';
import type { Lease, SocketPool } from './socket-pool.ts';
import type { InvalidReplyReason, OperationLog, TraceEvent } from './trace.ts';

export interface NasServer {
  /** IP address literal (replies are matched on their source address). */
  readonly host: string;
  /** Authentication port (1812). */
  readonly port: number;
  /** Accounting port (1813). */
  readonly accountingPort: number;
  readonly secret: Secret;
}

export interface BuildInput {
  readonly identifier: number;
  readonly server: NasServer;
  readonly serverIndex: number;
  /** A fresh random Request Authenticator (ignored by requests whose authenticator is computed). */
  readonly authenticator: Buffer;
}

export interface RoundRequest {
  readonly code: number;
  readonly port: 'auth' | 'acct';
  /** Reply codes that answer this request; any other is ignored as `unexpected-code`. */
  readonly expects: readonly number[];
  /** Builds the datagram for one server and Identifier; called again per new request (naive mode, failover). */
  build(input: BuildInput): BuiltPacket;
}

export interface RoundReply {
  readonly bytes: Buffer;
  readonly packet: RadiusPacket;
  /** The request this reply answered (its authenticator keys the reply's hidden attributes). */
  readonly request: BuiltPacket;
  readonly server: NasServer;
  readonly serverIndex: number;
  /** Where the request went: the server's authentication or accounting port. */
  readonly endpoint: Endpoint;
  readonly receivedAt: number;
}

export type RoundOutcome =
  | { readonly kind: 'reply'; readonly reply: RoundReply }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'closed' };

export interface ExchangerOptions {
  readonly clock: Clock;
  readonly pool: SocketPool;
  readonly servers: readonly NasServer[];
  readonly policy: RetryPolicy;
  readonly decide: TimeoutDecider;
  /** Seeded uniform [0, 1) source for the backoff jitter. */
  readonly random: () => number;
  readonly randomBytes: (size: number) => Buffer;
  readonly requireMessageAuthenticator: boolean;
  readonly traceBytes: boolean;
  /** Every trace event of every operation, as it happens. */
  readonly onTrace?: (event: TraceEvent) => void;
}

type WaitResult = RoundReply | 'timeout' | 'closed';

/**
 * Invalid replies traced per server attempt. A hostile or broken server can send any number of
 * datagrams with the outstanding Identifier; past this many they are still discarded, but no longer
 * traced, so the trace (and `invalidReplies`, read off it) cannot grow without bound.
 */
export const MAX_INVALID_REPLIES_TRACED = 1_000;

/** The reply (or close) one server attempt is waiting for, raced against each transmission's timer. */
class ReplyWaiter {
  private settled: RoundReply | 'closed' | undefined;
  private notify: ((value: RoundReply | 'closed') => void) | undefined;
  /** Invalid replies seen while waiting, traced up to MAX_INVALID_REPLIES_TRACED. */
  invalidReplies = 0;

  get done(): boolean {
    return this.settled !== undefined;
  }

  get result(): RoundReply | 'closed' | undefined {
    return this.settled;
  }

  settle(value: RoundReply | 'closed'): void {
    if (this.settled !== undefined) return;
    this.settled = value;
    this.notify?.(value);
  }

  wait(clock: Clock, ms: number): Promise<WaitResult> {
    if (this.settled !== undefined) return Promise.resolve(this.settled);
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        this.notify = undefined;
        resolve('timeout');
      }, ms);
      this.notify = (value) => {
        clock.clearTimeout(timer);
        this.notify = undefined;
        resolve(value);
      };
    });
  }
}

interface InFlight {
  readonly lease: Lease;
  readonly built: BuiltPacket;
  /** Transmission number and time of this request's latest send. */
  transmission: number;
  sentAt: number;
}

type ServerAttempt =
  | { readonly kind: 'reply'; readonly reply: RoundReply }
  | { readonly kind: 'closed' }
  | { readonly kind: 'timeouts' | 'schedule-exhausted'; readonly transmissions: number };

function hostPort(endpoint: Endpoint): string {
  return endpoint.address.includes(':')
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

export class Exchanger {
  /** Where requests start when failover is sticky: the server that last answered. */
  private active = 0;
  private readonly waiters = new Set<ReplyWaiter>();

  constructor(private readonly options: ExchangerOptions) {}

  get activeServer(): number {
    return this.active;
  }

  /** Settles every waiting round as `closed`. */
  closeAll(): void {
    for (const waiter of this.waiters) waiter.settle('closed');
  }

  async run(request: RoundRequest, round: number, trace: OperationLog): Promise<RoundOutcome> {
    const { servers, policy } = this.options;
    const start = policy.stickyFailover ? this.active : 0;
    let transmissions = 0;
    for (let k = 0; k < servers.length; k++) {
      const serverIndex = (start + k) % servers.length;
      const attempt = await this.runOnServer(request, serverIndex, round, trace);
      if (attempt.kind === 'reply') {
        if (policy.stickyFailover) this.active = serverIndex;
        return attempt;
      }
      if (attempt.kind === 'closed') return attempt;
      transmissions += attempt.transmissions;
      const next = (serverIndex + 1) % servers.length;
      if (k + 1 < servers.length) {
        if (policy.stickyFailover) this.active = next;
        this.record(trace, {
          kind: 'failover',
          at: this.now(),
          round,
          server: next,
          from: serverIndex,
          reason: attempt.kind,
        });
      } else {
        this.record(trace, { kind: 'give-up', at: this.now(), round, server: serverIndex, transmissions });
      }
    }
    return { kind: 'timeout' };
  }

  private now(): number {
    return this.options.clock.now();
  }

  private record(trace: OperationLog, event: TraceEvent): void {
    trace.add(event);
    this.options.onTrace?.(event);
  }

  /** False when nobody would see the event (trace off, no onTrace): count it, skip building it. */
  private wantsEvents(trace: OperationLog): boolean {
    return trace.keepEvents || this.options.onTrace !== undefined;
  }

  private async runOnServer(
    request: RoundRequest,
    serverIndex: number,
    round: number,
    trace: OperationLog,
  ): Promise<ServerAttempt> {
    const { clock, policy, decide, random } = this.options;
    const server = this.options.servers[serverIndex];
    if (server === undefined) return { kind: 'schedule-exhausted', transmissions: 0 };
    const endpoint: Endpoint = {
      address: server.host,
      port: request.port === 'auth' ? server.port : server.accountingPort,
    };
    const waiter = new ReplyWaiter();
    this.waiters.add(waiter);
    const requests: InFlight[] = [];
    let current: InFlight | undefined;
    let firstAt: number | undefined;
    let previousTimeoutMs: number | undefined;
    let consecutiveTimeouts = 0;
    try {
      for (let transmission = 1; transmission <= MAX_TRANSMISSIONS_PER_SERVER; transmission++) {
        const elapsedMs = firstAt === undefined ? 0 : this.now() - firstAt;
        const waitMs = decide(policy, { transmission, previousTimeoutMs, elapsedMs }, random);
        if (waitMs === undefined) return { kind: 'schedule-exhausted', transmissions: transmission - 1 };
        const isNew = current === undefined || policy.retransmission === 'naive';
        if (isNew) {
          current = await this.newRequest(request, server, serverIndex, endpoint, waiter, round, trace);
          requests.push(current);
        }
        // A reply to an earlier request (naive mode) or a close may have come in while building.
        const early = waiter.result;
        if (early === 'closed') return { kind: 'closed' };
        if (early !== undefined) return { kind: 'reply', reply: early };
        if (current === undefined) break;
        current.transmission = transmission;
        current.sentAt = this.now();
        firstAt ??= current.sentAt;
        this.traceTransmission(trace, current, transmission, isNew, round, serverIndex, endpoint);
        try {
          await current.lease.socket.socket.send(current.built.bytes, endpoint);
        } catch (error) {
          // A send error (ICMP unreachable, closed socket) is lost traffic: keep to the schedule.
          const message = error instanceof Error ? error.message : String(error);
          this.record(trace, {
            kind: 'send-error',
            at: this.now(),
            round,
            server: serverIndex,
            transmission,
            message,
          });
        }
        const result = await waiter.wait(clock, waitMs);
        if (result === 'closed') return { kind: 'closed' };
        if (result !== 'timeout') return { kind: 'reply', reply: result };
        this.record(trace, {
          kind: 'timeout',
          at: this.now(),
          round,
          server: serverIndex,
          transmission,
          waitedMs: waitMs,
        });
        consecutiveTimeouts++;
        previousTimeoutMs = waitMs;
        if (
          policy.failoverAfterTimeouts !== undefined &&
          consecutiveTimeouts >= policy.failoverAfterTimeouts
        ) {
          return { kind: 'timeouts', transmissions: transmission };
        }
      }
      return { kind: 'schedule-exhausted', transmissions: requests.length };
    } finally {
      this.waiters.delete(waiter);
      for (const inFlight of requests) this.options.pool.release(inFlight.lease);
    }
  }

  private traceTransmission(
    trace: OperationLog,
    inFlight: InFlight,
    transmission: number,
    isNew: boolean,
    round: number,
    serverIndex: number,
    endpoint: Endpoint,
  ): void {
    if (!this.wantsEvents(trace)) {
      trace.count(transmission === 1 ? 'send' : 'retransmit');
      return;
    }
    const { built, lease } = inFlight;
    const common = {
      at: inFlight.sentAt,
      round,
      server: serverIndex,
      to: hostPort(endpoint),
      from: hostPort(lease.socket.socket.local),
      code: built.packet.code,
      identifier: built.packet.identifier,
      authenticator: built.packet.authenticator.toString('hex'),
      length: built.bytes.length,
      transmission,
      ...(this.options.traceBytes ? { bytes: Buffer.from(built.bytes) } : {}),
    };
    this.record(
      trace,
      transmission === 1 ? { kind: 'send', ...common } : { kind: 'retransmit', newRequest: isNew, ...common },
    );
  }

  private async newRequest(
    request: RoundRequest,
    server: NasServer,
    serverIndex: number,
    endpoint: Endpoint,
    waiter: ReplyWaiter,
    round: number,
    trace: OperationLog,
  ): Promise<InFlight> {
    // The handler is registered before the datagram is built, so it closes over a holder.
    const holder: { inFlight?: InFlight } = {};
    const lease = await this.options.pool.acquire((data, from) => {
      if (holder.inFlight !== undefined && !waiter.done) {
        this.onDatagram(
          data,
          from,
          holder.inFlight,
          request,
          server,
          serverIndex,
          endpoint,
          waiter,
          round,
          trace,
        );
      }
    });
    let built: BuiltPacket;
    try {
      built = request.build({
        identifier: lease.identifier,
        server,
        serverIndex,
        authenticator: this.options.randomBytes(16),
      });
    } catch (error) {
      this.options.pool.release(lease);
      throw error;
    }
    const inFlight: InFlight = { lease, built, transmission: 0, sentAt: this.now() };
    holder.inFlight = inFlight;
    return inFlight;
  }

  private onDatagram(
    data: Buffer,
    from: Endpoint,
    inFlight: InFlight,
    request: RoundRequest,
    server: NasServer,
    serverIndex: number,
    endpoint: Endpoint,
    waiter: ReplyWaiter,
    round: number,
    trace: OperationLog,
  ): void {
    const at = this.now();
    const identifier = data[1] ?? -1;
    const invalid = (reason: InvalidReplyReason, detail: string): void => {
      if (waiter.invalidReplies++ >= MAX_INVALID_REPLIES_TRACED) return;
      this.record(trace, {
        kind: 'invalid-reply',
        at,
        round,
        server: serverIndex,
        identifier,
        reason,
        detail,
      });
    };
    if (from.address !== endpoint.address || from.port !== endpoint.port) {
      invalid('unexpected-source', `from ${hostPort(from)}, expected ${hostPort(endpoint)}`);
      return;
    }
    const decoded = decodePacket(data);
    if (!decoded.ok) {
      invalid(decoded.code, decoded.message);
      return;
    }
    const packet = decoded.value;
    const verified = verifyResponse(data, packet, inFlight.built.packet.authenticator, server.secret, {
      requireMessageAuthenticator: this.options.requireMessageAuthenticator,
    });
    if (!verified.ok) {
      invalid(verified.code, verified.message);
      return;
    }
    if (!request.expects.includes(packet.code)) {
      invalid('unexpected-code', `code ${packet.code} does not answer code ${request.code}`);
      return;
    }
    if (!this.wantsEvents(trace)) trace.count('reply');
    else
      this.record(trace, {
        kind: 'reply',
        at,
        round,
        server: serverIndex,
        code: packet.code,
        identifier: packet.identifier,
        length: data.length,
        transmission: inFlight.transmission,
        rttMs: at - inFlight.sentAt,
        ...(this.options.traceBytes ? { bytes: Buffer.from(data) } : {}),
      });
    waiter.settle({
      bytes: Buffer.from(data),
      packet,
      request: inFlight.built,
      server,
      serverIndex,
      endpoint,
      receivedAt: at,
    });
  }
}
