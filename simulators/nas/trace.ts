// The packet trace of one NAS operation: every send, retransmission, reply, discarded reply,
// timeout and failover, stamped with the injected Clock, so a virtual-time test can assert exact
// instants and a real run can be read back afterwards.
import { packetCodeLabel, type DecodeFailureCode } from '../../protocol/index.ts';

/** Why a datagram that reached a waiting request was not taken as its reply. */
export type InvalidReplyReason = DecodeFailureCode | 'unexpected-source' | 'unexpected-code';

interface Stamped {
  /** Clock time (ms). */
  readonly at: number;
  /** 1-based request/reply round within the operation (a login has one per Access-Request). */
  readonly round: number;
  /** Index of the server in the NAS's list (0: primary). */
  readonly server: number;
}

interface Transmission extends Stamped {
  /** `host:port` of the server. */
  readonly to: string;
  /** `address:port` of the NAS socket it left from. */
  readonly from: string;
  readonly code: number;
  readonly identifier: number;
  /** Request Authenticator, hex. */
  readonly authenticator: string;
  readonly length: number;
  /** 1-based count of transmissions to this server in this round. */
  readonly transmission: number;
  /** The datagram, when the NAS keeps bytes in its traces. */
  readonly bytes?: Buffer;
}

export type TraceEvent =
  | ({ readonly kind: 'send' } & Transmission)
  | ({
      readonly kind: 'retransmit';
      /** true in `naive` mode: a new Identifier and Request Authenticator, i.e. a new request. */
      readonly newRequest: boolean;
    } & Transmission)
  | ({ readonly kind: 'send-error'; readonly transmission: number; readonly message: string } & Stamped)
  | ({
      readonly kind: 'reply';
      readonly code: number;
      readonly identifier: number;
      readonly length: number;
      /**
       * The transmission it answered: in naive mode each request is told apart (earlier ones keep
       * listening); in same mode the datagrams are identical, so this is the latest one.
       */
      readonly transmission: number;
      /** Time since that transmission left. */
      readonly rttMs: number;
      readonly bytes?: Buffer;
    } & Stamped)
  | ({
      readonly kind: 'invalid-reply';
      readonly identifier: number;
      readonly reason: InvalidReplyReason;
      readonly detail: string;
    } & Stamped)
  | ({ readonly kind: 'timeout'; readonly transmission: number; readonly waitedMs: number } & Stamped)
  | ({
      readonly kind: 'failover';
      /** Server given up on; `server` is the one tried next. */
      readonly from: number;
      readonly reason: 'timeouts' | 'schedule-exhausted';
    } & Stamped)
  | ({ readonly kind: 'give-up'; readonly transmissions: number } & Stamped);

export type TraceEventKind = TraceEvent['kind'];

/**
 * What one operation records: a count of every event kind always, the events themselves only when
 * the NAS keeps traces. Operation stats are read off the counts, so they are the same either way.
 */
export class OperationLog {
  readonly events: TraceEvent[] = [];
  private readonly counts: Record<TraceEventKind, number> = {
    send: 0,
    retransmit: 0,
    'send-error': 0,
    reply: 0,
    'invalid-reply': 0,
    timeout: 0,
    failover: 0,
    'give-up': 0,
  };

  constructor(readonly keepEvents: boolean) {}

  add(event: TraceEvent): void {
    this.counts[event.kind]++;
    if (this.keepEvents) this.events.push(event);
  }

  /** Counts an event that was not built (trace off, nobody listening). */
  count(kind: TraceEventKind): void {
    this.counts[kind]++;
  }

  countOf(kind: TraceEventKind): number {
    return this.counts[kind];
  }
}

/** One line per event, times relative to `origin`: for the CLI and failing-test messages. */
export function formatTraceEvent(event: TraceEvent, origin = 0): string {
  const t = `+${event.at - origin} ms`;
  const where = `round ${event.round}, server ${event.server}`;
  switch (event.kind) {
    case 'send':
    case 'retransmit':
      return (
        `${t} ${event.kind} ${packetCodeLabel(event.code)} id=${event.identifier} ${event.from} -> ${event.to} ` +
        `(${where}, transmission ${event.transmission}${event.kind === 'retransmit' && event.newRequest ? ', new request' : ''})`
      );
    case 'send-error':
      return `${t} send error: ${event.message} (${where})`;
    case 'reply':
      return `${t} reply ${packetCodeLabel(event.code)} id=${event.identifier} after ${event.rttMs} ms (${where})`;
    case 'invalid-reply':
      return `${t} ignored reply id=${event.identifier}: ${event.reason} (${event.detail}) (${where})`;
    case 'timeout':
      return `${t} timeout after ${event.waitedMs} ms (${where}, transmission ${event.transmission})`;
    case 'failover':
      return `${t} failover from server ${event.from} to server ${event.server}: ${event.reason} (round ${event.round})`;
    case 'give-up':
      return `${t} gave up after ${event.transmissions} transmission(s) (${where})`;
  }
}

export function formatTrace(events: readonly TraceEvent[], origin = events[0]?.at ?? 0): string {
  return events.map((event) => formatTraceEvent(event, origin)).join('\n');
}
