import {
  PacketCode,
  buildResponse,
  buildResponseBytes,
  decodeAttributes,
  decodePacket,
  verifyRequest,
  attributeValue,
  type AttributeInput,
  type DecodeOptions,
  type RadiusPacket,
} from '../protocol/index.ts';
import type { Clock } from '../runtime/clock.ts';
import type { DatagramSocket, Endpoint, Transport } from '../runtime/transport.ts';
import { AccessHandler, type AccessResult } from './access/access-handler.ts';
import { Admission, admittedSecondFactor, type AdmissionStats } from './admission.ts';
import { ACCESS_REASONS, type DiscardReason } from './access/reasons.ts';
import type { AccountingStore } from './accounting/index.ts';
import { accountingRecordOf } from './accounting-request.ts';
import { GroupCommitter } from './accounting/group-commit.ts';
import { AccountingStoreError } from './accounting/errors.ts';
import { BlastRadiusGuard, blastRadiusStartupWarnings } from './blast-radius.ts';
import { ClientTable, type RadiusClient } from './clients.ts';
import type { ServerConfig } from './config/server-config.ts';
import type { Directory } from './directory/types.ts';
import {
  createDuplicateCache,
  type DuplicateCache,
  type DuplicateCacheStats,
  type DuplicateKeyParts,
} from './duplicates/index.ts';
import { ServerEvents, type DropReason, type ServerEventMap } from './events.ts';
import type { SecondFactor } from './mfa/second-factor.ts';
import { startupWarnings } from './mfa/startup-warnings.ts';
import type { MaybePromise } from './maybe-async.ts';
import { plainReplyAttributes } from './reply-encoding.ts';
import { replyAttributes, wantsMessageAuthenticator } from './reply-habits.ts';
import { waitingKey, waitingPacket } from './waiting-request.ts';

export interface ReferenceServerOptions {
  readonly config: ServerConfig;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly directory: Directory;
  readonly accounting: AccountingStore;
  readonly secondFactor?: SecondFactor;
  /** Pass one to subscribe before the sockets open (to see `listening`). */
  readonly events?: ServerEvents;
  readonly random?: (size: number) => Buffer;
  /** With listen.workers > 1: this worker's index (the first octet of the States it opens). */
  readonly stateTag?: number;
}

export interface ServerStats {
  readonly received: number;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  readonly access: {
    readonly accept: number;
    readonly reject: number;
    readonly challenge: number;
    readonly discard: number;
  };
  readonly accounting: { readonly stored: number; readonly duplicate: number; readonly failed: number };
  readonly statusServer: number;
  readonly inFlight: number;
  /** Work held against the limits, and what they turned away. */
  readonly admission: AdmissionStats;
  readonly duplicates: DuplicateCacheStats;
  /** What the server holds now, read by the soak and the fault tests: both must stay bounded. */
  readonly held: {
    /** Duplicate-cache entries, in flight and answered (expired ones dropped first). */
    readonly duplicateEntries: number;
    /** Conversations waiting for their next Access-Request (MFA code prompts, EAP rounds). */
    readonly challengeStates: number;
  };
}

type PortKind = 'auth' | 'acct';

/** An Access-Request being answered: where the answer goes and what closes its duplicate entry. */
interface Answering {
  readonly socket: DatagramSocket;
  readonly from: Endpoint;
  readonly client: RadiusClient;
  readonly packet: RadiusPacket;
  readonly key: DuplicateKeyParts;
  readonly started: number;
}

/** The ports RADIUS used before RFC 2865 assigned 1812/1813; NPS still listens on both pairs. */
const LEGACY_PORTS: Readonly<Record<PortKind, number>> = { auth: 1645, acct: 1646 };

/** A request left unanswered is counted as a drop, under the reason its cause is counted with. */
const DISCARD_DROP_REASONS: Readonly<Record<DiscardReason, DropReason>> = {
  'directory-unavailable': 'directory-unavailable',
  'mfa-client-closed': 'mfa-unavailable',
  'mfa-overload': 'mfa-overload',
};

type AccessEvent = ServerEventMap['access'];

/**
 * The `access` event, built when someone listens (the metrics always do). Optional keys are set one
 * by one, only when present: spreading conditional objects made three objects per answered request.
 */
function accessEvent(
  access: Answering,
  result: Exclude<AccessResult, { kind: 'discard' }>,
  durationMs: number,
): AccessEvent {
  const event: { -readonly [K in keyof AccessEvent]: AccessEvent[K] } = {
    outcome: result.kind,
    reason: result.reason,
    client: access.client.name,
    from: access.from,
    identifier: access.packet.identifier,
    durationMs,
  };
  if (result.detail !== undefined) event.detail = result.detail;
  if (result.userName !== undefined) event.userName = result.userName;
  if (result.method !== undefined) event.method = result.method;
  if (result.policy !== undefined) event.policy = result.policy;
  if (result.mfa !== undefined) event.mfa = result.mfa;
  return event;
}

