// The NAS's lean request path, for load generation: the same socket pool and Identifier allocator as
// logins, the same retry policy (the profile's timeouts and retransmissions, RFC 5080 2.2.1: a
// retransmission is the same datagram), every reply verified, but no trace records, no promise per
// request and no allocation per request beyond the datagram itself. Each outstanding request is a
// reused slot in a table indexed by (socket, Identifier); one datagram handler serves every slot,
// and one sweep timer on the injected Clock handles every timeout and retransmission.
//
// What it leaves to the full path (nas.login): challenge flows, failover to a secondary server,
// `naive` retransmission and traces. A request goes to the first server.
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { DatagramSocket, Endpoint } from '../../runtime/transport.ts';
import {
  PacketCode,
  RADIUS_AUTHENTICATOR_LENGTH,
  answersRequest,
  checkReply,
  createRequestTemplate,
  type AttributeInput,
  type DecodeFailureCode,
  type Dictionary,
  type RequestTemplate,
} from '../../protocol/index.ts';
import { NasError } from './errors.ts';
import { IDENTIFIER_SPACE } from './identifiers.ts';
import type { NasServer } from './exchange.ts';
import type { RetryPolicy, TimeoutDecider } from './policy.ts';
import type { PooledSocket, SocketPool } from './socket-pool.ts';

/** How a lean request ended. */
export type LeanStatus = 'reply' | 'timeout' | 'closed';

/**
 * Called exactly once per accepted send. `replyCode` is the verified reply's code (0 unless
 * `reply`); `rttMs` is from the latest transmission to the reply (or to the give-up);
 * `transmissions` counts the first send and every retransmission; `queuedMs` is how long the reply
 * waited in the socket before it was read (0 unless the transport says, runtime/transport.ts):
 * the reply arrived that long before the callback, and `rttMs` already leaves it out.
 */
export type LeanCallback = (
  status: LeanStatus,
  replyCode: number,
  rttMs: number,
  transmissions: number,
  queuedMs: number,
) => void;

/** Why a datagram that reached an outstanding lean request was discarded. */
export type LeanDiscardReason = DecodeFailureCode | 'unexpected-source';

export interface LeanStats {
  /** Requests accepted by send(). */
  readonly sent: number;
  /** Datagrams sent: first sends and retransmissions. */
  readonly transmissions: number;
  readonly retransmissions: number;
  /** Requests that got a verified reply. */
  readonly replies: number;
  /** Requests whose schedule ran out without a verified reply. */
  readonly timeouts: number;
  /** Datagrams discarded because they did not verify or did not answer the request. */
  readonly discarded: number;
  readonly discardedByReason: Readonly<Partial<Record<LeanDiscardReason, number>>>;
  /** send() calls refused because no Identifier was free on the open sockets. */
  readonly busy: number;
  readonly sendErrors: number;
  readonly outstanding: number;
}

export interface LeanTemplateOptions {
  readonly code: number;
  /** One attribute list per distinct request; send() picks one by index (modulo the count). */
  readonly variants: readonly (readonly AttributeInput[])[];
  /** Default: on for Access-Request and Status-Server, as buildRequest. */
  readonly messageAuthenticator?: boolean;
  /** Add the NAS's own attributes (NAS-Identifier, NAS-Port-Type...) as logins do. Default true. */
  readonly nasAttributes?: boolean;
}

export interface LeanPath {
  /** Opens the sockets for `outstanding` requests at once (256 Identifiers per socket) up front. */
  open(outstanding: number): Promise<void>;
  /** A request template keyed with the first server's secret, for send(). */
  template(options: LeanTemplateOptions): RequestTemplate;
  /**
   * Sends variant `variant` of `template` to the first server. False (and nothing sent, no
   * callback) when every Identifier of every open socket is outstanding: open more, or wait for a
   * callback. `done` runs once, from the reply handler or the sweep timer, never from send().
   */
  send(template: RequestTemplate, variant: number, done: LeanCallback): boolean;
  stats(): LeanStats;
}

export interface LeanPathOptions {
  readonly pool: SocketPool;
  readonly clock: Clock;
  /** Finer time for RTTs (ms, fractional); the clock's now() when absent. */
  readonly now?: () => number;
  readonly server: NasServer;
  readonly policy: RetryPolicy;
  readonly decide: TimeoutDecider;
  readonly random: () => number;
  readonly randomBytes: (size: number) => Buffer;
  readonly requireMessageAuthenticator: boolean;
  readonly dictionary: Dictionary;
  readonly accessAttributes: readonly AttributeInput[];
  readonly identityAttributes: readonly AttributeInput[];
  readonly isClosed: () => boolean;
}

/** One outstanding request; reused for the next request on the same socket and Identifier. */
class Slot {
  constructor(
    readonly socketIndex: number,
    readonly identifier: number,
  ) {}

