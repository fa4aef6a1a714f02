// The load engine: runs a profile's executors against a target with one simulated NAS, records the
// metrics, the per-second series and the threshold verdicts. Every timer goes through the target's
// Clock, so the same run happens over loopback UDP in real time or in memory in virtual time.
//
// Open model: arrivals are scheduled from the plan and never wait for replies; an iteration's
// latency runs from its intended start, so a server that stalls shows as latency, timeouts and
// in-flight logins, not as a lower offered rate. Closed model: each VU runs its next iteration
// when the last one ends.
//
// Two NAS paths (route.ts decides, per login): a PAP login that one reply ends goes through the lean
// path (nas.lean: a prepared request per user, one callback, no promise, trace or decode per login);
// challenges, OTP answers, other methods, failover and radmfa's own server (whose MFA prompts are
// attributed per login) go through nas.login. Both record the same metrics. Iterations end through
// callbacks and a busy count rather than a promise each, and arrivals are started by one timer per
// wake-up, not one sleep per arrival: at thousands of logins a second that bookkeeping is the client's
// cost.
import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { totp } from '../../protocol/auth/index.ts';
import { PacketCode, type RequestTemplate } from '../../protocol/index.ts';
import {
  createNas,
  type ChallengeResponder,
  type LeanCallback,
  type LeanStatus,
  type LoginOutcome,
  type LoginResult,
  type Nas,
  type TraceEvent,
} from '../../simulators/nas/index.ts';
import { codeResponder, streamFor } from '../../simulators/users/index.ts';
import { planExecutor, type ArrivalPlan, type ExecutionPlan, type VuPlan } from './executors.ts';
import { MetricSet, type MetricName, type MetricState } from './metrics.ts';
import type { LoadProfile, ThresholdSpec } from './profile.ts';
import { routeLogin, runWideReason, type RunRouting } from './route.ts';
import { FULL_PLAN, type SegmentPlan } from './segments.ts';
import { TimeSeries, type SeriesRow } from './series.ts';
import { evaluate, parseThreshold, type Threshold, type ThresholdVerdict } from './thresholds.ts';
import type { LoadTarget } from './target.ts';
import type { Credential, UserPool } from './users.ts';

export interface ProgressSnapshot {
  readonly elapsedMs: number;
  /** Until the last executor's end (graceful stop not included). */
  readonly plannedMs: number;
  readonly iterations: number;
  readonly inFlight: number;
  /** Logins sent and answered in the last whole second. */
  readonly sentPerSecond: number;
  readonly receivedPerSecond: number;
  /** p95 of radius_access_duration so far, ms. */
  readonly p95Ms: number;
  readonly timeouts: number;
  readonly failedThresholds: number;
}

export type StopReason =
  | { readonly kind: 'completed' }
  | { readonly kind: 'threshold'; readonly verdict: ThresholdVerdict }
  | { readonly kind: 'signal' };

/**
 * Logins started on each NAS path, and those refused because every Identifier of every socket the
 * profile allows was outstanding (on neither path; each is a radius_errors count). With the
 * arrivals dropped for want of a VU, they add up to the arrivals offered.
 */
export interface NasPathCounts {
  readonly lean: number;
  readonly full: number;
  readonly refused: number;
}

/** CPU time of this process over the run (process.cpuUsage), microseconds. */
export interface ProcessCpu {
  readonly userMicros: number;
  readonly systemMicros: number;
}

/**
 * CPU and requests sent from the first progress tick (one second in) to the end: the run without
 * the JIT's warm-up, which costs a few hundred ms of CPU whatever the rate and so dominates short
 * runs. Compare this with a tool that has no warm-up (radclient) or one measured after its own.
 */
export interface SteadyCpu extends ProcessCpu {
  readonly fromMs: number;
  readonly sent: number;
}

