// The executors, in k6's vocabulary and with k6's semantics, registered in one table. Each entry is
// data (its zod schema, so profiles are checked field by field and `radmfa schema load` publishes
// it), a description in words, and a pure plan: when iterations start (open model) or which VUs
// run when (closed model), for the share of one execution segment.
//
// Open model (constant-arrival-rate, ramping-arrival-rate): iterations start on a schedule whatever
// the server does; a slow server shows as latency, timeouts and in-flight logins, never as a lower
// offered rate. An arrival finding all maxVUs busy is dropped and counted (dropped_iterations).
// Closed model (constant-vus, ramping-vus, per-vu-iterations): each VU starts its next iteration
// when the last one ends, so the rate follows the server.
import { z } from '../../runtime/validation/index.ts';
import { durationField, formatDurationText } from './duration.ts';
import { scaleCount, type SegmentPlan } from './segments.ts';

export const MAX_VUS = 100_000;
const vuCount = z.number().int().min(0).max(MAX_VUS);
const stage = z.object({ duration: durationField, target: z.number().min(0) }).strict();

const common = {
  /** When the executor starts, from the start of the run. */
  startTime: durationField.default(0),
  /** How long in-flight iterations may finish after the executor's end before they are interrupted. */
  gracefulStop: durationField.default(30_000),
};

const constantArrivalRate = z
  .object({
    executor: z.literal('constant-arrival-rate'),
    rate: z.number().positive().max(1_000_000),
    timeUnit: durationField.default(1000),
    duration: durationField,
    preAllocatedVUs: vuCount,
    maxVUs: vuCount.optional(),
    ...common,
  })
  .strict();

const rampingArrivalRate = z
  .object({
    executor: z.literal('ramping-arrival-rate'),
    startRate: z.number().min(0).max(1_000_000).default(0),
    timeUnit: durationField.default(1000),
    stages: z.array(stage).min(1),
    preAllocatedVUs: vuCount,
    maxVUs: vuCount.optional(),
    ...common,
  })
  .strict();

const constantVus = z
  .object({
    executor: z.literal('constant-vus'),
    vus: vuCount.default(1),
    duration: durationField,
    ...common,
  })
  .strict();

const rampingVus = z
  .object({
    executor: z.literal('ramping-vus'),
    startVUs: vuCount.default(1),
    stages: z.array(stage).min(1),
    gracefulRampDown: durationField.default(30_000),
    ...common,
  })
  .strict();

const perVuIterations = z
  .object({
    executor: z.literal('per-vu-iterations'),
    vus: vuCount.default(1),
    iterations: z.number().int().min(1).max(10_000_000).default(1),
    maxDuration: durationField.default(600_000),
    ...common,
  })
  .strict();

export const executorSchema = z
  .discriminatedUnion('executor', [
    constantArrivalRate,
    rampingArrivalRate,
    constantVus,
    rampingVus,
    perVuIterations,
  ])
  .superRefine((config, ctx) => {
    if ('maxVUs' in config && config.maxVUs !== undefined && config.maxVUs < config.preAllocatedVUs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxVUs'],
        message: `${config.maxVUs} is below preAllocatedVUs (${config.preAllocatedVUs})`,
        params: {
          fix: 'set maxVUs to at least preAllocatedVUs, or leave it out (it defaults to preAllocatedVUs)',
        },
      });
    }
  });

export type ExecutorConfig = z.output<typeof executorSchema>;
export type ExecutorName = ExecutorConfig['executor'];
type ConfigOf<N extends ExecutorName> = Extract<ExecutorConfig, { executor: N }>;

/** When one iteration of an open-model executor is meant to start. */
export interface Arrival {
  /** Index in the full run (not the segment), so per-iteration randomness is the same when split. */
  readonly index: number;
  /** Intended start, ms after the executor's start. */
  readonly atMs: number;
}