  active = false;
  code = 0;
  bytes: Buffer = Buffer.alloc(0);
  /** The Request Authenticator of the request in flight, copied in (no view per request). */
  readonly authenticator: Buffer = Buffer.alloc(RADIUS_AUTHENTICATOR_LENGTH);
  endpoint: Endpoint = { address: '', port: 0 };
  socket: DatagramSocket | undefined;
  firstAt = 0;
  sentAt = 0;
  deadline = 0;
  waitMs = 0;
  transmissions = 0;
  done: LeanCallback | undefined;
  /** Neighbours in the list of active slots (the sweep's work list). */
  previous: Slot | undefined;
  next: Slot | undefined;
}

/**
 * The slots in flight, linked through the slots themselves. A Set would do, but adding and deleting
 * tens of thousands of entries a second makes V8 rehash its table each time the count swings between
 * a few and a few thousand, at a cost per request larger than the list's two pointer writes.
 */
class ActiveSlots {
  private head: Slot | undefined;
  size = 0;

  add(slot: Slot): void {
    slot.previous = undefined;
    slot.next = this.head;
    if (this.head !== undefined) this.head.previous = slot;
    this.head = slot;
    this.size++;
  }

  delete(slot: Slot): void {
    const { previous, next } = slot;
    if (previous === undefined) this.head = next;
    else previous.next = next;
    if (next !== undefined) next.previous = previous;
    slot.previous = undefined;
    slot.next = undefined;
    this.size--;
  }

  /** Calls `visit` on every slot; `visit` may delete the slot it is given (and only that one). */
  forEach(visit: (slot: Slot) => void): void {
    for (let slot = this.head; slot !== undefined;) {
      const next = slot.next;
      visit(slot);
      slot = next;
    }
  }
}

/** Every first transmission starts from the same schedule state (the decider only reads it). */
const FIRST_TRANSMISSION = { transmission: 1, previousTimeoutMs: undefined, elapsedMs: 0 } as const;

/** Sweep period bounds: fine enough for sub-second timeouts, coarse enough to cost nothing. */
const MIN_SWEEP_MS = 5;
const MAX_SWEEP_MS = 100;

/** The path and what only the NAS may call: ending every outstanding request when it closes. */
export interface LeanPathControl {
  readonly path: LeanPath;
  closeAll(): void;
}

