// The load engine: runs a profile's executors against a target with one simulated NAS, records the
// metrics, the per-second series and the threshold verdicts. Every timer goes through the target's
// Clock, so the same run happens over loopback UDP in real time or in memory in virtual time.
//
// Open model: arrivals are scheduled from the plan and never wait for replies; an iteration's
// latency runs from its intended start, so a server that stalls shows as latency, timeouts and
// in-flight logins, not as a lower offered rate. Closed model: each VU runs its next iteration
// when the last one ends.
import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { totp } from '../../protocol/auth/index.ts';
import {
  createNas,
  type ChallengeResponder,
  type LoginResult,
  type Nas,
  type TraceEvent,
} from '../../simulators/nas/index.ts';
import { codeResponder, streamFor } from '../../simulators/users/index.ts';
import { planExecutor, type ArrivalPlan, type ExecutionPlan, type VuPlan } from './executors.ts';
import { MetricSet, type MetricName, type MetricState } from './metrics.ts';
import type { LoadProfile, ThresholdSpec } from './profile.ts';
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

export interface LoadRunOutcome {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly states: Record<MetricName, MetricState>;
  readonly series: readonly SeriesRow[];
  readonly verdicts: readonly ThresholdVerdict[];
  readonly stop: StopReason;
  /** Iterations still running at the hard stop (not counted in `iterations`). */
  readonly interrupted: number;
}

export interface LoadRunOptions {
  readonly profile: LoadProfile;
  readonly target: LoadTarget;
  readonly pool: UserPool;
  readonly segment?: SegmentPlan;
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Ends the run early as abortOnFail does (Ctrl-C). */
  readonly signal?: AbortSignal;
}

const TICK_MS = 1000;

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

