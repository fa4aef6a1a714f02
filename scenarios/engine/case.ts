// One case on one target: its steps run with the simulated NAS and hand-built packets over a tapped
// transport, then every expectation is judged and the timeline drawn. A case that throws fails alone.
import { base32Decode, totp } from '../../protocol/auth/index.ts';
import type { AttributeInput, DecodedAttribute } from '../../protocol/index.ts';
import type { Clock, VirtualClock } from '../../runtime/clock.ts';
import { seededRandom } from '../../runtime/memory-transport.ts';
import type { DatagramSocket, Endpoint, Transport } from '../../runtime/transport.ts';
import type { ServerEventMap } from '../../reference/events.ts';
import {
  createNas,
  type ChallengePrompt,
  type ChallengeResponder,
  type Nas,
  type TraceEvent,
} from '../../simulators/nas/index.ts';
import { codeResponder, hashString, streamFor } from '../../simulators/users/index.ts';
import type { EmbeddedStack } from '../embedded/stacks.ts';
import type {
  CaseResult,
  DuplicateBehaviour,
  Failure,
  StepResult,
  TargetKind,
  TimelineEvent,
} from '../result.ts';
import type { LoadedCase } from '../suites/loader.ts';
import type { AccountingStep, LoginStep, PacketStep, RetransmitStep, Step } from '../suites/schema.ts';
import { resolveAttributes, substitute, type AttributeContext, type Credentials } from './attributes.ts';
import { driveUntilSettled } from './drive.ts';
import { attributesForExternal } from './credentials.ts';
import { judgeCase, judgeStep } from './judge.ts';
import { reported, seeAttributes, type CaseSeen, type ServerAnswer, type StepSeen } from './observations.ts';
import { buildPacket, readReply } from './packets.ts';
import { BindRecorder, TapTransport, endpointKey } from './tap.ts';
import { buildTimeline, type ServerEventRecord } from './timeline.ts';

/** Where one case runs: the server's address and what of the stack behind it is visible. */
export interface CaseTarget {
  readonly kind: TargetKind;
  readonly clock: Clock;
  /** Virtual stacks: the engine drives this clock until the case settles. */
  readonly virtualClock?: VirtualClock;
  readonly transport: Transport;
  readonly host: string;
  readonly authPort: number;
  readonly acctPort: number;
  readonly secret: string;
  /** Address the NAS and raw sockets bind. */
  readonly localAddress: string;
  /** Source address of `fromUnknownClient` packets. */
  readonly unknownClientAddress: string;
  /** The embedded stack, whose MFA mock, events and store the engine reads. */
  readonly stack?: EmbeddedStack;
  /** External targets: the user the server knows, substituted for the suite's demo user. */
  readonly credentials?: { readonly user: string; readonly password: string };
}

export interface RunCaseOptions {
  /** Seed of NAS jitter, impairments and user models; the same seed replays the case. */
  readonly seed: number;
  /** Bound on a case's virtual time (default 30 min), so a broken case ends. */
  readonly virtualBoundMs?: number;
}

/** The demo directory's password: on an external target the target's password replaces it. */
export const DEMO_PASSWORD = 'Passw0rd!';
/** How long after its last copy a retransmit step keeps listening for replies (schema: waitFor). */
const RETRANSMIT_LISTEN_MS = 2_000;

interface Sent {
  readonly at: number;
  readonly bytes: Buffer;
  readonly socket: DatagramSocket;
  readonly to: Endpoint;
  readonly identifier: number;
}

interface NamedStep {
  readonly kind: 'login' | 'packet';
  readonly firstSend: Promise<Sent>;
  readonly done: Promise<unknown>;
  readonly user?: string;
}

interface StepRecord {
  readonly seen: StepSeen;
  readonly result: StepResult;
}