export interface ArrivalPlan {
  readonly kind: 'arrivals';
  readonly durationMs: number;
  readonly gracefulStopMs: number;
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
  /** This segment's arrivals in time order. */
  arrivals(): Iterator<Arrival>;
  /**
   * The same arrivals through one reused object: the runner reads thousands a second, and an
   * iterator result and an Arrival per arrival are garbage the load generator pays for.
   */
  cursor(): ArrivalCursor;
  /** Arrivals the full run makes (all segments). */
  readonly totalArrivals: number;
}

/** Steps through a plan's arrivals; `index` and `atMs` describe the current one after next() is true. */
export interface ArrivalCursor {
  next(): boolean;
  readonly index: number;
  readonly atMs: number;
}

export interface VuPlan {
  readonly kind: 'vus';
  /** When no VU starts another iteration. */
  readonly durationMs: number;
  readonly gracefulStopMs: number;
  /** This segment's VUs, by index in the full run. */
  readonly vus: readonly number[];
  /** VUs of the full run (iteration n of VU v is global iteration n * totalVus + v). */
  readonly totalVus: number;
  /** Iterations each VU runs, or undefined for "until the duration ends". */
  readonly iterationsPerVu?: number;
  /** The first time >= `atMs` at which VU `vu` may start an iteration, or undefined when it never will. */
  activeFrom(vu: number, atMs: number): number | undefined;
}

export type ExecutionPlan = ArrivalPlan | VuPlan;

export interface ExecutorDefinition<N extends ExecutorName> {
  readonly name: N;
  readonly model: 'open' | 'closed';
  /** One line, k6-like: "50.00 iterations/s for 30s (maxVUs: 100, gracefulStop: 30s)". */
  describe(config: ConfigOf<N>): string;
  plan(config: ConfigOf<N>, segment: SegmentPlan): ExecutionPlan;
}

// ---------------------------------------------------------------- open model

/** Piecewise-linear rate, per ms, from `start` through each stage's target. */
interface RateSegment {
  readonly fromMs: number;
  readonly toMs: number;
  readonly r0: number;
  readonly r1: number;
}

function rateSegments(
  startRate: number,
  stages: readonly { duration: number; target: number }[],
  unitMs: number,
): RateSegment[] {
  let at = 0;
  let rate = startRate / unitMs;
  return stages.map((s) => {
    const next = s.target / unitMs;
    const segment = { fromMs: at, toMs: at + s.duration, r0: rate, r1: next };
    at += s.duration;
    rate = next;
    return segment;
  });
}

function arrivalsIn(segment: RateSegment): number {
  return ((segment.r0 + segment.r1) / 2) * (segment.toMs - segment.fromMs);
}

/**
 * The time at which cumulative arrivals reach `need` inside `segment` (starting from 0 at its start),
 * or undefined if they do not: N(t) = r0 t + (r1 - r0) t^2 / 2T solved for t.
 */
function timeFor(segment: RateSegment, need: number): number | undefined {
  const length = segment.toMs - segment.fromMs;
  if (need > arrivalsIn(segment) + 1e-9) return undefined;
  const a = (segment.r1 - segment.r0) / (2 * length);
  const b = segment.r0;
  let t: number;
  if (Math.abs(a) < 1e-15) {
    if (b <= 0) return undefined;
    t = need / b;
  } else {
    const disc = b * b + 4 * a * need;
    t = (-b + Math.sqrt(Math.max(0, disc))) / (2 * a);
  }
  return segment.fromMs + Math.min(length, Math.max(0, t));
}

function totalOf(segments: readonly RateSegment[]): number {
  // Iteration i starts when cumulative arrivals reach i, so 0 starts at once and the count is ceil.
  const exact = segments.reduce((n, s) => n + arrivalsIn(s), 0);
  return Math.max(0, Math.ceil(exact - 1e-9));
}

function* owned(plan: SegmentPlan, total: number): Generator<number> {
  for (let stripe = 0; stripe * plan.lcd < total; stripe++) {
    for (const offset of plan.offsets) {
      const index = stripe * plan.lcd + offset;
      if (index < total) yield index;
    }
  }
}

