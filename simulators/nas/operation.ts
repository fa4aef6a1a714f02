// What every NAS operation (login, accounting, Status-Server) shares: the context it runs in, the
// reply decoded with the right secret and authenticator, and the counters read off its trace.
import type { Clock } from '../../runtime/clock.ts';
import {
  EAP_MESSAGE_TYPE,
  attributeValues,
  decodeAttributes,
  findAttribute,
  joinedValue,
  type AttributeInput,
  type DecodedAttribute,
  type Dictionary,
} from '../../protocol/index.ts';
import type { Exchanger, RoundReply } from './exchange.ts';
import type { DecodedReply } from './methods/types.ts';
import type { OperationLog, TraceEvent } from './trace.ts';

const STATE_TYPE = 24;

export interface OperationContext {
  readonly exchanger: Exchanger;
  readonly clock: Clock;
  readonly dictionary: Dictionary;
  readonly randomBytes: (size: number) => Buffer;
  /** Keep each operation's trace events (NasOptions.trace). */
  readonly keepTrace: boolean;
  /** NAS-Identifier, NAS-Port-Type...: added to every Access-Request. */
  readonly accessAttributes: readonly AttributeInput[];
  /** NAS-Identifier...: added to Accounting-Request and Status-Server. */
  readonly identityAttributes: readonly AttributeInput[];
}

export interface AnsweringServer {
  readonly index: number;
  readonly host: string;
  readonly port: number;
}

/** Timing and traffic of one operation; every count is read off its trace. */
export interface OperationStats {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly totalTimeMs: number;
  /** Rounds that got a verified reply. */
  readonly roundTrips: number;
  /** Datagrams sent, first sends and retransmissions alike. */
  readonly transmissions: number;
  /** Transmissions after the first to the same server in a round. */
  readonly retransmissions: number;
  /**
   * Replies discarded because they did not verify or did not fit (RFC 2865 3: silently discarded);
   * at most MAX_INVALID_REPLIES_TRACED per server attempt are traced and counted.
   */
  readonly invalidReplies: number;
  readonly timeouts: number;
  readonly failovers: number;
  /** The server that sent the last verified reply. */
  readonly server?: AnsweringServer;
  readonly trace: readonly TraceEvent[];
}

export function decodeReply(reply: RoundReply, dictionary: Dictionary): DecodedReply {
  const crypto = { secret: reply.server.secret, requestAuthenticator: reply.request.packet.authenticator };
  const attributes: DecodedAttribute[] = decodeAttributes(reply.packet.attributes, crypto, dictionary);
  const replyMessages = attributeValues(attributes, 'Reply-Message').filter(
    (v): v is string => typeof v === 'string',
  );
  const state = findAttribute(reply.packet, STATE_TYPE)?.value;
  const eapMessage = joinedValue(reply.packet.attributes, EAP_MESSAGE_TYPE);
  return {
    code: reply.packet.code,
    attributes,
    replyMessages,
    ...(state !== undefined ? { state } : {}),
    ...(eapMessage !== undefined ? { eapMessage } : {}),
  };
}

export function summarise(
  trace: OperationLog,
  startedAt: number,
  finishedAt: number,
  last: RoundReply | undefined,
): OperationStats {
  const count = (kind: TraceEvent['kind']): number => trace.countOf(kind);
  const sends = count('send');
  const retransmissions = count('retransmit');
  return {
    startedAt,
    finishedAt,
    totalTimeMs: finishedAt - startedAt,
    roundTrips: count('reply'),
    transmissions: sends + retransmissions,
    retransmissions,
    invalidReplies: count('invalid-reply'),
    timeouts: count('timeout'),
    failovers: count('failover'),
    ...(last !== undefined
      ? { server: { index: last.serverIndex, host: last.endpoint.address, port: last.endpoint.port } }
      : {}),
    trace: trace.events,
  };
}