export interface LoadRunOutcome {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly states: Record<MetricName, MetricState>;
  readonly series: readonly SeriesRow[];
  readonly verdicts: readonly ThresholdVerdict[];
  readonly stop: StopReason;
  /** Iterations still running at the hard stop (not counted in `iterations`). */
  readonly interrupted: number;
  readonly nasPaths?: NasPathCounts;
  /** From the first executor's start to the last iteration's end (set-up and reports not included). */
  readonly cpu?: ProcessCpu;
  /** Absent when the run ended before its first second. */
  readonly steadyCpu?: SteadyCpu;
}

export interface LoadRunOptions {
  readonly profile: LoadProfile;
  readonly target: LoadTarget;
  readonly pool: UserPool;
  readonly segment?: SegmentPlan;
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Ends the run early as abortOnFail does (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * `auto` (default): logins the lean NAS path does exactly as nas.login does go through it
   * (route.ts); `full`: every login through nas.login (to compare the two).
   */
  readonly nasPath?: 'auto' | 'full';
}

const TICK_MS = 1000;
/** SO_RCVBUF of the NAS sockets (Linux caps it at net.core.rmem_max). */
const SOCKET_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Every sleeping VU listens on the one stop signal; Node's default limit of 10 listeners is for leaks. */
function stopControllerWithoutLimit(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** One in-flight login, for attributing MFA prompts the mock reports by user. */
interface InFlightLogin {
  prompts: number;
  /** When the MFA service was first asked to prompt this user for this login. */
  promptAt?: number;
}

/** Whoever started an iteration, told once when it ends. */
interface IterationOwner {
  ended(): void;
}

/** An open-model executor's VUs: how many of its iterations are running. */
class ArrivalVus implements IterationOwner {
  busy = 0;
  ended(): void {
    this.busy--;
  }
}

/** The user's request template, rebuilt if the pool gives the same user another password. */
interface UserTemplate {
  readonly password: string;
  readonly template: RequestTemplate;
}

type LeanEnded = (
  login: LeanLogin,
  status: LeanStatus,
  code: number,
  transmissions: number,
  queuedMs: number,
) => void;

/**
 * One lean login in flight. Reused through a free list, with its reply callback bound once: at
 * thousands of logins a second a closure and a context per login are garbage the client pays for.
 */
class LeanLogin {
  credential: Credential | undefined;
  index = 0;
  intendedAt = 0;
  owner: IterationOwner | undefined;
  /** The next free context (free list). */
  nextFree: LeanLogin | undefined;
  readonly done: LeanCallback;

  constructor(ended: LeanEnded) {
    this.done = (status, code, _rttMs, transmissions, queuedMs) =>
      ended(this, status, code, transmissions, queuedMs);
  }
}

class LoadRun {
  readonly clock: Clock;
  readonly metrics = new MetricSet();
  /** Both set again when the executors start (run()), after the sockets are open. */
  private series: TimeSeries;
  private startedAt: number;
  readonly nas: Nas;
  private readonly routing: RunRouting;
  private readonly accessDuration = this.metrics.trendOf('radius_access_duration');
  /**
   * Without accounting an iteration is its login, ended in the same callback: iteration_duration
   * is radius_access_duration, copied once at the end instead of recorded twice per login.
   */
  private readonly iterationIsLogin: boolean;
  private readonly templates = new Map<string, UserTemplate>();
  private readonly loginsByUser = new Map<string, InFlightLogin[]>();
  private readonly nasPaths = { lean: 0, full: 0, refused: 0 };
  /** Iterations running (launched and not ended). */
  private busy = 0;
  /**
   * The `vus` gauge's extremes since the first launch, kept in fields and written to the metric
   * when it is read (thresholds, the result) rather than on every launch and end.
   */
  private vusMin = Infinity;
  private vusMax = -Infinity;
  /** Called when `busy` falls to 0 (drain and the hard stop wait on it). */
  private onIdle: (() => void) | undefined;
  private allocated = 0;
  private hardStopped = false;
  /** A socket is being opened for the lean path. */
  private growing = false;
  private interrupted = 0;
  private tick: TimerHandle | undefined;
  /** Requests sent (first transmissions, either path), for the steady CPU figure. */
  private sent = 0;
  private steadyMark: { at: number; sent: number; cpu: NodeJS.CpuUsage } | undefined;
  private freeLean: LeanLogin | undefined;
  private readonly leanEnded: LeanEnded = (login, status, code, transmissions, queuedMs) =>
    this.endLean(login, status, code, transmissions, queuedMs);
  private readonly stopController = stopControllerWithoutLimit();
  /** The stop signal's state, read on every arrival without going through the AbortSignal. */
  private halted = false;
  stopReason: StopReason = { kind: 'completed' };
  readonly plannedMs: number;
  private readonly thresholds: readonly { spec: ThresholdSpec; threshold: Threshold }[];

  constructor(private readonly options: LoadRunOptions) {
    this.thresholds = options.profile.thresholds.flatMap((spec) => {
      const parsed = parseThreshold(spec.metric, spec.expression);
      return parsed.ok ? [{ spec, threshold: parsed.threshold }] : [];
    });
    this.clock = options.target.clock;
    this.startedAt = this.clock.now();
    this.series = new TimeSeries(this.startedAt);
    const { profile, target } = options;
    this.plannedMs = Math.max(
      0,
      ...Object.values(profile.scenarios).map((s) => s.startTime + planExecutor(s, this.segment).durationMs),
    );
    this.nas = createNas({
      transport: target.transport,
      clock: this.clock,
      servers: target.servers,
      profile: profile.nas.profile,
      maxSockets: profile.nas.maxSockets,
      // A burst of replies while the event loop is busy (a collector pause, a catch-up of arrivals)
      // must wait in the socket, not be dropped by the kernel and counted as the server's timeouts.
      recvBufferSize: SOCKET_RECEIVE_BUFFER_BYTES,
      seed: profile.seed,
      traceBytes: false,
      // Counts come from onTrace; the per-login trace the NAS would keep is never read here.
      trace: false,
      onTrace: (event) => this.onTrace(event),
    });
    this.iterationIsLogin = profile.accounting === undefined;
    this.routing = {
      nasPath: options.nasPath ?? 'auto',
      observed: target.observer !== undefined,
      servers: target.servers.length,
      retransmission: this.nas.policy.retransmission,
    };
    target.observer?.onDiscard(() => this.metrics.add('radius_discards'));
    target.observer?.onPrompt((user) => {
      const login = this.loginsByUser.get(user)?.[0];
      if (login === undefined) return;
      login.prompts++;
      login.promptAt ??= this.clock.now();
    });
    if (options.signal?.aborted === true) this.stop({ kind: 'signal' });
    else options.signal?.addEventListener('abort', () => this.stop({ kind: 'signal' }), { once: true });
  }

  get segment(): SegmentPlan {
    return this.options.segment ?? FULL_PLAN;
  }

  get stopped(): boolean {
    return this.halted;
  }

  private onTrace(event: TraceEvent): void {
    switch (event.kind) {
      case 'send':
        this.sent++;
        this.series.count('sent', event.at);
        break;
      case 'retransmit':
        this.series.count('retransmits', event.at);
        break;
      case 'reply':
        this.series.count('received', event.at);
        break;
      default:
        break;
    }
  }

  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopReason = reason;
    this.halted = true;
    this.stopController.abort();
  }

  /** Sleeps on the clock, waking early when the run stops; true when the full time passed. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const signal = this.stopController.signal;
      const onAbort = (): void => {
        this.clock.clearTimeout(handle);
        resolve(false);
      };
      const handle = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ------------------------------------------------------------ one iteration

  private launch(index: number, intendedAt: number, owner: IterationOwner): void {
    this.busy++;
    if (this.busy > this.vusMax) this.vusMax = this.busy;
    if (this.busy < this.vusMin) this.vusMin = this.busy;
    const credential = this.options.pool.pick(index);
    if (routeLogin(credential, this.routing).path === 'lean') {
      const sent = this.sendLean(credential, index, intendedAt, owner);
      if (sent === 'sent') {
        this.nasPaths.lean++;
        return;
      }
      if (sent === 'no-identifier') {
        // nas.login would refuse it the same way (RADMFA_NAS_IDENTIFIERS_EXHAUSTED), after a promise
        // chain and an error with its stack: when a server falls far behind, that per-arrival cost
        // made the client's CPU per request several times its steady figure, on cores the server
        // shares.
        this.nasPaths.refused++;
        this.metrics.add('radius_errors');
        this.end(owner);
        return;
      }
    }
    this.nasPaths.full++;
    this.iterate(credential, index, intendedAt).then(
      () => this.end(owner),
      () => {
        this.metrics.add('radius_errors');
        this.end(owner);
      },
    );
  }

  private end(owner: IterationOwner): void {
    this.busy--;
    if (this.busy < this.vusMin) this.vusMin = this.busy;
    owner.ended();
    if (this.busy === 0 && this.onIdle !== undefined) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle();
    }
  }

  /** Resolves when no iteration runs, or after `ms` (when given). */
  private idle(ms?: number): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer =
        ms === undefined
          ? undefined
          : this.clock.setTimeout(() => {
              this.onIdle = undefined;
              resolve();
            }, ms);
      this.onIdle = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        resolve();
      };
    });
  }

  private templateFor(credential: Credential): RequestTemplate {
    const known = this.templates.get(credential.user);
    if (known !== undefined && known.password === credential.password) return known.template;
    // The same attributes, in the same order, as nas.login's first Access-Request of a PAP login.
    const template = this.nas.lean.template({
      code: PacketCode.AccessRequest,
      variants: [
        [
          { name: 'User-Name', value: credential.user },
          { name: 'User-Password', value: credential.password },
        ],
      ],
    });
    this.templates.set(credential.user, { password: credential.password, template });
    return template;
  }

  /**
   * A login on the lean path. `fallback` when it could not be sent (no Identifier free on the open
   * sockets while another may open, a credential no request can carry, a closed NAS): nas.login
   * takes it, opening another socket or reporting the error as the full path always has.
   * `no-identifier` when every Identifier of the most sockets the profile allows is outstanding.
   */
  private sendLean(
    credential: Credential,
    index: number,
    intendedAt: number,
    owner: IterationOwner,
  ): 'sent' | 'no-identifier' | 'fallback' {
    let template: RequestTemplate;
    try {
      template = this.templateFor(credential);
    } catch {
      return 'fallback';
    }
    const login = this.freeLean ?? new LeanLogin(this.leanEnded);
    this.freeLean = login.nextFree;
    login.nextFree = undefined;
    login.credential = credential;
    login.index = index;
    login.intendedAt = intendedAt;
    login.owner = owner;
    let sent: boolean;
    try {
      sent = this.nas.lean.send(template, 0, login.done);
    } catch {
      this.releaseLean(login);
      return 'fallback';
    }
    if (sent) {
      this.sent++;
      this.series.count('sent', this.clock.now());
      return 'sent';
    }
    this.releaseLean(login);
    return this.growLean() ? 'fallback' : 'no-identifier';
  }

  private releaseLean(login: LeanLogin): void {
    login.credential = undefined;
    login.owner = undefined;
    login.nextFree = this.freeLean;
    this.freeLean = login;
  }

  /**
   * Opens one more socket for the lean path while the profile's maxSockets allows; false when no
   * socket is opening or can open (so no Identifier can come free but by a reply).
   */
  private growLean(): boolean {
    if (this.growing) return true;
    if (this.hardStopped) return false;
    const sockets = this.nas.stats().sockets;
    if (sockets >= this.options.profile.nas.maxSockets) return false;
    this.growing = true;
    const done = (): void => {
      this.growing = false;
    };
    this.nas.lean.open(sockets + 1).then(done, done);
    return true;
  }

  private endLean(
    login: LeanLogin,
    status: LeanStatus,
    code: number,
    transmissions: number,
    queuedMs: number,
  ): void {
    const { credential, index, intendedAt, owner } = login;
    this.releaseLean(login);
    if (credential === undefined || owner === undefined) return;
    if (status === 'closed' || this.hardStopped) {
      this.interrupted++;
      this.end(owner);
      return;
    }
    // The reply's arrival, not the moment it was read: a coalescing socket reads on a timer.
    const now = this.clock.now() - queuedMs;
    const retransmissions = transmissions - 1;
    if (retransmissions > 0) this.series.count('retransmits', now, retransmissions);
    let outcome: LoginOutcome = 'timeout';
    let challenges = 0;
    if (status === 'reply') {
      this.series.count('received', now);
      if (code === PacketCode.AccessAccept) outcome = 'accept';
      else if (code === PacketCode.AccessReject) outcome = 'reject';
      else {
        // An Access-Challenge to a user with no code to give: nas.login ends it as an error too.
        outcome = 'error';
        challenges = 1;
      }
    }
    this.recordLogin(outcome, retransmissions, challenges, intendedAt, now, undefined);
    if (outcome === 'accept' && this.options.profile.accounting !== undefined) {
      this.accountThenEnd(credential, index, intendedAt).then(
        () => this.end(owner),
        () => {
          this.metrics.add('radius_errors');
          this.end(owner);
        },
      );
      return;
    }
    this.iterationDone(intendedAt, now);
    this.end(owner);
  }

  private async accountThenEnd(credential: Credential, index: number, intendedAt: number): Promise<void> {
    const finished = await this.account(credential, index);
    if (!finished) {
      this.interrupted++;
      return;
    }
    this.iterationDone(intendedAt, this.clock.now());
  }

  private iterationDone(intendedAt: number, now: number): void {
    this.metrics.add('iterations');
    if (!this.iterationIsLogin) this.metrics.trend('iteration_duration', now - intendedAt);
  }

  /** The user at an OTP prompt: types the TOTP of their key, taking their behaviour's time. */
  private responder(credential: Credential, index: number): ChallengeResponder | undefined {
    const key = credential.totpKey;
    if (key === undefined) return undefined;
    const answer = codeResponder({
      behaviour: credential.mixClass.behaviour.code,
      clock: this.clock,
      random: streamFor(this.options.profile.seed, `typing:${index}`),
      correctCode: () => totp(key, this.clock.now()),
    });
    // Against a server that is not ours, the time at the prompt is the MFA wait we can see.
    if (this.options.target.observer !== undefined) return answer;
    return async (prompt) => {
      const began = this.clock.now();
      const code = await answer(prompt);
      this.metrics.trend('radius_mfa_wait', this.clock.now() - began);
      return code;
    };
  }

  /** Tracks a login so that MFA prompts the server reports are counted against it (observed targets). */
  private track(userKey: string): InFlightLogin {
    const tracked: InFlightLogin = { prompts: 0 };
    const list = this.loginsByUser.get(userKey);
    if (list === undefined) this.loginsByUser.set(userKey, [tracked]);
    else list.push(tracked);
    return tracked;
  }

  private untrack(userKey: string, tracked: InFlightLogin): void {
    const list = this.loginsByUser.get(userKey);
    if (list === undefined) return;
    list.splice(list.indexOf(tracked), 1);
    if (list.length === 0) this.loginsByUser.delete(userKey);
  }

  private async iterate(credential: Credential, index: number, intendedAt: number): Promise<void> {
    const observed = this.options.target.observer !== undefined;
    const userKey = credential.user.toLowerCase();
    const tracked = observed ? this.track(userKey) : undefined;
    const responder = this.responder(credential, index);
    let result: LoginResult;
    try {
      result = await this.nas.login({
        method: credential.method,
        user: credential.user,
        password: credential.password,
        ...(responder !== undefined ? { challengeResponder: responder } : {}),
      });
    } finally {
      if (tracked !== undefined) this.untrack(userKey, tracked);
    }
    if (this.hardStopped) {
      this.interrupted++;
      return;
    }
    this.recordLogin(
      result.outcome,
      result.retransmissions,
      result.challenges,
      intendedAt,
      this.clock.now(),
      tracked,
    );
    if (result.outcome === 'accept' && this.options.profile.accounting !== undefined) {
      const finished = await this.account(credential, index);
      if (!finished) {
        this.interrupted++;
        return;
      }
    }
    this.iterationDone(intendedAt, this.clock.now());
  }

  /** Arguments rather than an object: one call per login, and nothing for the collector. */
  private recordLogin(
    outcome: LoginOutcome,
    retransmissions: number,
    challenges: number,
    intendedAt: number,
    now: number,
    tracked: InFlightLogin | undefined,
  ): void {
    const latency = now - intendedAt;
    const m = this.metrics;
    this.accessDuration.add(latency);
    this.series.latency(now, latency);
    if (retransmissions > 0) m.add('radius_retransmits', retransmissions);
    if (challenges > 0) m.add('radius_challenges', challenges);
    m.rate('radius_timeouts', outcome === 'timeout');
    switch (outcome) {
      case 'accept':
        m.add('radius_accepts');
        this.series.count('accepted', now);
        break;
      case 'reject':
        m.add('radius_rejects');
        this.series.count('rejected', now);
        break;
      case 'timeout':
        this.series.count('timeouts', now);
        break;
      case 'error':
        m.add('radius_errors');
        break;
    }
    if (tracked !== undefined) {
      m.trend('mfa_prompts_per_login', tracked.prompts);
      if (tracked.promptAt !== undefined) m.trend('radius_mfa_wait', now - tracked.promptAt);
    }
  }

  /** Accounting Start, Interim-Updates, Stop (RFC 2866) for an accepted login; false if interrupted. */
  private async account(credential: Credential, index: number): Promise<boolean> {
    const settings = this.options.profile.accounting;
    if (settings === undefined) return true;
    const sessionId = `radmfa-load-${index.toString(16)}`;
    const steps: ('Start' | 'Interim-Update' | 'Stop')[] = [
      'Start',
      ...Array.from({ length: settings.interims }, () => 'Interim-Update' as const),
      'Stop',
    ];
    for (const [i, statusType] of steps.entries()) {
      if (i > 0 && !(await this.sleep(settings.interval))) return false;
      if (this.hardStopped) return false;
      const result = await this.nas.accounting({
        statusType,
        sessionId,
        user: credential.user,
        ...(statusType === 'Start' ? {} : { sessionTimeSeconds: Math.round((i * settings.interval) / 1000) }),
        ...(statusType === 'Stop' ? { terminateCause: 'User-Request' } : {}),
      });
      this.metrics.add('radius_retransmits', result.retransmissions);
      this.metrics.trend('radius_accounting_duration', result.totalTimeMs);
      this.metrics.rate('radius_accounting_timeouts', result.outcome === 'timeout');
      if (result.outcome === 'error') this.metrics.add('radius_accounting_errors', 1);
    }
    return !this.hardStopped;
  }

  // ------------------------------------------------------------ executors

  /**
   * Starts every arrival that is due, then sleeps until the next one on one clock timer: with
   * several arrivals per millisecond, one wake-up starts them all.
   */
  private runArrivals(plan: ArrivalPlan, startAt: number): Promise<void> {
    this.allocated += plan.preAllocatedVUs;
    this.metrics.gauge('vus_max', this.allocated);
    const vus = new ArrivalVus();
    let poolCap = plan.preAllocatedVUs;
    const arrivals = plan.cursor();
    let pending = arrivals.next();
    const signal = this.stopController.signal;
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const finish = (): void => {
        signal.removeEventListener('abort', onStop);
        resolve();
      };
      const onStop = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        timer = undefined;
        finish();
      };
      const pump = (): void => {
        timer = undefined;
        if (this.stopped) return;
        const now = this.clock.now();
        while (pending && startAt + arrivals.atMs <= now) {
          const index = arrivals.index;
          const intendedAt = startAt + arrivals.atMs;
          pending = arrivals.next();
          this.series.count('offered', intendedAt);
          if (vus.busy >= poolCap) {
            if (poolCap >= plan.maxVUs) {
              this.metrics.add('dropped_iterations');
              continue;
            }
            poolCap++;
            this.allocated++;
            this.metrics.gauge('vus_max', this.allocated);
          }
          vus.busy++;
          this.launch(index, intendedAt, vus);
          if (this.stopped) return;
        }
        if (!pending) {
          finish();
          return;
        }
        timer = this.clock.setTimeout(pump, startAt + arrivals.atMs - now);
      };
      if (this.stopped) {
        resolve();
        return;
      }
      signal.addEventListener('abort', onStop, { once: true });
      pump();
    });
  }

  private async runVu(
    plan: VuPlan,
    vu: number,
    ordinalOf: (n: number) => number,
    startAt: number,
  ): Promise<void> {
    for (let n = 0; !this.stopped;) {
      if (plan.iterationsPerVu !== undefined && n >= plan.iterationsPerVu) return;
      const relative = this.clock.now() - startAt;
      const from = plan.activeFrom(vu, relative);
      if (from === undefined) return;
      if (from > relative) {
        await this.sleep(from - relative);
        continue;
      }
      const began = this.clock.now();
      this.series.count('offered', began);
      await new Promise<void>((resolve) => this.launch(ordinalOf(n), began, { ended: resolve }));
      n++;
      // An iteration that took no time at all (a local error) must not spin the event loop.
      if (this.clock.now() === began) await this.sleep(1);
    }
  }

  private async runVus(plan: VuPlan, startAt: number): Promise<void> {
    this.allocated += plan.vus.length;
    this.metrics.gauge('vus_max', this.allocated);
    const stride = plan.totalVus;
    await Promise.all(plan.vus.map((vu) => this.runVu(plan, vu, (n) => n * stride + vu, startAt)));
  }

  private async runScenario(plan: ExecutionPlan, startTimeMs: number): Promise<void> {
    if (startTimeMs > 0 && !(await this.sleep(startTimeMs))) return;
    const startAt = this.startedAt + startTimeMs;
    if (plan.kind === 'arrivals') await this.runArrivals(plan, startAt);
    else await this.runVus(plan, startAt);
  }

  // ------------------------------------------------------------ thresholds and progress

  private syncVus(): void {
    if (this.vusMax >= 0) this.metrics.setGauge('vus', this.busy, this.vusMin, this.vusMax);
  }

  /** Thresholds on the metrics so far; only the metrics they name are read (once a second, live). */
  verdicts(durationMs: number): ThresholdVerdict[] {
    this.syncVus();
    const states = new Map<MetricName, MetricState>();
    return this.thresholds.map(({ spec, threshold }) => {
      let state = states.get(threshold.metric);
      if (state === undefined) {
        state = this.metrics.state(threshold.metric);
        states.set(threshold.metric, state);
      }
      return evaluate(threshold, state, durationMs, spec.abortOnFail);
    });
  }

  private onTick = (): void => {
    const now = this.clock.now();
    this.steadyMark ??= { at: now, sent: this.sent, cpu: process.cpuUsage() };
    const elapsed = now - this.startedAt;
    this.series.inFlight(now - 1, this.busy);
    const abortable = this.thresholds.filter(
      ({ spec }) => spec.abortOnFail && elapsed >= spec.delayAbortEvalMs,
    );
    let failed = 0;
    if (abortable.length > 0 || this.options.onProgress !== undefined) {
      const verdicts = this.verdicts(elapsed);
      failed = verdicts.filter((v) => !v.ok).length;
      const abort = verdicts.find(
        (v, i) => !v.ok && abortable.some(({ spec }) => spec === this.thresholds[i]?.spec),
      );
      if (abort !== undefined) this.stop({ kind: 'threshold', verdict: abort });
    }
    if (this.options.onProgress !== undefined) {
      const last = this.series.countsAt(now - 1000);
      const trend = this.accessDuration;
      this.options.onProgress({
        elapsedMs: elapsed,
        plannedMs: this.plannedMs,
        iterations: this.metrics.counters.get('iterations') ?? 0,
        inFlight: this.busy,
        sentPerSecond: last.sent,
        receivedPerSecond: last.received,
        p95Ms: trend.percentile(95),
        timeouts: this.metrics.rates.get('radius_timeouts')?.passes ?? 0,
        failedThresholds: failed,
      });
    }
    this.tick = this.clock.setTimeout(this.onTick, TICK_MS);
  };

  /** Waits for in-flight iterations until `deadline` (clock time); then the run is cut. */
  private async drain(deadline: number): Promise<void> {
    while (this.busy > 0) {
      const left = deadline - this.clock.now();
      if (left <= 0 || this.stopped) return;
      await this.idle(left);
    }
  }

  /** The most iterations that can run at once: every executor's VUs. */
  private vuBound(): number {
    return Object.values(this.options.profile.scenarios).reduce((sum, config) => {
      const plan = planExecutor(config, this.segment);
      return sum + (plan.kind === 'arrivals' ? plan.maxVUs : plan.vus.length);
    }, 0);
  }

  async run(): Promise<LoadRunOutcome> {
    const { profile } = this.options;
    // The lean path sends only on sockets already open: enough for every VU at once open here (up
    // to the profile's maxSockets), since a login the lean path cannot send goes to nas.login.
    if (runWideReason(this.routing) === undefined) await this.nas.lean.open(this.vuBound());
    // The schedule starts now: opening dozens of sockets must not show as the first arrivals' latency.
    this.startedAt = this.clock.now();
    this.series = new TimeSeries(this.startedAt);
    const cpuAtStart = process.cpuUsage();
    this.tick = this.clock.setTimeout(this.onTick, TICK_MS);
    const scenarios = Object.values(profile.scenarios).map((config) => {
      const plan = planExecutor(config, this.segment);
      return { plan, config, done: this.runScenario(plan, config.startTime) };
    });
    await Promise.all(scenarios.map((s) => s.done));
    const deadline =
      this.startedAt +
      Math.max(0, ...scenarios.map((s) => s.config.startTime + s.plan.durationMs + s.plan.gracefulStopMs));
    await this.drain(deadline);
    // Whatever still runs is interrupted: closing the NAS ends its logins at once.
    this.hardStopped = true;
    await this.nas.close();
    await this.idle();
    if (this.iterationIsLogin) this.metrics.copyTrend('radius_access_duration', 'iteration_duration');
    const cpu = process.cpuUsage(cpuAtStart);
    const mark = this.steadyMark;
    const steady = mark === undefined ? undefined : process.cpuUsage(mark.cpu);
    if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
    const durationMs = this.clock.now() - this.startedAt;
    this.series.inFlight(this.clock.now(), 0);
    this.syncVus();
    return {
      startedAt: this.startedAt,
      durationMs,
      states: this.metrics.states(),
      series: this.series.rows(),
      verdicts: this.verdicts(durationMs),
      stop: this.stopReason,
      interrupted: this.interrupted,
      nasPaths: { ...this.nasPaths },
      cpu: { userMicros: cpu.user, systemMicros: cpu.system },
      ...(mark !== undefined && steady !== undefined
        ? {
            steadyCpu: {
              fromMs: mark.at - this.startedAt,
              sent: this.sent - mark.sent,
              userMicros: steady.user,
              systemMicros: steady.system,
            },
          }
        : {}),
    };
  }
}

export function runLoad(options: LoadRunOptions): Promise<LoadRunOutcome> {
  return new LoadRun(options).run();
}
