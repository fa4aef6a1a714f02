// One case on one target: its steps run with the simulated NAS and hand-built packets over a tapped
// transport, then every expectation is judged and the timeline drawn. A case that throws fails alone.
import { base32Decode, totp } from '../../protocol/auth/index.ts';
import type { AttributeInput } from '../../protocol/index.ts';
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
import type { LoginStep, PacketStep, RetransmitStep, Step } from '../suites/schema.ts';
import { driveUntilSettled } from './drive.ts';
import { attributesForExternal } from './credentials.ts';
import { judgeCase, judgeStep } from './judge.ts';
import { reported, seeAttributes, type CaseSeen, type StepSeen } from './observations.ts';
import { buildPacket, readReply } from './packets.ts';
import { TapTransport, endpointKey } from './tap.ts';
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
/** How long after its last copy a retransmit step of a login keeps listening for replies. */
const RETRANSMIT_LISTEN_MS = 1_000;

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
  readonly listenMs: number;
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
  private readonly random: () => number;
  private readonly startedAt: number;
  private readonly mfaSince: number;
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
    this.mfaSince = stack?.mock.service.history.last()?.seq ?? 0;
    this.accountingBefore = stack?.accounting.count() ?? 0;
    if (stack !== undefined) this.listen(stack);
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
        this.serverEvents.push({ at: this.clock.now(), name, payload } as ServerEventRecord);
      };
      stack.events.on(name, listener);
      this.unsubscribe.push(() => stack.events.off(name, listener));
    };
    on('duplicate');
    on('packet-dropped');
    on('access');
    on('accounting');
  }

  randomBytes = (size: number): Buffer => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  };

  private nas(secret: string | undefined, extra: readonly AttributeInput[] = [], stepIndex = 0): Nas {
    const settings = this.testCase.nas;
    const attributes = mergeAttributes(settings.attributes ?? [], extra);
    const nas = createNas({
      transport: this.tap,
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
        return this.packet(step, index);
      case 'retransmit':
        return this.retransmit(step);
      case 'wait':
        return this.clock.sleep(step.for).then(() => ({
          seen: { kind: 'wait', waitedMs: step.for },
          result: { kind: 'wait', label: `wait ${step.for} ms`, outcome: 'waited', durationMs: step.for },
        }));
    }
  }

  private credentials(step: LoginStep): { user: string; password: string } {
    const external = this.target.credentials;
    if (external === undefined) return { user: step.user, password: step.password };
    // The suite's demo user becomes the target's user; a deliberately wrong password stays wrong.
    return {
      user: external.user,
      password: step.password === DEMO_PASSWORD ? external.password : step.password,
    };
  }

  private login(step: LoginStep, index: number): Promise<StepRecord> {
    const { user, password } = this.credentials(step);
    const nas = this.nas(step.secret, step.attributes ?? [], index);
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
      return {
        seen: {
          kind: 'login',
          outcome: result.outcome,
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
      this.named.set(step.id, {
        kind: 'login',
        firstSend,
        done: promise,
        listenMs: RETRANSMIT_LISTEN_MS,
        user,
      });
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

  private async accounting(step: Extract<Step, { kind: 'accounting' }>, index: number): Promise<StepRecord> {
    const nas = this.nas(step.secret, [], index);
    const user = step.user !== undefined ? (this.target.credentials?.user ?? step.user) : undefined;
    const result = await nas.accounting({
      statusType: step.status,
      sessionId: step.sessionId,
      ...(user !== undefined ? { user } : {}),
      ...(step.attributes !== undefined ? { extraAttributes: step.attributes } : {}),
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

  private packet(step: PacketStep, index: number): Promise<StepRecord> {
    const secret = step.secret ?? this.target.secret;
    const identifier = Math.floor(this.random() * 256);
    const substituted = this.substitutePacketCredentials(step);
    const built = buildPacket(substituted, secret, identifier, this.randomBytes, (code) =>
      code === 4 ? 'acct' : 'auth',
    );
    const to = {
      address: this.target.host,
      port: built.port === 'acct' ? this.target.acctPort : this.target.authPort,
    };
    const label = packetLabel(step);
    let resolveFirst: (sent: Sent) => void = () => undefined;
    const firstSend = new Promise<Sent>((resolve) => (resolveFirst = resolve));
    const promise = (async (): Promise<StepRecord> => {
      const socket = await this.tap.bind({
        address: step.fromUnknownClient ? this.target.unknownClientAddress : this.target.localAddress,
        port: 0,
      });
      this.rawSockets.push(socket);
      const reply = new Promise<{ data: Buffer; at: number } | undefined>((resolve) => {
        const timer = this.clock.setTimeout(() => resolve(undefined), step.waitFor);
        socket.onMessage((data) => {
          this.clock.clearTimeout(timer);
          resolve({ data, at: this.clock.now() });
        });
      });
      const sentAt = this.clock.now();
      await socket.send(built.bytes, to);
      resolveFirst({ at: sentAt, bytes: built.bytes, socket, to, identifier });
      const got = await reply;
      // Later replies (to retransmitted copies) are counted from the tap, not here.
      socket.onMessage(() => undefined);
      const reading = got === undefined ? undefined : readReply(got.data, built, secret);
      const latencyMs = got === undefined ? undefined : got.at - sentAt;
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
      const userName = substituted.attributes.find((a) => a.name === 'User-Name')?.value;
      this.named.set(step.id, {
        kind: 'packet',
        firstSend,
        done: promise,
        listenMs: step.waitFor,
        ...(typeof userName === 'string' ? { user: userName } : {}),
      });
    }
    void index;
    return promise;
  }

  /** On an external target, `${user}`, `${password}` and the demo password become the target's. */
  private substitutePacketCredentials(step: PacketStep): PacketStep {
    const external = this.target.credentials;
    if (external === undefined) return step;
    return { ...step, attributes: attributesForExternal(step.attributes, external, DEMO_PASSWORD) };
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
    await this.sleepUntil(lastSend + named.listenMs);
    const replies = this.tap.repliesTo(first.socket.local, first.identifier).filter((d) => d.at >= first.at);
    const toCopies = replies.slice(1);
    const secondPrompt =
      named.user !== undefined && (this.promptsFor(named.user) ?? 0) > Math.max(1, promptsBefore ?? 0);
    const behaviour: DuplicateBehaviour =
      toCopies.length === 0
        ? secondPrompt
          ? 'reprocess'
          : 'discard'
        : toCopies.every((d) => replies[0] !== undefined && d.data.equals(replies[0].data)) && !secondPrompt
          ? 'replay'
          : 'reprocess';
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
    return {
      mfaPrompts,
      discards,
      drops,
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
    await Promise.all(this.nases.map((nas) => nas.close().catch(() => undefined)));
    await Promise.all(this.rawSockets.map((socket) => socket.close().catch(() => undefined)));
  }
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