class LoadRun {
  readonly clock: Clock;
  readonly metrics = new MetricSet();
  readonly series: TimeSeries;
  readonly startedAt: number;
  readonly nas: Nas;
  private readonly loginsByUser = new Map<string, InFlightLogin[]>();
  private readonly inflight = new Set<Promise<void>>();
  private busy = 0;
  private allocated = 0;
  private hardStopped = false;
  private interrupted = 0;
  private tick: TimerHandle | undefined;
  private readonly stopController = stopControllerWithoutLimit();
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
      seed: profile.seed,
      traceBytes: false,
      // Counts come from onTrace; the per-login trace the NAS would keep is never read here.
      trace: false,
      onTrace: (event) => this.onTrace(event),
    });
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
    return this.stopController.signal.aborted;
  }

  private onTrace(event: TraceEvent): void {
    switch (event.kind) {
      case 'send':
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

  private async iterate(index: number, intendedAt: number): Promise<void> {
    const credential = this.options.pool.pick(index);
    const userKey = credential.user.toLowerCase();
    const tracked: InFlightLogin = { prompts: 0 };
    const list = this.loginsByUser.get(userKey) ?? [];
    list.push(tracked);
    this.loginsByUser.set(userKey, list);
    let result: LoginResult;
    const responder = this.responder(credential, index);
    try {
      result = await this.nas.login({
        method: credential.method,
        user: credential.user,
        password: credential.password,
        ...(responder !== undefined ? { challengeResponder: responder } : {}),
      });
    } finally {
      list.splice(list.indexOf(tracked), 1);
      if (list.length === 0) this.loginsByUser.delete(userKey);
    }
    if (this.hardStopped) {
      this.interrupted++;
      return;
    }
    this.recordLogin(result, intendedAt, tracked);
    if (result.outcome === 'accept' && this.options.profile.accounting !== undefined) {
      const finished = await this.account(credential, index);
      if (!finished) {
        this.interrupted++;
        return;
      }
    }
    const now = this.clock.now();
    this.metrics.add('iterations');
    this.metrics.trend('iteration_duration', now - intendedAt);
  }

  private recordLogin(result: LoginResult, intendedAt: number, tracked: InFlightLogin): void {
    const now = this.clock.now();
    const latency = now - intendedAt;
    const m = this.metrics;
    m.trend('radius_access_duration', latency);
    this.series.latency(now, latency);
    m.add('radius_retransmits', result.retransmissions);
    m.add('radius_challenges', result.challenges);
    m.rate('radius_timeouts', result.outcome === 'timeout');
    switch (result.outcome) {
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
    if (this.options.target.observer !== undefined) {
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
    }
    return !this.hardStopped;
  }

  private launch(index: number, intendedAt: number): Promise<void> {
    this.busy++;
    this.metrics.gauge('vus', this.busy);
    const running = this.iterate(index, intendedAt)
      .catch(() => {
        this.metrics.add('radius_errors');
      })
      .finally(() => {
        this.busy--;
        this.metrics.gauge('vus', this.busy);
        this.inflight.delete(running);
      });
    this.inflight.add(running);
    return running;
  }

  // ------------------------------------------------------------ executors

  private async runArrivals(plan: ArrivalPlan, startAt: number): Promise<void> {
    this.allocated += plan.preAllocatedVUs;
    this.metrics.gauge('vus_max', this.allocated);
    let poolCap = plan.preAllocatedVUs;
    let ownBusy = 0;
    const arrivals = plan.arrivals();
    let next = arrivals.next();
    while (!next.done && !this.stopped) {
      const now = this.clock.now();
      while (!next.done && startAt + next.value.atMs <= now) {
        const arrival = next.value;
        next = arrivals.next();
        const intendedAt = startAt + arrival.atMs;
        this.series.count('offered', intendedAt);
        if (ownBusy >= poolCap) {
          if (poolCap < plan.maxVUs) {
            poolCap++;
            this.allocated++;
            this.metrics.gauge('vus_max', this.allocated);
          } else {
            this.metrics.add('dropped_iterations');
            continue;
          }
        }
        ownBusy++;
        void this.launch(arrival.index, intendedAt).finally(() => {
          ownBusy--;
        });
      }
      if (next.done) break;
      await this.sleep(startAt + next.value.atMs - this.clock.now());
    }
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
      await this.launch(ordinalOf(n), began);
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

  verdicts(durationMs: number): ThresholdVerdict[] {
    const states = this.metrics.states();
    return this.thresholds.map(({ spec, threshold }) =>
      evaluate(threshold, states[threshold.metric], durationMs, spec.abortOnFail),
    );
  }

  private onTick = (): void => {
    const now = this.clock.now();
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
      const trend = this.metrics.trends.get('radius_access_duration');
      this.options.onProgress({
        elapsedMs: elapsed,
        plannedMs: this.plannedMs,
        iterations: this.metrics.counters.get('iterations') ?? 0,
        inFlight: this.busy,
        sentPerSecond: last.sent,
        receivedPerSecond: last.received,
        p95Ms: trend?.percentile(95) ?? 0,
        timeouts: this.metrics.rates.get('radius_timeouts')?.passes ?? 0,
        failedThresholds: failed,
      });
    }
    this.tick = this.clock.setTimeout(this.onTick, TICK_MS);
  };

  /** Waits for in-flight iterations until `deadline` (clock time); then the run is cut. */
  private async drain(deadline: number): Promise<void> {
    while (this.inflight.size > 0) {
      const left = deadline - this.clock.now();
      if (left <= 0 || this.stopped) return;
      let handle: TimerHandle | undefined;
      const timedOut = new Promise<void>((resolve) => {
        handle = this.clock.setTimeout(resolve, left);
      });
      await Promise.race([Promise.allSettled([...this.inflight]), timedOut]);
      if (handle !== undefined) this.clock.clearTimeout(handle);
    }
  }

  async run(): Promise<LoadRunOutcome> {
    const { profile } = this.options;
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
    const cut = [...this.inflight];
    await this.nas.close();
    await Promise.allSettled(cut);
    if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
    const durationMs = this.clock.now() - this.startedAt;
    this.series.inFlight(this.clock.now(), 0);
    return {
      startedAt: this.startedAt,
      durationMs,
      states: this.metrics.states(),
      series: this.series.rows(),
      verdicts: this.verdicts(durationMs),
      stop: this.stopReason,
      interrupted: this.interrupted,
    };
  }
}

export function runLoad(options: LoadRunOptions): Promise<LoadRunOutcome> {
  return new LoadRun(options).run();
}
