// The load metrics: fixed snake_case names (a CI gate refers to them, so they are an interface),
// k6's four metric types, and HDR histograms for trends so that results of several processes merge
// exactly (histograms add; so do counters). Trends of durations are recorded in microseconds and
// reported in milliseconds, like k6.
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type MetricType = 'counter' | 'rate' | 'trend' | 'gauge';

export interface MetricDefinition {
  readonly type: MetricType;
  /** `ms` for durations (recorded in µs), `count` for plain numbers. */
  readonly unit?: 'ms' | 'count';
  readonly help: string;
}

export const metricDefinitions = {
  radius_access_duration: {
    type: 'trend',
    unit: 'ms',
    help: 'login time, first Access-Request to the final reply or give-up; open-model executors measure from the intended start (no coordinated omission)',
  },
  radius_mfa_wait: {
    type: 'trend',
    unit: 'ms',
    help: 'time a login waited on the second factor: from the MFA prompt (as the MFA mock saw it) to the final reply when the server is radmfa, else the time users took at OTP prompts',
  },
  radius_retransmits: {
    type: 'counter',
    help: 'retransmitted requests (same Identifier and authenticator, RFC 5080)',
  },
  radius_timeouts: { type: 'rate', help: 'share of logins that got no answer after every retransmission' },
  radius_accepts: { type: 'counter', help: 'logins that ended in Access-Accept' },
  radius_rejects: { type: 'counter', help: 'logins that ended in Access-Reject' },
  radius_challenges: { type: 'counter', help: 'Access-Challenges received (OTP prompts, EAP steps)' },
  radius_discards: {
    type: 'counter',
    help: 'requests the server discarded (duplicates in flight, bad authenticators); read from the server when it is radmfa',
  },
  radius_errors: {
    type: 'counter',
    help: 'logins that ended in a protocol or NAS error (closed, too many rounds, unverifiable reply)',
  },
  radius_accounting_duration: {
    type: 'trend',
    unit: 'ms',
    help: 'time of one Accounting-Request (Start, Interim-Update, Stop), first send to the verified Accounting-Response or give-up',
  },
  radius_accounting_timeouts: {
    type: 'rate',
    help: 'share of Accounting-Requests that got no answer after every retransmission (the NAS would lose that record)',
  },
  radius_accounting_errors: {
    type: 'counter',
    help: 'Accounting-Requests that ended in a protocol or NAS error (an Accounting-Response that did not verify, a closed NAS)',
  },
  mfa_prompts_per_login: {
    type: 'trend',
    unit: 'count',
    help: 'MFA prompts (push, call, code) the MFA service sent per login; embedded targets only',
  },
  iterations: { type: 'counter', help: 'iterations (login, then accounting if accepted) that finished' },
  iteration_duration: { type: 'trend', unit: 'ms', help: 'time of a whole iteration, login and accounting' },
  dropped_iterations: {
    type: 'counter',
    help: 'arrivals that found every VU busy (open model, maxVUs reached) and were not started',
  },
  vus: { type: 'gauge', help: 'VUs busy with an iteration' },
  vus_max: { type: 'gauge', help: 'VUs allocated' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof metricDefinitions;
export const metricNames = Object.keys(metricDefinitions) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(metricDefinitions, name);
}

/** The statistics a trend reports (k6's defaults plus p(99) and count). */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'] as const;

/** One metric's state as the result JSON carries it, enough to merge with another run's. */
export type MetricState =
  | { readonly type: 'counter'; readonly count: number }
  | { readonly type: 'rate'; readonly passes: number; readonly fails: number }
  | { readonly type: 'gauge'; readonly value: number; readonly min: number; readonly max: number }
  | {
      readonly type: 'trend';
      readonly count: number;
      readonly sum: number;
      readonly min: number;
      readonly max: number;
      /** HdrHistogram, compressed base64 (the format of its other implementations). */
      readonly hdr: string;
    };

/** Microseconds per recorded unit for ms trends; counts are recorded as they are. */
function scaleOf(unit: 'ms' | 'count' | undefined): number {
  return unit === 'ms' ? 1000 : 1;
}

export function newHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true });
}

export class Trend {
  readonly histogram: Histogram = newHistogram();
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly scale: number) {}

  add(value: number): void {
    const v = Math.max(0, value);
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.histogram.recordValue(Math.max(0, Math.round(v * this.scale)));
  }

  percentile(p: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(p) / this.scale;
  }
}

/** Every metric of one run, live. */
export class MetricSet {
  readonly counters = new Map<MetricName, number>();
  readonly rates = new Map<MetricName, { passes: number; fails: number }>();
  readonly trends = new Map<MetricName, Trend>();
  readonly gauges = new Map<MetricName, { value: number; min: number; max: number }>();

  add(name: MetricName, value = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }

  rate(name: MetricName, hit: boolean): void {
    const entry = this.rates.get(name) ?? { passes: 0, fails: 0 };
    if (hit) entry.passes++;
    else entry.fails++;
    this.rates.set(name, entry);
  }

  trend(name: MetricName, value: number): void {
    this.trendOf(name).add(value);
  }

  /** The live trend (created empty): a caller recording on every request keeps it, not a name lookup. */
  trendOf(name: MetricName): Trend {
    let trend = this.trends.get(name);
    if (trend === undefined) {
      const definition: MetricDefinition = metricDefinitions[name];
      trend = new Trend(scaleOf(definition.unit));
      this.trends.set(name, trend);
    }
    return trend;
  }