/** What a drop after decoding names; built only when one happens. */
function idsOf(
  client: RadiusClient,
  packet: RadiusPacket,
): { client: string; code: number; identifier: number } {
  return { client: client.name, code: packet.code, identifier: packet.identifier };
}

const NO_INPUTS: readonly AttributeInput[] = [];
const ADOPT: DecodeOptions = { adopt: true };

/** process() answered for itself: the request settles when its answer is sent (see awaitAccess). */
const SETTLES_ITSELF = Symbol('settles-itself');

/** User-Password (RFC 2865 5.2), as received: hidden. */
const USER_PASSWORD_TYPE = 2;

/**
 * The duo profile keys on the password too; the hidden form is enough and never leaves the cache.
 * One literal with every field (absent ones undefined, which the cache reads as absent): fields
 * added afterwards gave each key a second allocation for its properties.
 */
function duplicateKeyOf(from: Endpoint, packet: RadiusPacket, userName: unknown): DuplicateKeyParts {
  return {
    clientAddress: from.address,
    clientPort: from.port,
    identifier: packet.identifier,
    requestAuthenticator: packet.authenticator,
    userName: typeof userName === 'string' ? userName : undefined,
    userPassword: userPasswordOf(packet),
  };
}

function userPasswordOf(packet: RadiusPacket): Buffer | undefined {
  for (const attribute of packet.attributes)
    if (attribute.type === USER_PASSWORD_TYPE) return attribute.value;
  return undefined;
}

/**
 * The reference RADIUS + MFA server: the pipeline of ARCHITECTURE.md over an injected Transport
 * and Clock. Every datagram is handled in its own async flow, so a slow directory or MFA answer for
 * one user never delays another.
 */
export class ReferenceServer {
  readonly events: ServerEvents;
  private readonly clients: ClientTable;
  private readonly blastRadius = new BlastRadiusGuard();
  private readonly duplicates: DuplicateCache;
  private readonly access: AccessHandler;
  private readonly accountingCommits: GroupCommitter;
  private readonly sockets: { kind: PortKind; socket: DatagramSocket }[] = [];
  private inFlight = 0;
  private readonly admission: Admission;
  private closed = false;
  private readonly counters = {
    received: 0,
    dropped: {} as Partial<Record<DropReason, number>>,
    access: { accept: 0, reject: 0, challenge: 0, discard: 0 },
    accounting: { stored: 0, duplicate: 0, failed: 0 },
    statusServer: 0,
  };