function* arrivalTimes(
  segments: readonly RateSegment[],
  plan: SegmentPlan,
  total: number,
): Generator<Arrival> {
  const cursor = new SegmentCursor(segments, plan, total);
  while (cursor.next()) yield { index: cursor.index, atMs: cursor.atMs };
}

/** arrivalTimes without generators: the owned indexes stripe by stripe, each placed in its rate segment. */
class SegmentCursor implements ArrivalCursor {
  index = -1;
  atMs = 0;
  private stripe = 0;
  private offset = 0;
  private k = 0;
  private before = 0;

  constructor(
    private readonly segments: readonly RateSegment[],
    private readonly plan: SegmentPlan,
    private readonly total: number,
  ) {}

  next(): boolean {
    const index = this.nextOwned();
    if (index === undefined) return false;
    for (;;) {
      const segment = this.segments[this.k];
      if (segment === undefined) return false;
      const atMs = timeFor(segment, index - this.before);
      if (atMs !== undefined && atMs < segment.toMs) {
        this.index = index;
        this.atMs = atMs;
        return true;
      }
      this.before += arrivalsIn(segment);
      this.k++;
    }
  }

  /** The next index `owned(plan, total)` yields. */
  private nextOwned(): number | undefined {
    const { offsets, lcd } = this.plan;
    while (this.stripe * lcd < this.total) {
      if (this.offset < offsets.length) {
        const index = this.stripe * lcd + (offsets[this.offset] as number);
        this.offset++;
        if (index < this.total) return index;
        continue;
      }
      this.offset = 0;
      this.stripe++;
    }
    return undefined;
  }
}

function arrivalPlan(
  segments: readonly RateSegment[],
  config: { preAllocatedVUs: number; maxVUs?: number | undefined; gracefulStop: number },
  plan: SegmentPlan,
): ArrivalPlan {
  const total = totalOf(segments);
  const maxVUs = config.maxVUs ?? config.preAllocatedVUs;
  return {
    kind: 'arrivals',
    durationMs: segments.at(-1)?.toMs ?? 0,
    gracefulStopMs: config.gracefulStop,
    preAllocatedVUs: scaleCount(plan, config.preAllocatedVUs),
    maxVUs: scaleCount(plan, maxVUs),
    totalArrivals: total,
    arrivals: () => arrivalTimes(segments, plan, total),
    cursor: () => new SegmentCursor(segments, plan, total),
  };
}

const perUnit = (rate: number, unitMs: number): string =>
  `${(rate * (1000 / unitMs)).toFixed(2)} iterations/s`;

// ---------------------------------------------------------------- closed model

/** VUs wanted at time t: linear between stage targets. */
function vuTarget(
  startVUs: number,
  stages: readonly { duration: number; target: number }[],
  t: number,
): number {
  let at = 0;
  let from = startVUs;
  for (const s of stages) {
    if (t < at + s.duration) return from + ((s.target - from) * (t - at)) / Math.max(1, s.duration);
    at += s.duration;
    from = s.target;
  }
  return from;
}