class CaseRun {
  readonly tap: TapTransport;
  readonly trace: TraceEvent[] = [];
  readonly serverEvents: ServerEventRecord[] = [];
  readonly named = new Map<string, NamedStep>();
  readonly records = new Map<number, StepRecord>();
  readonly nases: Nas[] = [];
  readonly rawSockets: DatagramSocket[] = [];
  /** The attributes of the last reply each named step received (for `fromReply`). */
  readonly replies = new Map<string, readonly DecodedAttribute[]>();
  /** Warning codes the server published during the case (its start-up warnings included). */
  readonly warnings: string[] = [];
  /** Called with each server event as it is published (a packet step ends its wait on a drop). */
  private readonly watchers = new Set<(record: ServerEventRecord) => void>();
  private readonly random: () => number;
  private readonly startedAt: number;
  /** The MFA mock's call history before the case began (its calls are those after). */
  private mfaSince = 0;
  private readonly accountingBefore: number;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    readonly testCase: LoadedCase,
    readonly target: CaseTarget,
    readonly seed: number,
  ) {
    this.tap = new TapTransport(target.transport, target.clock);
    this.random = seededRandom((seed ^ hashString(`${testCase.suite}/${testCase.id}`)) >>> 0);
    this.startedAt = target.clock.now();
    const stack = target.stack;
    this.accountingBefore = stack?.accounting.count() ?? 0;
    if (stack !== undefined) {
      this.warnings.push(...stack.startupWarnings);
      this.listen(stack);
    }
  }

  /** Readies the stack: a fresh MFA tenant on a shared stack, and the case's MFA faults. */
  async prepare(): Promise<void> {
    const stack = this.target.stack;
    if (stack === undefined) return;
    // A UDP stack serves every case of its topology: each case starts with a fresh MFA tenant (no
    // code remembered as used, the user models' random streams restarted), as on a stack of its own.
    if (stack.kind === 'embedded-udp') stack.mock.service.reset();
    this.mfaSince = stack.mock.service.history.last()?.seq ?? 0;
    // Set even when there are none, so a shared stack's mock is reachable again before the case runs.
    const faults = this.testCase.resolved.mfaFaults;
    if (faults !== undefined || stack.kind === 'embedded-udp') await stack.setMfaFaults(faults ?? {});
  }

  /** What `${user}` and `${password}` stand for: the target's user, else the suite's credentials. */
  get credentials(): Credentials | undefined {
    return this.target.credentials ?? this.testCase.credentials;
  }

  attributeContext(): AttributeContext {
    return {
      credentials: this.credentials,
      now: () => this.clock.now(),
      replyOf: (id) => this.replies.get(id),
    };
  }

  get clock(): Clock {
    return this.target.clock;
  }

  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  private listen(stack: EmbeddedStack): void {
    const on = <K extends 'duplicate' | 'packet-dropped' | 'access' | 'accounting'>(name: K): void => {
      const listener = (payload: ServerEventMap[K]): void => {
        const record = { at: this.clock.now(), name, payload } as ServerEventRecord;
        this.serverEvents.push(record);
        for (const watcher of [...this.watchers]) watcher(record);
      };
      stack.events.on(name, listener);
      this.unsubscribe.push(() => stack.events.off(name, listener));
    };
    on('duplicate');
    on('packet-dropped');
    on('access');
    on('accounting');
    const warning = (payload: ServerEventMap['warning']): void => {
      this.warnings.push(payload.code);
    };
    stack.events.on('warning', warning);
    this.unsubscribe.push(() => stack.events.off('warning', warning));
  }

  /**
   * The reason of the server's answer to requests from `locals` (and with this Identifier), as
   * `reason[: MFA error code]`, so `mfa-unavailable` and `mfa-unavailable: ServiceUnavailable` both
   * match by prefix. `last`: a login's final answer; otherwise the first (a packet's own).
   */
  serverReason(
    locals: ReadonlySet<string>,
    options: { identifier?: number; last: boolean },
  ): ServerAnswer | undefined {
    const answers = this.serverEvents.filter(
      (r): r is Extract<ServerEventRecord, { name: 'access' }> =>
        r.name === 'access' &&
        locals.has(endpointKey(r.payload.from)) &&
        (options.identifier === undefined || r.payload.identifier === options.identifier),
    );
    const chosen = options.last ? answers.at(-1) : answers[0];
    return chosen === undefined ? undefined : describeAccess(chosen.payload);
  }

  /** Whether the server's events are visible (embedded targets): `serverReason` is judged only then. */
  get serverObserved(): boolean {
    return this.target.stack !== undefined;
  }

  randomBytes = (size: number): Buffer => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  };

  private nas(
    secret: string | undefined,
    extra: readonly AttributeInput[] = [],
    stepIndex = 0,
    transport: Transport = this.tap,
  ): Nas {
    const settings = this.testCase.nas;
    const attributes = mergeAttributes(
      resolveAttributes(settings.attributes, this.attributeContext()),
      extra,
    );
    const nas = createNas({
      transport,
      clock: this.clock,
      servers: [
        {
          host: this.target.host,
          port: this.target.authPort,
          accountingPort: this.target.acctPort,
          secret: secret ?? this.target.secret,
        },
      ],
      profile: settings.profile ?? 'nps-recommended',
      ...(settings.policy !== undefined ? { policy: settings.policy } : {}),
      seed: (this.seed + stepIndex * 7919) >>> 0,
      randomBytes: this.randomBytes,
      localAddress: this.target.localAddress,
      ...(settings.nasIdentifier !== undefined ? { nasIdentifier: settings.nasIdentifier } : {}),
      ...(attributes.some((a) => a.name.toLowerCase() === 'nas-identifier') ? { nasIdentifier: null } : {}),
      accessAttributes: attributes,
      onTrace: (event) => this.trace.push(event),
    });
    this.nases.push(nas);
    return nas;
  }

  // ------------------------------------------------------------------ steps

  async runSteps(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    let previousStart = this.clock.now();
    for (const [index, step] of this.testCase.steps.entries()) {
      if (step.kind === 'login' && step.concurrentAfter !== undefined) {
        await this.sleepUntil(previousStart + step.concurrentAfter);
      } else if (step.kind !== 'retransmit') {
        await Promise.all(pending);
      }
      previousStart = this.clock.now();
      const running = this.runStep(step, index).then((record) => {
        this.records.set(index, record);
      });
      pending.push(running);
    }
    await Promise.all(pending);
  }

  private sleepUntil(at: number): Promise<void> {
    const wait = at - this.clock.now();
    return wait > 0 ? this.clock.sleep(wait) : Promise.resolve();
  }

  private runStep(step: Step, index: number): Promise<StepRecord> {
    switch (step.kind) {
      case 'login':
        return this.login(step, index);
      case 'accounting':
        return this.accounting(step, index);
      case 'status-server':
        return this.statusServer(step, index);
      case 'packet':
        return this.packet(step);
      case 'retransmit':
        return this.retransmit(step);
      case 'wait':
        return this.clock.sleep(step.for).then(() => ({
          seen: { kind: 'wait', waitedMs: step.for },
          result: { kind: 'wait', label: `wait ${step.for} ms`, outcome: 'waited', durationMs: step.for },
        }));
    }
  }

  private loginCredentials(step: LoginStep): Credentials {
    const user = substitute(step.user, this.credentials);
    const password = substitute(step.password, this.credentials);
    const external = this.target.credentials;
    if (external === undefined) return { user, password };
    // The suite's demo user becomes the target's user; a deliberately wrong password stays wrong.
    return {
      user: external.user,
      password: password === DEMO_PASSWORD ? external.password : password,
    };
  }

  private login(step: LoginStep, index: number): Promise<StepRecord> {
    const { user, password } = this.loginCredentials(step);
    const recorder = new BindRecorder(this.tap);
    const nas = this.nas(
      step.secret,
      resolveAttributes(step.attributes, this.attributeContext()),
      index,
      recorder,
    );
    let resolveFirst: (sent: Sent) => void = () => undefined;
    const firstSend = new Promise<Sent>((resolve) => (resolveFirst = resolve));
    const traceStart = this.trace.length;
    const promise = (async (): Promise<StepRecord> => {
      const result = await nas.login({
        method: step.method as Parameters<Nas['login']>[0]['method'],
        user,
        password,
        challengeResponder: this.responder(step, index, user),
      });
      if (step.id !== undefined) this.replies.set(step.id, result.attributes);
      const serverReason = this.serverReason(recorder.locals, { last: true });
      return {
        seen: {
          kind: 'login',
          outcome: result.outcome,
          serverObserved: this.serverObserved,
          ...(serverReason !== undefined ? { server: serverReason } : {}),
          ...(result.error !== undefined ? { errorCode: result.error.code } : {}),
          ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
          ...(result.replyMessage !== undefined ? { replyMessage: result.replyMessage } : {}),
          attributes: seeAttributes(result.attributes),
          transmissions: result.transmissions,
          retransmissions: result.retransmissions,
          challenges: result.challenges,
          latencyMs: result.totalTimeMs,
        },
        result: {
          kind: 'login',
          label: `${step.user} ${step.method}`,
          outcome: result.outcome,
          ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
          ...(result.replyMessage !== undefined ? { replyMessage: result.replyMessage } : {}),
          attributes: reported(seeAttributes(result.attributes)),
          transmissions: result.transmissions,
          retransmissions: result.retransmissions,
          challenges: result.challenges,
          durationMs: result.totalTimeMs,
        },
      };
    })();
    if (step.id !== undefined) {
      // The first Access-Request of this login, from the trace, for retransmit steps naming it.
      const found = (): Sent | undefined => {
        for (const event of this.trace.slice(traceStart)) {
          if (event.kind !== 'send' || event.bytes === undefined) continue;
          const socket = this.tap.sockets.get(event.from);
          if (socket === undefined) continue;
          return {
            at: event.at,
            bytes: event.bytes,
            socket,
            to: { address: this.target.host, port: this.target.authPort },
            identifier: event.identifier,
          };
        }
        return undefined;
      };
      const poll = (): void => {
        const sent = found();
        if (sent !== undefined) resolveFirst(sent);
        else this.clock.setTimeout(poll, 1);
      };
      poll();
      this.named.set(step.id, { kind: 'login', firstSend, done: promise, user });
    }
    return promise;
  }

  private responder(step: LoginStep, index: number, user: string): ChallengeResponder {
    const read = (prompt: ChallengePrompt): string | null => {
      const code = step.code;
      if (code === undefined || prompt.attempt > 1) return null;
      switch (code.kind) {
        case 'fixed':
          return code.code;
        case 'none':
          return null;
        case 'totp': {
          const key = base32Decode(code.secretBase32);
          return key.ok ? totp(key.value, this.clock.now()) : null;
        }
        case 'sms': {
          const wanted = user.toLowerCase();
          const messages = this.target.stack?.mock.service.outbox.list() ?? [];
          const mine = messages.filter((m) => {
            const upn = m.user.toLowerCase();
            return upn === wanted || upn.split('@')[0] === wanted;
          });
          return mine.at(-1)?.code ?? null;
        }
      }
    };
    const behaviour = this.testCase.resolved.typing.get(index);
    if (behaviour === undefined) return (prompt) => Promise.resolve(read(prompt));
    return codeResponder({
      behaviour,
      clock: this.clock,
      random: streamFor(this.seed, `typing:${user}`),
      correctCode: read,
    });
  }

  private async accounting(step: AccountingStep, index: number): Promise<StepRecord> {
    const nas = this.nas(step.secret, [], index);
    const user =
      step.user !== undefined
        ? (this.target.credentials?.user ?? substitute(step.user, this.credentials))
        : undefined;
    const extraAttributes = resolveAttributes(step.attributes, this.attributeContext());
    const result = await nas.accounting({
      statusType: step.status,
      sessionId: step.sessionId,
      ...(user !== undefined ? { user } : {}),
      ...(extraAttributes.length > 0 ? { extraAttributes } : {}),
    });
    const answered = result.outcome === 'ok';
    return {
      seen: {
        kind: 'accounting',
        answered,
        ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
        transmissions: result.transmissions,
        latencyMs: result.totalTimeMs,
      },
      result: {
        kind: 'accounting',
        label: `Accounting ${step.status} ${step.sessionId}`,
        outcome: answered ? 'answered' : 'silent',
        ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
        transmissions: result.transmissions,
        retransmissions: result.retransmissions,
        durationMs: result.totalTimeMs,
      },
    };
  }

  private async statusServer(
    step: Extract<Step, { kind: 'status-server' }>,
    index: number,
  ): Promise<StepRecord> {
    const nas = this.nas(step.secret, [], index);
    const result = await nas.statusServer({ port: step.port });
    const answered = result.outcome === 'ok';
    return {
      seen: {
        kind: 'status-server',
        answered,
        ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
        transmissions: result.transmissions,
        latencyMs: result.totalTimeMs,
      },
      result: {
        kind: 'status-server',
        label: `Status-Server (${step.port})`,
        outcome: answered ? 'answered' : 'silent',
        ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
        transmissions: result.transmissions,
        durationMs: result.totalTimeMs,
      },
    };
  }

  private packet(step: PacketStep): Promise<StepRecord> {
    const secret = step.secret ?? this.target.secret;
    const identifier = Math.floor(this.random() * 256);
    const label = packetLabel(step);
    const firstSend = deferred<Sent>();
    let userName: string | undefined;
    const promise = (async (): Promise<StepRecord> => {
      const socket = await this.tap.bind({ address: this.sourceAddressOf(step), port: 0 });
      this.rawSockets.push(socket);
      // Built when it leaves, so that fromReply and totpOf see the case as it is now.
      const attributes = this.packetAttributes(step);
      const named = attributes.find((a) => a.name.toLowerCase() === 'user-name')?.value;
      userName = typeof named === 'string' ? named : undefined;
      const built = buildPacket({ ...step, attributes }, secret, identifier, this.randomBytes, (code) =>
        code === 4 ? 'acct' : 'auth',
      );
      const to = {
        address: this.target.host,
        port: built.port === 'acct' ? this.target.acctPort : this.target.authPort,
      };
      const reply = this.replyOrDrop(socket, step.waitFor);
      const sentAt = this.clock.now();
      await socket.send(built.bytes, to);
      firstSend.resolve({ at: sentAt, bytes: built.bytes, socket, to, identifier });
      const got = await reply;
      // Later replies (to retransmitted copies) are counted from the tap, not here.
      socket.onMessage(() => undefined);
      const reading = got === undefined ? undefined : readReply(got.data, built, secret);
      if (step.id !== undefined && reading !== undefined) this.replies.set(step.id, reading.decoded);
      const latencyMs = got === undefined ? undefined : got.at - sentAt;
      const serverReason = this.serverReason(new Set([endpointKey(socket.local)]), {
        identifier,
        last: false,
      });
      const seen: StepSeen = {
        kind: 'packet',
        sentAt,
        label,
        ...(got !== undefined ? { replyCode: reading?.replyCode ?? 'malformed reply' } : {}),
        ...(reading !== undefined
          ? {
              replyVerified: reading.verified,
              proxyStateEchoed: reading.proxyStateEchoed,
              messageAuthenticatorFirst: reading.messageAuthenticatorFirst,
            }
          : {}),
        attributes: reading?.attributes ?? [],
        ...(latencyMs !== undefined ? { latencyMs } : {}),
        serverObserved: this.serverObserved,
        ...(serverReason !== undefined ? { server: serverReason } : {}),
      };
      return {
        seen,
        result: {
          kind: 'packet',
          label,
          outcome: got === undefined ? 'silent' : 'answered',
          ...(reading !== undefined ? { replyCode: reading.replyCode } : {}),
          ...(reading !== undefined ? { attributes: reported(reading.attributes) } : {}),
          transmissions: 1,
          ...(latencyMs !== undefined ? { durationMs: latencyMs } : {}),
        },
      };
    })();
    if (step.id !== undefined) {
      this.named.set(step.id, {
        kind: 'packet',
        firstSend: firstSend.promise,
        done: promise,
        get user() {
          return userName;
        },
      });
    }
    return promise;
  }

  /**
   * The first datagram back on `socket`, or undefined after `waitFor`. Embedded targets say when they
   * dropped the datagram: no reply can follow, so the wait ends on that signal instead (external
   * targets wait it out).
   */
  private replyOrDrop(
    socket: DatagramSocket,
    waitFor: number,
  ): Promise<{ data: Buffer; at: number } | undefined> {
    const local = endpointKey(socket.local);
    return new Promise((resolve) => {
      const dropped = (record: ServerEventRecord): void => {
        if (record.name === 'packet-dropped' && endpointKey(record.payload.from) === local) finish(undefined);
      };
      const finish = (got: { data: Buffer; at: number } | undefined): void => {
        this.clock.clearTimeout(timer);
        this.watchers.delete(dropped);
        resolve(got);
      };
      const timer = this.clock.setTimeout(() => finish(undefined), waitFor);
      this.watchers.add(dropped);
      socket.onMessage((data) => finish({ data, at: this.clock.now() }));
    });
  }

  private sourceAddressOf(step: PacketStep): string {
    if (step.sourceAddress !== undefined) return step.sourceAddress;
    return step.fromUnknownClient ? this.target.unknownClientAddress : this.target.localAddress;
  }

  /** The packet's attributes resolved now; on an external target `${user}`, `${password}` and the demo password become the target's. */
  private packetAttributes(step: PacketStep): AttributeInput[] {
    const attributes = attributesForExternal(step.attributes, this.target.credentials, DEMO_PASSWORD);
    return resolveAttributes(attributes, this.attributeContext());
  }

  private async retransmit(step: RetransmitStep): Promise<StepRecord> {
    const named = this.named.get(step.of);
    if (named === undefined) throw new Error(`retransmit names no earlier login or packet step "${step.of}"`);
    const first = await named.firstSend;
    const offsets = [...step.at].sort((a, b) => a - b);
    let lastSend = first.at;
    const promptsBefore = this.promptsFor(named.user);
    for (const offset of offsets) {
      await this.sleepUntil(first.at + offset);
      lastSend = this.clock.now();
      await first.socket.send(first.bytes, first.to);
    }
    await named.done.catch(() => undefined);
    await this.listenForCopies(
      named,
      first,
      offsets.length,
      lastSend + (step.waitFor ?? RETRANSMIT_LISTEN_MS),
    );
    const replies = this.tap.repliesTo(first.socket.local, first.identifier).filter((d) => d.at >= first.at);
    const toCopies = replies.slice(1);
    const secondPrompt =
      named.user !== undefined && (this.promptsFor(named.user) ?? 0) > Math.max(1, promptsBefore ?? 0);
    const sameBytes = toCopies.every((d) => replies[0] !== undefined && d.data.equals(replies[0].data));
    // A second MFA prompt is a reprocess even before the server has answered the copy.
    const behaviour: DuplicateBehaviour = secondPrompt
      ? 'reprocess'
      : (this.behaviourSeenByServer(first) ??
        (toCopies.length === 0 ? 'discard' : sameBytes ? 'replay' : 'reprocess'));
    return {
      seen: { kind: 'retransmit', copies: offsets.length, replies: toCopies.length, behaviour },
      result: {
        kind: 'retransmit',
        label: `${offsets.length} exact cop${offsets.length === 1 ? 'y' : 'ies'} of ${step.of} at ${offsets.map((o) => `${o} ms`).join(', ')}`,
        outcome: behaviour,
        transmissions: offsets.length,
        duplicateBehaviour: behaviour,
      },
    };
  }

  /**
   * Waits until `until` for replies to the copies. On an embedded target a packet step's fate is
   * visible: once the original and every copy got a reply or a server event saying it was discarded
   * or dropped, nothing more can come, and the step ends on that signal. A login's NAS may still send
   * datagrams of its own on that socket, so a login's copies, like any copies to an external
   * server, are listened for until `until`.
   */
  private listenForCopies(named: NamedStep, first: Sent, copies: number, until: number): Promise<void> {
    if (named.kind !== 'packet' || this.target.stack === undefined) return this.sleepUntil(until);
    const local = endpointKey(first.socket.local);
    const ours = (from: Endpoint, identifier: number | undefined): boolean =>
      endpointKey(from) === local && (identifier === undefined || identifier === first.identifier);
    const settled = (): boolean => {
      const replies = this.tap
        .repliesTo(first.socket.local, first.identifier)
        .filter((d) => d.at >= first.at);
      const silenced = this.serverEvents.filter(
        (r) =>
          r.at >= first.at &&
          ((r.name === 'packet-dropped' && ours(r.payload.from, r.payload.identifier)) ||
            (r.name === 'duplicate' &&
              r.payload.action === 'discard' &&
              ours(r.payload.from, r.payload.identifier))),
      );
      return replies.length + silenced.length >= copies + 1;
    };
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (settled()) finish();
      };
      const finish = (): void => {
        this.clock.clearTimeout(timer);
        this.watchers.delete(check);
        first.socket.onMessage(() => undefined);
        resolve();
      };
      const timer = this.clock.setTimeout(finish, Math.max(0, until - this.clock.now()));
      this.watchers.add(check);
      first.socket.onMessage(() => check());
      check();
    });
  }

  /**
   * What the server itself says it did with the exact copies of `first` (embedded targets): a second
   * answer from its access handler is a reprocess, a replay event a replay, discards a discard. From
   * outside, a reprocessed request without MFA yields the same bytes as a replay (the authenticators
   * are deterministic), so the server's account is the one to trust where it is visible.
   */
  private behaviourSeenByServer(first: Sent): DuplicateBehaviour | undefined {
    if (this.target.stack === undefined) return undefined;
    const local = endpointKey(first.socket.local);
    const mine = this.serverEvents.filter(
      (r) =>
        r.at >= first.at &&
        (r.name === 'access' || r.name === 'duplicate') &&
        endpointKey(r.payload.from) === local &&
        r.payload.identifier === first.identifier,
    );
    // The original's own answer is one access event; any other came from processing a copy again.
    const answers = mine.filter((r) => r.name === 'access').length;
    if (answers > 1) return 'reprocess';
    if (mine.some((r) => r.name === 'duplicate' && r.payload.action === 'replay')) return 'replay';
    if (mine.some((r) => r.name === 'duplicate')) return 'discard';
    return undefined;
  }

  /** MFA prompts for this user since the case started (embedded targets only). */
  private promptsFor(user: string | undefined): number | undefined {
    const service = this.target.stack?.mock.service;
    if (service === undefined || user === undefined) return undefined;
    const wanted = user.toLowerCase();
    return service.history.list({ since: this.mfaSince, endpoint: 'begin' }).filter((call) => {
      const upn = call.user?.toLowerCase() ?? '';
      return (upn === wanted || upn.split('@')[0] === wanted) && isSuccess(call.httpStatus);
    }).length;
  }

  // ------------------------------------------------------------------ observations

  caseSeen(): CaseSeen {
    const stack = this.target.stack;
    if (stack === undefined) return {};
    const mine = this.tap.localKeys();
    const fromMine = (from: Endpoint): boolean => mine.has(endpointKey(from));
    const discards: Record<string, number> = {};
    const drops: Record<string, number> = {};
    const bump = (counts: Record<string, number>, key: string): void => {
      counts[key] = (counts[key] ?? 0) + 1;
    };
    for (const record of this.serverEvents) {
      if (record.name === 'duplicate' && fromMine(record.payload.from)) {
        bump(discards, record.payload.action === 'replay' ? 'replayed' : record.payload.reason);
        bump(discards, 'total');
      } else if (record.name === 'packet-dropped' && fromMine(record.payload.from)) {
        bump(drops, record.payload.reason);
        bump(drops, 'total');
      }
    }
    const mfaPrompts = stack.mock.service.history
      .list({ since: this.mfaSince, endpoint: 'begin' })
      .filter((call) => isSuccess(call.httpStatus)).length;
    const warnings: Record<string, number> = {};
    for (const code of this.warnings) bump(warnings, code);
    return {
      mfaPrompts,
      discards,
      drops,
      warnings,
      accountingRecords: stack.accounting.count() - this.accountingBefore,
    };
  }

  timeline(): TimelineEvent[] {
    const calls = this.target.stack?.mock.service.history.list({ since: this.mfaSince }) ?? [];
    const mine = this.tap.localKeys();
    return buildTimeline({
      origin: this.startedAt,
      datagrams: this.tap.datagrams,
      trace: this.trace,
      serverEvents: this.serverEvents.filter(
        (r) => !('from' in r.payload) || mine.has(endpointKey(r.payload.from)),
      ),
      mfaCalls: calls,
    });
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    // A shared (UDP) stack must not carry this case's faults into the next case.
    if (this.testCase.resolved.mfaFaults !== undefined) await this.target.stack?.setMfaFaults({});
    await Promise.all(this.nases.map((nas) => nas.close().catch(() => undefined)));
    await Promise.all(this.rawSockets.map((socket) => socket.close().catch(() => undefined)));
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * An access event as `serverReason` compares it: `reason[: MFA error code]`, both from closed lists
 * (ACCESS_REASONS, the service's codes); the free-text detail is kept apart, for people only.
 */
function describeAccess(payload: ServerEventMap['access']): ServerAnswer {
  const code = payload.mfa?.code;
  const reason =
    code !== undefined && code !== payload.reason ? `${payload.reason}: ${code}` : payload.reason;
  return payload.detail !== undefined && payload.detail !== ''
    ? { reason, detail: payload.detail }
    : { reason };
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function mergeAttributes(
  base: readonly AttributeInput[],
  extra: readonly AttributeInput[],
): AttributeInput[] {
  const replaced = new Set(extra.map((a) => a.name.toLowerCase()));
  return [...base.filter((a) => !replaced.has(a.name.toLowerCase())), ...extra];
}

function packetLabel(step: PacketStep): string {
  const parts: string[] = [step.code];
  if (step.messageAuthenticator !== 'first') parts.push(`Message-Authenticator ${step.messageAuthenticator}`);
  for (const mutation of step.mutations) parts.push(mutation.kind);
  if (step.fromUnknownClient) parts.push('from an unknown client');
  return parts.join(', ');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one case on one target and judges it. Never throws: a case that cannot run fails alone. */
export async function runCase(
  testCase: LoadedCase,
  target: CaseTarget,
  options: RunCaseOptions,
): Promise<CaseResult> {
  const run = new CaseRun(testCase, target, options.seed);
  const realStart = performance.now();
  const failures: Failure[] = [];
  try {
    await run.prepare();
    const work = run.runSteps();
    if (target.virtualClock !== undefined) {
      await driveUntilSettled(target.virtualClock, work, options.virtualBoundMs ?? 30 * 60_000);
    } else {
      await work;
    }
  } catch (error) {
    failures.push({
      expectation: '(case)',
      expected: 'the case runs to its end',
      actual: describeError(error),
    });
  }
  const steps: StepResult[] = [];
  testCase.steps.forEach((step, index) => {
    const record = run.records.get(index);
    if (record === undefined) return;
    steps.push(record.result);
    failures.push(...judgeStep(step, index, record.seen));
  });
  const seen = run.caseSeen();
  failures.push(...judgeCase(testCase.expect, seen));
  const timeline = run.timeline();
  const virtualMs = run.elapsed();
  await run.close();
  const retransmitBehaviour = steps.find((s) => s.duplicateBehaviour !== undefined)?.duplicateBehaviour;
  const first = failures[0];
  return {
    suite: testCase.suite,
    id: testCase.id,
    title: testCase.title,
    why: testCase.why,
    target: target.kind,
    status: failures.length === 0 ? 'passed' : 'failed',
    ...(first !== undefined
      ? { reason: `${first.expectation}: expected ${first.expected}, got ${first.actual}` }
      : {}),
    failures,
    // Virtual stacks report the case's virtual duration: what a NAS would have waited.
    durationMs: target.virtualClock !== undefined ? virtualMs : Math.round(performance.now() - realStart),
    steps,
    ...(target.stack !== undefined || retransmitBehaviour !== undefined
      ? {
          observed: {
            ...seen,
            ...(retransmitBehaviour !== undefined ? { duplicateBehaviour: retransmitBehaviour } : {}),
          },
        }
      : {}),
    timeline,
    ...(testCase.matrix !== undefined ? { matrix: testCase.matrix } : {}),
  };
}
