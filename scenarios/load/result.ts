// The result JSON of a load run. `metrics` has k6's summary shape (metrics.<name>.type, .values,
// .thresholds.<expr>.ok), so tools built for `k6 --summary-export` read it; `state` carries each
// metric's mergeable form (counters, HDR histograms), so `radmfa report merge` can add the results
// of several segments exactly and evaluate the thresholds again on the sum.
import { RESULT_SCHEMA_VERSION, toolVersion, type TargetInfo } from '../result.ts';
import { describeExecutor, type ExecutorName } from './executors.ts';
import {
  metricDefinitions,
  metricNames,
  mergeStates,
  summaryValues,
  type MetricDefinition,
  type MetricName,
  type MetricState,
  type MetricType,
  type SummaryValues,
} from './metrics.ts';
import type { LoadProfile, ThresholdSpec } from './profile.ts';
import type { LoadRunOutcome } from './runner.ts';
import { formatFraction, formatSegment, type SegmentPlan } from './segments.ts';
import { mergeSeries, type SeriesRow } from './series.ts';
import { evaluate, parseThreshold, type ThresholdVerdict } from './thresholds.ts';

export interface LoadMetricSummary {
  readonly type: MetricType;
  /** k6: `time` for durations, `default` otherwise. */
  readonly contains: 'time' | 'default';
  readonly values: SummaryValues;
  readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>>;
}

export type LoadStop =
  | { readonly kind: 'completed' }
  | { readonly kind: 'signal' }
  | {
      readonly kind: 'threshold';
      readonly metric: MetricName;
      readonly threshold: string;
      readonly actual: number;
    };

export interface LoadResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly kind: 'load';
  readonly tool: { readonly name: 'radmfa'; readonly version: string };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly profile: {
    readonly name: string;
    readonly description?: string;
    readonly seed: number;
    readonly scenarios: Readonly<
      Record<string, { readonly executor: ExecutorName; readonly description: string }>
    >;
    readonly mix: readonly {
      readonly name: string;
      readonly weight: number;
      readonly method: string;
      readonly mfa: string;
    }[];
    /** Who logged in, in words (never a password). */
    readonly users: string;
    readonly nasProfile: string;
  };
  readonly target: TargetInfo;
  /** The execution segments this result covers ("0:1/4"); several after a merge. */
  readonly segments: readonly string[];
  readonly sequence: string;
  readonly metrics: Readonly<Record<MetricName, LoadMetricSummary>>;
  /** Every threshold with its measured value (also under metrics.<name>.thresholds, k6-style). */
  readonly thresholds: readonly ThresholdVerdict[];
  /** The thresholds as the profile and command line gave them, to evaluate again after a merge. */
  readonly thresholdSpecs: readonly ThresholdSpec[];
  readonly passed: boolean;
  readonly stop: LoadStop;
  /** Iterations cut at the end of the graceful stop (not counted in `iterations`). */
  readonly interrupted: number;
  readonly state: Readonly<Record<MetricName, MetricState>>;
  /** Per second: offered, sent, received, accepted, rejected, timeouts, retransmits, in-flight, p50/p95/p99. */
  readonly series: readonly SeriesRow[];
  /**
   * The load generator itself (absent from results written before radmfa recorded it; a reader
   * that does not know it ignores it, so the schema version stays): its CPU time from the first
   * executor's start to the last iteration's end, and how many logins took each NAS path. In
   * virtual time the embedded server runs in the same process and its CPU time is included.
   * After a merge: the sums over the segments' processes.
   */
  readonly process?: LoadProcessReport;
}

export interface LoadProcessReport {
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
  /**
   * Logins sent on the lean NAS path (nas.lean) and on the full one (nas.login), and those refused
   * on both for want of an Identifier (absent from results written before radmfa counted them).
   */
  readonly nasPaths: { readonly lean: number; readonly full: number; readonly refused?: number };
  /**
   * The same CPU from the run's first second on, with the requests sent since (first
   * transmissions): without the JIT warm-up, which costs a fixed few hundred ms of CPU and so
   * dominates short runs. Absent for runs shorter than a second. After a merge: sums.
   */
  readonly steady?: {
    readonly fromMs: number;
    readonly cpuUserMicros: number;
    readonly cpuSystemMicros: number;
    readonly sent: number;
  };
}

