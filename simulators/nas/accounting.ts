// Accounting-Request (RFC 2866) and Status-Server (RFC 5997) as the NAS sends them. Both go
// through the same retry and failover engine as logins.
import {
  PacketCode,
  buildRequest,
  packetCodeLabel,
  type AttributeInput,
  type AttributeValue,
  type DecodedAttribute,
} from '../../protocol/index.ts';
import type { RoundRequest } from './exchange.ts';
import { errorFromException, loginError, type LoginError } from './methods/types.ts';
import { decodeReply, summarise, type OperationContext, type OperationStats } from './operation.ts';
import { OperationLog } from './trace.ts';

export type AccountingStatusType = 'Start' | 'Stop' | 'Interim-Update' | 'Accounting-On' | 'Accounting-Off';

export interface AccountingOptions {
  readonly statusType: AccountingStatusType;
  /** Acct-Session-Id (RFC 2866 5.5): the same for Start, Interim-Update and Stop of one session. */
  readonly sessionId: string;
  readonly user?: string;
  readonly sessionTimeSeconds?: number;
  readonly inputOctets?: number;
  readonly outputOctets?: number;
  readonly inputPackets?: number;
  readonly outputPackets?: number;
  /** Acct-Terminate-Cause, by name ("User-Request") or number; Stop only. */
  readonly terminateCause?: string | number;
  readonly delayTimeSeconds?: number;
  readonly extraAttributes?: readonly AttributeInput[];
}

export interface RequestResult extends OperationStats {
  /** `ok`: the expected reply came and verified. */
  readonly outcome: 'ok' | 'timeout' | 'error';
  readonly replyCode?: number;
  readonly replyCodeLabel?: string;
  readonly attributes: readonly DecodedAttribute[];
  readonly error?: LoginError;
}

export type AccountingResult = RequestResult;
export type StatusServerResult = RequestResult;

export interface StatusServerOptions {
  /** Ask the authentication port (answered with Access-Accept) or the accounting port (RFC 5997 3). */
  readonly port?: 'auth' | 'acct';
  /**
   * Which answer counts: `by-port` (default) the one RFC 5997 3 prescribes for `port`; `either`
   * Access-Accept or Accounting-Response, for a caller that cannot know which kind of port a user
   * named (`radmfa nas --status --server HOST:1813`). `replyCode` says which came.
   */
  readonly answers?: 'by-port' | 'either';
  readonly extraAttributes?: readonly AttributeInput[];
}

async function runSingleRound(request: RoundRequest, context: OperationContext): Promise<RequestResult> {
  const startedAt = context.clock.now();
  const trace = new OperationLog(context.keepTrace);
  const done = (outcome: RequestResult['outcome'], extra: Partial<RequestResult> = {}): RequestResult => ({
    outcome,
    attributes: [],
    ...summarise(trace, startedAt, context.clock.now(), undefined),
    ...extra,
  });
  try {
    const outcome = await context.exchanger.run(request, 1, trace);
    if (outcome.kind === 'closed') return done('error', { error: loginError('closed') });
    if (outcome.kind === 'timeout') return done('timeout');
    const reply = decodeReply(outcome.reply, context.dictionary);
    return {
      outcome: 'ok',
      ...summarise(trace, startedAt, context.clock.now(), outcome.reply),
      replyCode: reply.code,
      replyCodeLabel: packetCodeLabel(reply.code),
      attributes: reply.attributes,
    };
  } catch (error) {
    return done('error', { error: errorFromException(error) });
  }
}

function optional(name: string, value: AttributeValue | undefined): AttributeInput[] {
  return value === undefined ? [] : [{ name, value }];
}

export function runAccounting(
  options: AccountingOptions,
  context: OperationContext,
): Promise<AccountingResult> {
  const attributes: AttributeInput[] = [
    { name: 'Acct-Status-Type', value: options.statusType },
    { name: 'Acct-Session-Id', value: options.sessionId },
    ...optional('User-Name', options.user),
    ...optional('Acct-Session-Time', options.sessionTimeSeconds),
    ...optional('Acct-Input-Octets', options.inputOctets),
    ...optional('Acct-Output-Octets', options.outputOctets),
    ...optional('Acct-Input-Packets', options.inputPackets),
    ...optional('Acct-Output-Packets', options.outputPackets),
    ...optional('Acct-Terminate-Cause', options.terminateCause),
    ...optional('Acct-Delay-Time', options.delayTimeSeconds),
    ...context.identityAttributes,
    ...(options.extraAttributes ?? []),
  ];
  return runSingleRound(
    {
      code: PacketCode.AccountingRequest,
      port: 'acct',
      expects: [PacketCode.AccountingResponse],
      // The Request Authenticator is computed over the packet (RFC 2866 3), so `authenticator` is unused.
      build: ({ identifier, server }) =>
        buildRequest({
          code: PacketCode.AccountingRequest,
          identifier,
          secret: server.secret,
          attributes,
          dictionary: context.dictionary,
        }),
    },
    context,
  );
}

export function runStatusServer(
  options: StatusServerOptions,
  context: OperationContext,
): Promise<StatusServerResult> {
  const port = options.port ?? 'auth';
  return runSingleRound(
    {
      code: PacketCode.StatusServer,
      port,
      // RFC 5997 3: Access-Accept from an authentication port, Accounting-Response from an accounting one.
      expects:
        options.answers === 'either'
          ? [PacketCode.AccessAccept, PacketCode.AccountingResponse]
          : [port === 'auth' ? PacketCode.AccessAccept : PacketCode.AccountingResponse],
      build: ({ identifier, server, authenticator }) =>
        buildRequest({
          code: PacketCode.StatusServer,
          identifier,
          secret: server.secret,
          authenticator,
          // RFC 5997 3: Status-Server MUST carry Message-Authenticator (buildRequest adds it first).
          attributes: [...context.identityAttributes, ...(options.extraAttributes ?? [])],
          dictionary: context.dictionary,
        }),
    },
    context,
  );
}