export const executors: { readonly [N in ExecutorName]: ExecutorDefinition<N> } = {
  'constant-arrival-rate': {
    name: 'constant-arrival-rate',
    model: 'open',
    describe: (c) =>
      `${perUnit(c.rate, c.timeUnit)} for ${formatDurationText(c.duration)} ` +
      `(preAllocatedVUs: ${c.preAllocatedVUs}, maxVUs: ${c.maxVUs ?? c.preAllocatedVUs}, gracefulStop: ${formatDurationText(c.gracefulStop)})`,
    plan: (c, segment) =>
      arrivalPlan(
        [{ fromMs: 0, toMs: c.duration, r0: c.rate / c.timeUnit, r1: c.rate / c.timeUnit }],
        c,
        segment,
      ),
  },
  'ramping-arrival-rate': {
    name: 'ramping-arrival-rate',
    model: 'open',
    describe: (c) =>
      `up to ${perUnit(Math.max(c.startRate, ...c.stages.map((s) => s.target)), c.timeUnit)} over ` +
      `${formatDurationText(c.stages.reduce((n, s) => n + s.duration, 0))} in ${c.stages.length} stages ` +
      `(preAllocatedVUs: ${c.preAllocatedVUs}, maxVUs: ${c.maxVUs ?? c.preAllocatedVUs}, gracefulStop: ${formatDurationText(c.gracefulStop)})`,
    plan: (c, segment) => arrivalPlan(rateSegments(c.startRate, c.stages, c.timeUnit), c, segment),
  },
  'constant-vus': {
    name: 'constant-vus',
    model: 'closed',
    describe: (c) =>
      `${c.vus} looping VUs for ${formatDurationText(c.duration)} (gracefulStop: ${formatDurationText(c.gracefulStop)})`,
    plan: (c, segment) => ({
      kind: 'vus',
      durationMs: c.duration,
      gracefulStopMs: c.gracefulStop,
      vus: ownedIndexes(segment, c.vus),
      totalVus: c.vus,
      activeFrom: (_vu, at) => (at < c.duration ? at : undefined),
    }),
  },
  'ramping-vus': {
    name: 'ramping-vus',
    model: 'closed',
    describe: (c) =>
      `up to ${Math.max(c.startVUs, ...c.stages.map((s) => s.target))} looping VUs over ` +
      `${formatDurationText(c.stages.reduce((n, s) => n + s.duration, 0))} in ${c.stages.length} stages ` +
      `(gracefulRampDown: ${formatDurationText(c.gracefulRampDown)}, gracefulStop: ${formatDurationText(c.gracefulStop)})`,
    plan: (c, segment) => {
      const durationMs = c.stages.reduce((n, s) => n + s.duration, 0);
      const peak = Math.ceil(Math.max(c.startVUs, ...c.stages.map((s) => s.target)));
      return {
        kind: 'vus',
        durationMs,
        gracefulStopMs: c.gracefulStop,
        vus: ownedIndexes(segment, peak),
        totalVus: peak,
        // VU v runs while the target exceeds v (k6 activates VUs in index order); checked on a
        // 100 ms grid, fine enough for stages that last seconds.
        activeFrom: (vu, at) => {
          for (let t = at; t < durationMs; t = Math.floor(t / 100) * 100 + 100) {
            if (vuTarget(c.startVUs, c.stages, t) > vu) return t;
          }
          return undefined;
        },
      };
    },
  },
  'per-vu-iterations': {
    name: 'per-vu-iterations',
    model: 'closed',
    describe: (c) =>
      `${c.iterations} iterations for each of ${c.vus} VUs (maxDuration: ${formatDurationText(c.maxDuration)}, gracefulStop: ${formatDurationText(c.gracefulStop)})`,
    plan: (c, segment) => ({
      kind: 'vus',
      durationMs: c.maxDuration,
      gracefulStopMs: c.gracefulStop,
      vus: ownedIndexes(segment, c.vus),
      totalVus: c.vus,
      iterationsPerVu: c.iterations,
      activeFrom: (_vu, at) => (at < c.maxDuration ? at : undefined),
    }),
  },
};

function ownedIndexes(plan: SegmentPlan, total: number): number[] {
  return [...owned(plan, total)];
}

export const executorNames = Object.keys(executors) as ExecutorName[];

export function executorFor<N extends ExecutorName>(name: N): ExecutorDefinition<N> {
  return executors[name];
}

export function describeExecutor(config: ExecutorConfig): string {
  return (executors[config.executor] as ExecutorDefinition<typeof config.executor>).describe(config);
}

export function planExecutor(config: ExecutorConfig, segment: SegmentPlan): ExecutionPlan {
  return (executors[config.executor] as ExecutorDefinition<typeof config.executor>).plan(config, segment);
}