export function createLeanPath(options: LeanPathOptions): LeanPathControl {
  const { pool, clock, server, policy, decide, random } = options;
  const now = options.now ?? (() => clock.now());
  const authEndpoint: Endpoint = { address: server.host, port: server.port };
  const acctEndpoint: Endpoint = { address: server.host, port: server.accountingPort };
  const slots: Slot[] = [];
  const active = new ActiveSlots();
  const counts = {
    sent: 0,
    transmissions: 0,
    retransmissions: 0,
    replies: 0,
    timeouts: 0,
    busy: 0,
    sendErrors: 0,
  };
  const discardedByReason: Partial<Record<LeanDiscardReason, number>> = {};
  let discarded = 0;
  let sweepTimer: TimerHandle | undefined;
  const checkOptions = { requireMessageAuthenticator: options.requireMessageAuthenticator };
  const firstWait = decide(policy, FIRST_TRANSMISSION, () => 0.5);
  const sweepMs = Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.floor((firstWait ?? 1000) / 4)));

  const slotFor = (socketIndex: number, identifier: number): Slot => {
    const index = socketIndex * IDENTIFIER_SPACE + identifier;
    let slot = slots[index];
    if (slot === undefined) {
      slot = new Slot(socketIndex, identifier);
      slots[index] = slot;
    }
    return slot;
  };

  const discard = (reason: LeanDiscardReason): void => {
    discarded++;
    discardedByReason[reason] = (discardedByReason[reason] ?? 0) + 1;
  };

  const finish = (slot: Slot, status: LeanStatus, code: number, at: number, queuedMs: number): void => {
    const done = slot.done;
    const rttMs = at - queuedMs - slot.sentAt;
    const transmissions = slot.transmissions;
    slot.active = false;
    slot.done = undefined;
    active.delete(slot);
    pool.releaseIdentifier(slot.socketIndex, slot.identifier);
    done?.(status, code, rttMs, transmissions, queuedMs);
  };

  const onReply = (data: Buffer, from: Endpoint, socket: PooledSocket, queuedMs = 0): void => {
    const identifier = data[1] as number;
    const slot = slots[socket.index * IDENTIFIER_SPACE + identifier];
    if (slot === undefined || !slot.active) return;
    if (from.port !== slot.endpoint.port || from.address !== slot.endpoint.address) {
      discard('unexpected-source');
      return;
    }
    const check = checkReply(data, slot.authenticator, server.secret, checkOptions);
    if (check !== 'ok') {
      discard(check);
      return;
    }
    const code = data[0] as number;
    if (!answersRequest(slot.code, code)) {
      discard('unexpected-code');
      return;
    }
    counts.replies++;
    finish(slot, 'reply', code, now(), queuedMs);
  };

  const transmit = (slot: Slot): void => {
    slot.transmissions++;
    counts.transmissions++;
    const socket = slot.socket;
    if (socket === undefined) return;
    // A send error (ICMP unreachable, closed socket) is lost traffic: the schedule goes on.
    if (socket.post !== undefined) socket.post(slot.bytes, slot.endpoint);
    else socket.send(slot.bytes, slot.endpoint).catch(() => counts.sendErrors++);
  };

  /** One slot at a sweep: given up, retransmitted, or left waiting. */
  const sweepSlot = (slot: Slot, at: number, closed: boolean): void => {
    if (closed) {
      finish(slot, 'closed', 0, at, 0);
      return;
    }
    if (at < slot.deadline) return;
    const waitMs = decide(
      policy,
      {
        transmission: slot.transmissions + 1,
        previousTimeoutMs: slot.waitMs,
        elapsedMs: at - slot.firstAt,
      },
      random,
    );
    if (waitMs === undefined) {
      counts.timeouts++;
      finish(slot, 'timeout', 0, at, 0);
      return;
    }
    // RFC 5080 2.2.1: the same Identifier, authenticator and bytes.
    counts.retransmissions++;
    slot.waitMs = waitMs;
    slot.sentAt = at;
    slot.deadline = at + waitMs;
    transmit(slot);
  };

  const sweep = (): void => {
    sweepTimer = undefined;
    const closed = options.isClosed();
    const at = now();
    active.forEach((slot) => sweepSlot(slot, at, closed));
    armSweep();
  };

  const armSweep = (): void => {
    if (sweepTimer === undefined && active.size > 0) sweepTimer = clock.setTimeout(sweep, sweepMs);
  };

  const path: LeanPath = {
    async open(outstanding) {
      await pool.open(Math.max(1, Math.ceil(outstanding / IDENTIFIER_SPACE)));
    },

    template(templateOptions) {
      const nasAttributes = templateOptions.nasAttributes ?? true;
      const own =
        templateOptions.code === PacketCode.AccessRequest
          ? options.accessAttributes
          : options.identityAttributes;
      return createRequestTemplate({
        code: templateOptions.code,
        secret: server.secret,
        variants: templateOptions.variants.map((variant) => (nasAttributes ? [...variant, ...own] : variant)),
        dictionary: options.dictionary,
        random: options.randomBytes,
        ...(templateOptions.messageAuthenticator !== undefined
          ? { messageAuthenticator: templateOptions.messageAuthenticator }
          : {}),
      });
    },

    send(template, variant, done) {
      if (options.isClosed())
        throw new NasError('RADMFA_NAS_CLOSED', 'the NAS is closed; create another one');
      if (policy.retransmission === 'naive') {
        throw new NasError(
          'RADMFA_NAS_LEAN_UNSUPPORTED',
          'the lean path retransmits the same datagram (RFC 5080); use nas.login for a `naive` profile',
        );
      }
      const lease = pool.tryAcquire(onReply);
      if (lease === undefined) {
        counts.busy++;
        return false;
      }
      const slot = slotFor(lease.socket.index, lease.identifier);
      const bytes = template.instantiate(lease.identifier, variant);
      const at = now();
      const waitMs = decide(policy, FIRST_TRANSMISSION, random);
      slot.active = true;
      slot.code = template.code;
      slot.bytes = bytes;
      const authenticator = slot.authenticator;
      for (let i = 0; i < RADIUS_AUTHENTICATOR_LENGTH; i++) authenticator[i] = bytes[4 + i] as number;
      slot.endpoint = template.code === PacketCode.AccountingRequest ? acctEndpoint : authEndpoint;
      slot.socket = lease.socket.socket;
      slot.firstAt = at;
      slot.sentAt = at;
      slot.waitMs = waitMs ?? 0;
      slot.deadline = at + (waitMs ?? 0);
      slot.transmissions = 0;
      slot.done = done;
      active.add(slot);
      counts.sent++;
      transmit(slot);
      armSweep();
      return true;
    },

    stats: () => ({
      ...counts,
      discarded,
      discardedByReason: { ...discardedByReason },
      outstanding: active.size,
    }),
  };
  return {
    path,
    closeAll() {
      if (sweepTimer !== undefined) clock.clearTimeout(sweepTimer);
      sweepTimer = undefined;
      const at = now();
      active.forEach((slot) => finish(slot, 'closed', 0, at, 0));
    },
  };
}