function summaries(
  states: Readonly<Record<MetricName, MetricState>>,
  verdicts: readonly ThresholdVerdict[],
  durationMs: number,
): Record<MetricName, LoadMetricSummary> {
  const out = {} as Record<MetricName, LoadMetricSummary>;
  for (const name of metricNames) {
    const definition: MetricDefinition = metricDefinitions[name];
    const mine = verdicts.filter((v) => v.metric === name);
    out[name] = {
      type: definition.type,
      contains: definition.unit === 'ms' ? 'time' : 'default',
      values: summaryValues(name, states[name], durationMs),
      ...(mine.length > 0
        ? { thresholds: Object.fromEntries(mine.map((v) => [v.threshold, { ok: v.ok }])) }
        : {}),
    };
  }
  return out;
}

export interface ResultContext {
  readonly profile: LoadProfile;
  readonly target: TargetInfo;
  readonly users: string;
  readonly segment: SegmentPlan;
}

export function buildLoadResult(outcome: LoadRunOutcome, context: ResultContext): LoadResult {
  const { profile } = context;
  const stop: LoadStop =
    outcome.stop.kind === 'threshold'
      ? {
          kind: 'threshold',
          metric: outcome.stop.verdict.metric,
          threshold: outcome.stop.verdict.threshold,
          actual: outcome.stop.verdict.actual,
        }
      : outcome.stop;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'load',
    tool: { name: 'radmfa', version: toolVersion() },
    startedAt: new Date(outcome.startedAt).toISOString(),
    durationMs: outcome.durationMs,
    profile: {
      name: profile.name,
      ...(profile.description !== undefined ? { description: profile.description } : {}),
      seed: profile.seed,
      scenarios: Object.fromEntries(
        Object.entries(profile.scenarios).map(([name, config]) => [
          name,
          { executor: config.executor, description: describeExecutor(config) },
        ]),
      ),
      mix: profile.mix.map((c) => ({ name: c.name, weight: c.weight, method: c.method, mfa: c.mfa })),
      users: context.users,
      nasProfile: profile.nas.profile,
    },
    target: context.target,
    segments: [formatSegment(context.segment.segment)],
    sequence: context.segment.sequence.map(formatFraction).join(','),
    metrics: summaries(outcome.states, outcome.verdicts, outcome.durationMs),
    thresholds: outcome.verdicts,
    thresholdSpecs: profile.thresholds,
    passed: outcome.verdicts.every((v) => v.ok),
    stop,
    interrupted: outcome.interrupted,
    state: outcome.states,
    series: outcome.series,
    ...(outcome.cpu !== undefined && outcome.nasPaths !== undefined
      ? {
          process: {
            cpuUserMicros: outcome.cpu.userMicros,
            cpuSystemMicros: outcome.cpu.systemMicros,
            nasPaths: { ...outcome.nasPaths },
            ...(outcome.steadyCpu !== undefined
              ? {
                  steady: {
                    fromMs: outcome.steadyCpu.fromMs,
                    cpuUserMicros: outcome.steadyCpu.userMicros,
                    cpuSystemMicros: outcome.steadyCpu.systemMicros,
                    sent: outcome.steadyCpu.sent,
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

/** The segments' process reports summed, when every segment has one. */
function mergeProcess(results: readonly LoadResult[]): LoadProcessReport | undefined {
  const reports = results.map((r) => r.process);
  if (!reports.every((p): p is LoadProcessReport => p !== undefined)) return undefined;
  const sum = (pick: (p: LoadProcessReport) => number): number => reports.reduce((n, p) => n + pick(p), 0);
  const steadies = reports.map((p) => p.steady);
  const allSteady = steadies.every((s) => s !== undefined);
  const sumSteady = (pick: (s: NonNullable<LoadProcessReport['steady']>) => number): number =>
    steadies.reduce((n, s) => n + (s === undefined ? 0 : pick(s)), 0);
  return {
    cpuUserMicros: sum((p) => p.cpuUserMicros),
    cpuSystemMicros: sum((p) => p.cpuSystemMicros),
    nasPaths: {
      lean: sum((p) => p.nasPaths.lean),
      full: sum((p) => p.nasPaths.full),
      refused: sum((p) => p.nasPaths.refused ?? 0),
    },
    ...(allSteady && steadies.length > 0
      ? {
          steady: {
            fromMs: Math.max(...steadies.map((s) => s?.fromMs ?? 0)),
            cpuUserMicros: sumSteady((s) => s.cpuUserMicros),
            cpuSystemMicros: sumSteady((s) => s.cpuSystemMicros),
            sent: sumSteady((s) => s.sent),
          },
        }
      : {}),
  };
}

/** Thresholds evaluated on states (a merged result's). */
export function evaluateSpecs(
  specs: readonly ThresholdSpec[],
  states: Readonly<Record<MetricName, MetricState>>,
  durationMs: number,
): ThresholdVerdict[] {
  return specs.flatMap((spec) => {
    const parsed = parseThreshold(spec.metric, spec.expression);
    return parsed.ok
      ? [evaluate(parsed.threshold, states[parsed.threshold.metric], durationMs, spec.abortOnFail)]
      : [];
  });
}

export class MergeError extends Error {
  readonly code = 'RADMFA_LOAD_MERGE';
}

/**
 * The results of the segments of one run as one result: counters and rates add, HDR histograms
 * merge, the series add second by second, and the thresholds are evaluated again on the sum.
 */
export function mergeLoadResults(results: readonly LoadResult[]): LoadResult {
  const [first, ...rest] = results;
  if (first === undefined) throw new MergeError('nothing to merge: give at least one result file');
  const segments = results.flatMap((r) => r.segments);
  const duplicates = segments.filter((s, i) => segments.indexOf(s) !== i);
  if (duplicates.length > 0) {
    throw new MergeError(`segment ${duplicates[0]} appears twice: each segment of a run is merged once`);
  }
  const profiles = new Set(results.map((r) => `${r.profile.name}/${r.profile.seed}`));
  if (profiles.size > 1) {
    throw new MergeError(
      `the results come from different profiles (${[...profiles].join(', ')}): merge the segments of one run`,
    );
  }
  const states = {} as Record<MetricName, MetricState>;
  for (const name of metricNames) {
    states[name] = rest.reduce((sum, r) => mergeStates(sum, r.state[name]), first.state[name]);
  }
  // Segments run side by side: the run lasts as long as its longest segment.
  const durationMs = Math.max(...results.map((r) => r.durationMs));
  const verdicts = evaluateSpecs(first.thresholdSpecs, states, durationMs);
  const startedAt = results.map((r) => r.startedAt).sort()[0] ?? first.startedAt;
  const threshold = results.find((r) => r.stop.kind === 'threshold')?.stop;
  const signal = results.some((r) => r.stop.kind === 'signal');
  const { process: _firstProcess, ...firstWithoutProcess } = first;
  const processReport = mergeProcess(results);
  return {
    ...firstWithoutProcess,
    startedAt,
    durationMs,
    segments,
    metrics: summaries(states, verdicts, durationMs),
    thresholds: verdicts,
    passed: verdicts.every((v) => v.ok),
    stop: threshold ?? (signal ? { kind: 'signal' } : { kind: 'completed' }),
    interrupted: results.reduce((n, r) => n + r.interrupted, 0),
    state: states,
    series: mergeSeries(results.map((r) => r.series)),
    ...(processReport !== undefined ? { process: processReport } : {}),
  };
}