  /** Makes trend `to` a copy of trend `from` (both in the same unit), replacing what it held. */
  copyTrend(from: MetricName, to: MetricName): void {
    const source = this.trendOf(from);
    const copy = new Trend(source.scale);
    copy.histogram.add(source.histogram);
    copy.count = source.count;
    copy.sum = source.sum;
    copy.min = source.min;
    copy.max = source.max;
    this.trends.set(to, copy);
  }

  gauge(name: MetricName, value: number): void {
    const entry = this.gauges.get(name);
    if (entry === undefined) this.gauges.set(name, { value, min: value, max: value });
    else {
      entry.value = value;
      entry.min = Math.min(entry.min, value);
      entry.max = Math.max(entry.max, value);
    }
  }

  /** Sets a gauge whose value, low and high its owner tracked itself (a gauge set on every request). */
  setGauge(name: MetricName, value: number, min: number, max: number): void {
    this.gauges.set(name, { value, min, max });
  }

  /** Every metric in its mergeable form; metrics never touched are present with zero counts. */
  states(): Record<MetricName, MetricState> {
    const out = {} as Record<MetricName, MetricState>;
    for (const name of metricNames) out[name] = this.state(name);
    return out;
  }

  /** One metric in its mergeable form (a trend's histogram is encoded: not free, so ask for what you need). */
  state(name: MetricName): MetricState {
    const definition: MetricDefinition = metricDefinitions[name];
    switch (definition.type) {
      case 'counter':
        return { type: 'counter', count: this.counters.get(name) ?? 0 };
      case 'rate': {
        const r = this.rates.get(name) ?? { passes: 0, fails: 0 };
        return { type: 'rate', passes: r.passes, fails: r.fails };
      }
      case 'gauge': {
        const g = this.gauges.get(name) ?? { value: 0, min: 0, max: 0 };
        return { type: 'gauge', ...g };
      }
      case 'trend': {
        const t = this.trends.get(name) ?? new Trend(scaleOf(definition.unit));
        return {
          type: 'trend',
          count: t.count,
          sum: t.sum,
          min: t.count === 0 ? 0 : t.min,
          max: t.count === 0 ? 0 : t.max,
          hdr: encodeIntoCompressedBase64(t.histogram),
        };
      }
    }
  }
}

/** k6's summary values of one metric (`metrics.<name>.values`). */
export type SummaryValues = Readonly<Record<string, number>>;

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function decodeHistogram(hdr: string): Histogram {
  return decodeFromCompressedBase64(hdr);
}

/** A trend's value at percentile p, from its state (the HDR histogram). */
export function trendPercentile(
  name: MetricName,
  state: Extract<MetricState, { type: 'trend' }>,
  p: number,
): number {
  if (state.count === 0) return 0;
  const definition: MetricDefinition = metricDefinitions[name];
  const histogram = decodeHistogram(state.hdr);
  const value = histogram.getValueAtPercentile(p) / scaleOf(definition.unit);
  histogram.destroy();
  return value;
}

export function summaryValues(name: MetricName, state: MetricState, durationMs: number): SummaryValues {
  const seconds = Math.max(durationMs, 1) / 1000;
  switch (state.type) {
    case 'counter':
      return { count: state.count, rate: round(state.count / seconds) };
    case 'rate': {
      const total = state.passes + state.fails;
      return {
        rate: total === 0 ? 0 : round(state.passes / total),
        passes: state.passes,
        fails: state.fails,
      };
    }
    case 'gauge':
      return { value: state.value, min: state.min, max: state.max };
    case 'trend': {
      if (state.count === 0) return Object.fromEntries(TREND_STATS.map((s) => [s, 0]));
      const definition: MetricDefinition = metricDefinitions[name];
      const histogram = decodeHistogram(state.hdr);
      const at = (p: number): number => round(histogram.getValueAtPercentile(p) / scaleOf(definition.unit));
      const values = {
        avg: round(state.sum / state.count),
        min: round(state.min),
        med: at(50),
        max: round(state.max),
        'p(90)': at(90),
        'p(95)': at(95),
        'p(99)': at(99),
        count: state.count,
      };
      histogram.destroy();
      return values;
    }
  }
}

/** Adds two states of one metric (segments of one run): histograms merge, counters add. */
export function mergeStates(a: MetricState, b: MetricState): MetricState {
  if (a.type === 'counter' && b.type === 'counter') return { type: 'counter', count: a.count + b.count };
  if (a.type === 'rate' && b.type === 'rate') {
    return { type: 'rate', passes: a.passes + b.passes, fails: a.fails + b.fails };
  }
  if (a.type === 'gauge' && b.type === 'gauge') {
    // Segments run side by side: their VUs add up.
    return { type: 'gauge', value: a.value + b.value, min: a.min + b.min, max: a.max + b.max };
  }
  if (a.type === 'trend' && b.type === 'trend') {
    const merged = decodeHistogram(a.hdr);
    const other = decodeHistogram(b.hdr);
    merged.add(other);
    const hdr = encodeIntoCompressedBase64(merged);
    merged.destroy();
    other.destroy();
    const count = a.count + b.count;
    return {
      type: 'trend',
      count,
      sum: a.sum + b.sum,
      min: a.count === 0 ? b.min : b.count === 0 ? a.min : Math.min(a.min, b.min),
      max: Math.max(a.max, b.max),
      hdr,
    };
  }
  throw new Error(`cannot merge a ${a.type} with a ${b.type}`);
}