  private constructor(private readonly options: ReferenceServerOptions) {
    this.events = options.events ?? new ServerEvents();
    this.clients = new ClientTable(options.config.clients);
    const dup = options.config.duplicates;
    this.duplicates = createDuplicateCache({
      clock: options.clock,
      profile: dup.profile.name,
      ...(dup.profile.detects ? { windowMs: dup.windowMs } : {}),
      inFlightTimeoutMs: dup.inFlightTimeoutMs,
      maxEntries: dup.maxEntries,
    });
    this.admission = new Admission(options.config.limits);
    const secondFactor =
      options.secondFactor !== undefined
        ? admittedSecondFactor(options.secondFactor, this.admission)
        : undefined;
    this.accountingCommits = new GroupCommitter(options.accounting);
    this.access = new AccessHandler({
      config: options.config,
      directory: options.directory,
      clock: options.clock,
      ...(secondFactor !== undefined ? { secondFactor } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
      ...(options.stateTag !== undefined ? { stateTag: options.stateTag } : {}),
    });
  }

  static async start(options: ReferenceServerOptions): Promise<ReferenceServer> {
    const server = new ReferenceServer(options);
    try {
      await server.listen();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  private async listen(): Promise<void> {
    const { listen } = this.options.config;
    const ports: Readonly<Record<PortKind, readonly number[]>> = {
      auth: [listen.authPort, ...(listen.legacyPorts ? [LEGACY_PORTS.auth] : [])],
      acct: [listen.acctPort, ...(listen.legacyPorts ? [LEGACY_PORTS.acct] : [])],
    };
    for (const host of listen.hosts) {
      for (const kind of ['auth', 'acct'] as const) {
        for (const port of ports[kind]) {
          const socket = await this.options.transport.bind({
            address: host,
            port,
            recvBufferSize: listen.recvBufferSize,
          });
          socket.onMessage((data, from) => this.onDatagram(kind, socket, data, from));
          socket.onPostError?.(this.sendFailed);
          this.sockets.push({ kind, socket });
        }
      }
    }
    this.events.emit('listening', { auth: this.endpoints('auth'), acct: this.endpoints('acct') });
    for (const warning of startupWarnings(this.options.config.mfa)) this.events.emit('warning', warning);
    for (const warning of blastRadiusStartupWarnings(this.options.config.clients))
      this.events.emit('warning', warning);
  }

  endpoints(kind: PortKind): Endpoint[] {
    return this.sockets.filter((s) => s.kind === kind).map((s) => s.socket.local);
  }

  stats(): ServerStats {
    return {
      received: this.counters.received,
      dropped: { ...this.counters.dropped },
      access: { ...this.counters.access },
      accounting: { ...this.counters.accounting },
      statusServer: this.counters.statusServer,
      inFlight: this.inFlight,
      admission: this.admission.stats,
      duplicates: this.duplicates.stats(),
      held: { duplicateEntries: this.duplicates.size, challengeStates: this.access.openConversations },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.access.close();
    this.accountingCommits.close();
    await Promise.all(this.sockets.map((s) => s.socket.close()));
    this.sockets.length = 0;
  }

  private onDatagram(kind: PortKind, socket: DatagramSocket, data: Buffer, from: Endpoint): void {
    if (this.closed) return;
    this.counters.received++;
    // Refused before decoding: under overload the cheapest answer is none (the NAS retransmits).
    if (!this.admission.tryStart()) {
      this.drop(
        'overload',
        from,
        `limits.maxInFlight (${this.admission.limits.maxInFlight}) requests in flight`,
      );
      return;
    }
    this.inFlight++;
    let pending: void | Promise<void> | typeof SETTLES_ITSELF;
    try {
      pending = this.process(kind, socket, data, from);
    } catch (error) {
      this.failed(from, error);
      this.settle();
      return;
    }
    if (pending === undefined) this.settle();
    else if (pending !== SETTLES_ITSELF)
      pending.then(this.settle, (error: unknown) => this.failedLater(from, error));
  }

  /** A request is done with (answered, dropped or failed): it leaves the in-flight count. */
  private readonly settle = (): void => {
    this.inFlight--;
    this.admission.finish();
  };

  private failedLater(from: Endpoint, error: unknown): void {
    try {
      this.failed(from, error);
    } finally {
      this.settle();
    }
  }

  private failed(from: Endpoint, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.drop('internal-error', from, err.message);
    this.events.emit('error', {
      message: err.message,
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
    });
  }

  private drop(
    reason: DropReason,
    from: Endpoint,
    detail: string,
    extra: { client?: string; code?: number; identifier?: number } = {},
  ): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    this.events.emit('packet-dropped', { reason, from, detail, ...extra });
  }

  /**
   * Steps 1-9 for one datagram. Returns nothing when the request is done with before it returns
   * (every drop, and any login that waited on nothing), a Promise only when something had to wait.
   */
  private process(
    kind: PortKind,
    socket: DatagramSocket,
    data: Buffer,
    from: Endpoint,
  ): void | Promise<void> | typeof SETTLES_ITSELF {
    const client = this.clients.match(from.address);
    if (client === undefined) {
      this.drop('unknown-client', from, `no RADIUS client entry matches ${from.address}`);
      return;
    }
    // A datagram the transport hands over is decoded in place: no copy per request.
    const decoded = decodePacket(data, socket.handsOverDatagrams === true ? ADOPT : undefined);
    if (!decoded.ok) {
      this.drop(decoded.code, from, decoded.message, { client: client.name });
      return;
    }
    const packet = decoded.value;
    if (packet.code === PacketCode.StatusServer && this.options.config.statusServer === 'ignore') {
      // A server without RFC 5997 support treats code 12 as any code it does not serve.
      this.drop(
        'unexpected-code',
        from,
        'Status-Server is not answered (statusServer: ignore)',
        idsOf(client, packet),
      );
      return;
    }
    const expected =
      packet.code === PacketCode.StatusServer ||
      (kind === 'auth'
        ? packet.code === PacketCode.AccessRequest
        : packet.code === PacketCode.AccountingRequest);
    if (!expected) {
      this.drop(
        'unexpected-code',
        from,
        `code ${packet.code} is not served on the ${kind} port`,
        idsOf(client, packet),
      );
      return;
    }
    const verified = verifyRequest(data, packet, client.secret, this.blastRadius.verifyOptions(client));
    if (!verified.ok) {
      this.drop(verified.code, from, verified.message, idsOf(client, packet));
      return;
    }
    for (const warning of this.blastRadius.learn(client, packet)) this.events.emit('warning', warning);
    if (packet.code === PacketCode.StatusServer) {
      // RFC 5997 3: answered on either port, never subject to duplicate detection.
      this.counters.statusServer++;
      this.events.emit('status-server', { client: client.name, from, port: kind });
      const code = kind === 'auth' ? PacketCode.AccessAccept : PacketCode.AccountingResponse;
      this.send(socket, from, this.reply(code, packet, client, []));
      return;
    }
    const attrs = decodeAttributes(packet.attributes, {
      secret: client.secret,
      requestAuthenticator: packet.authenticator,
    });
    if (packet.code === PacketCode.AccountingRequest) {
      // Accounting skips the duplicate cache: the store recognises a retransmission by the same
      // key and returns `duplicate`, so it is acknowledged again. Under the `nps` profile the cache
      // would discard it instead, and a NAS whose Accounting-Response was lost would get no answer
      // for the whole window (RFC 2866 2: it keeps retransmitting until acknowledged).
      return this.handleAccounting(socket, from, client, packet, attrs);
    }
    const userName = attributeValue(attrs, 'User-Name');
    // The duo profile keys on the password too; the hidden form is enough and never leaves the cache.
    const key = duplicateKeyOf(from, packet, userName);
    const check = this.duplicates.check(key);
    if (check.kind !== 'new') {
      this.events.emit('duplicate', {
        action: check.kind,
        reason: check.kind === 'discard' ? check.reason : 'recently-answered',
        from,
        client: client.name,
        identifier: packet.identifier,
        duplicates: check.duplicates,
        ...(typeof userName === 'string' ? { userName } : {}),
      });
      if (check.kind === 'replay') this.send(socket, from, check.response);
      return;
    }
    const started = this.options.clock.now();
    let result: MaybePromise<AccessResult>;
    try {
      result = this.access.handle({ packet, attributes: attrs, client });
    } catch (error) {
      this.unanswered(key);
      throw error;
    }
    if (result instanceof Promise) {
      // The few bytes its answer needs, copied: the datagram is not kept for the wait.
      const authenticator = Buffer.from(packet.authenticator);
      const waiting: Answering = {
        socket,
        from,
        client,
        packet: waitingPacket(packet, authenticator),
        key: waitingKey(key, authenticator, this.duplicates.settings.profile.keyIncludesCredentials),
        started,
      };
      this.awaitAccess(waiting, result);
      return SETTLES_ITSELF;
    }
    return this.answerAccessOrClose({ socket, from, client, packet, key, started }, result);
  }

  /**
   * A login that waits (on the directory or MFA) is answered and settled from the one reaction on
   * its result: no promise chain per layer above it while it waits.
   */
  private awaitAccess(access: Answering, result: Promise<AccessResult>): void {
    result.then(
      (done) => {
        let answered: void | Promise<void>;
        try {
          answered = this.answerAccessOrClose(access, done);
        } catch (error) {
          this.failedLater(access.from, error);
          return;
        }
        if (answered === undefined) this.settle();
        else answered.then(this.settle, (error: unknown) => this.failedLater(access.from, error));
      },
      (error: unknown) => {
        this.unanswered(access.key);
        this.failedLater(access.from, error);
      },
    );
  }

  /**
   * Nothing will be sent (handling failed, or the reply could not be built, e.g. Proxy-State pushing
   * it past 4096 octets): close the in-flight entry as a silent answer, or retransmissions would be
   * discarded as in flight until inFlightTimeoutMs (minutes).
   */
  private unanswered(key: DuplicateKeyParts): void {
    this.duplicates.complete(key, null);
  }

  private answerAccessOrClose(access: Answering, result: AccessResult): void | Promise<void> {
    let answered: void | Promise<void>;
    try {
      answered = this.answerAccess(access, result);
    } catch (error) {
      this.unanswered(access.key);
      throw error;
    }
    return answered?.catch((error: unknown) => {
      this.unanswered(access.key);
      throw error;
    });
  }

  private async handleAccounting(
    socket: DatagramSocket,
    from: Endpoint,
    client: RadiusClient,
    packet: RadiusPacket,
    attrs: ReturnType<typeof decodeAttributes>,
  ): Promise<void> {
    const record = accountingRecordOf(packet, attrs, from, this.options.clock.now());
    if (record === undefined) {
      // RFC 2866 5.1: Acct-Status-Type is required; without it there is nothing to store.
      this.drop('accounting-invalid', from, 'Accounting-Request without Acct-Status-Type', {
        client: client.name,
        identifier: packet.identifier,
      });
      return;
    }
    let result;
    try {
      // Durable before acknowledged: the group commit resolves only once the transaction holding
      // this row is synced to disk; a failed or never-finished commit sends nothing.
      result = await this.accountingCommits.submit(record);
    } catch (error) {
      this.counters.accounting.failed++;
      // A record the store refuses to hold is not a store failure: say which, so the operator looks
      // at the request (or the server's clock) and not at the disk.
      const refused =
        error instanceof AccountingStoreError && error.code === 'RADMFA_ACCOUNTING_RECORD_INVALID';
      this.events.emit('error', {
        message: `${refused ? 'accounting record refused' : 'accounting store failed'}, request not acknowledged: ${(error as Error).message}`,
      });
      return;
    }
    if (result.duplicate) this.counters.accounting.duplicate++;
    else this.counters.accounting.stored++;
    this.events.emit('accounting', {
      client: client.name,
      statusType: record.statusType,
      stored: result.stored,
      duplicate: result.duplicate,
      ...(record.sessionId !== undefined ? { sessionId: record.sessionId } : {}),
      ...(record.userName !== undefined ? { userName: record.userName } : {}),
    });
    // Accounting-Response carries no attributes; RFC 2866 4.2 only allows Proxy-State and VSAs.
    const bytes = buildResponse({
      code: PacketCode.AccountingResponse,
      request: packet,
      secret: client.secret,
      attributes: [],
      messageAuthenticator: false,
    }).bytes;
    this.send(socket, from, bytes);
  }

  private answerAccess(access: Answering, result: AccessResult): void | Promise<void> {
    const { from, client, packet, key } = access;
    if (result.kind === 'discard') {
      this.counters.access.discard++;
      this.duplicates.complete(key, null);
      this.drop(DISCARD_DROP_REASONS[result.reason], from, result.detail ?? ACCESS_REASONS[result.reason], {
        client: client.name,
        code: packet.code,
        identifier: packet.identifier,
      });
      return;
    }
    const code =
      result.kind === 'accept'
        ? PacketCode.AccessAccept
        : result.kind === 'challenge'
          ? PacketCode.AccessChallenge
          : PacketCode.AccessReject;
    const bytes = this.reply(code, packet, client, replyAttributes(result, this.options.config.replies));
    const { rejectDelayMs } = this.options.config;
    if (result.kind === 'reject' && rejectDelayMs > 0) {
      return this.options.clock.sleep(rejectDelayMs).then(() => this.sendAnswer(access, result, bytes));
    }
    this.sendAnswer(access, result, bytes);
  }

  private sendAnswer(
    access: Answering,
    result: Exclude<AccessResult, { kind: 'discard' }>,
    bytes: Buffer,
  ): void {
    const { socket, from, key, started } = access;
    this.counters.access[result.kind]++;
    this.duplicates.complete(key, bytes);
    // Only built when someone listens (metrics, logs at info): nothing per request otherwise.
    if (this.events.wants('access'))
      this.events.emit('access', accessEvent(access, result, this.options.clock.now() - started));
    this.send(socket, from, bytes);
  }

  private reply(
    code: number,
    request: RadiusPacket,
    client: RadiusClient,
    attributes: readonly AttributeInput[],
  ): Buffer {
    const messageAuthenticator = wantsMessageAuthenticator(
      this.options.config.replies.messageAuthenticator,
      request.attributes,
      attributes,
    );
    // A policy's reply is the same list on every accept: encoded once (reply-encoding.ts).
    const raw = plainReplyAttributes(attributes);
    // One options object with a fixed shape (no spreads), and the bytes alone: this runs for every answer.
    return buildResponseBytes({
      code,
      request,
      secret: client.secret,
      attributes: raw === undefined ? attributes : NO_INPUTS,
      rawAttributes: raw,
      messageAuthenticator,
      random: this.options.random,
    });
  }

  /**
   * Sends without waiting: a failed send is reported as an error event, never thrown. A socket that
   * reports failed posts (listen() gave it sendFailed) is posted to: no promise per answer.
   */
  private send(socket: DatagramSocket, to: Endpoint, bytes: Buffer): void {
    if (this.closed) return;
    try {
      if (socket.post !== undefined && socket.onPostError !== undefined) socket.post(bytes, to);
      else socket.send(bytes, to).catch((error: unknown) => this.sendFailed(error, to));
    } catch (error) {
      this.sendFailed(error, to);
    }
  }

  private readonly sendFailed = (error: unknown, to: Endpoint): void => {
    this.events.emit('error', {
      message: `send to ${to.address}:${to.port} failed: ${(error as Error).message}`,
    });
  };
}
