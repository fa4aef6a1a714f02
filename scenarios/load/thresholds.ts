// Thresholds in k6's syntax: "AGGREGATION OPERATOR VALUE", e.g. `p(95)<200`, `rate<0.001`,
// `max<=1`, `avg<100`, `med<50`, `count>0`. Evaluated on a metric's k6 summary values, so what a
// threshold says and what the summary shows are the same number.
import type { Issue } from '../../runtime/validation/index.ts';
import {
  isMetricName,
  metricDefinitions,
  summaryValues,
  trendPercentile,
  type MetricDefinition,
  type MetricName,
  type MetricState,
  type MetricType,
} from './metrics.ts';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface Threshold {
  readonly metric: MetricName;
  /** As written: "p(95)<200". */
  readonly source: string;
  /** "p(95)", "rate", "max"... */
  readonly aggregation: string;
  /** For p(N). */
  readonly percentile?: number;
  readonly operator: Operator;
  readonly value: number;
}

/** Aggregations each metric type has (k6's table). */
const AGGREGATIONS: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['count', 'rate'],
  rate: ['rate'],
  gauge: ['value', 'min', 'max'],
  trend: ['avg', 'min', 'max', 'med', 'count', 'p(N)'],
};

const SYNTAX =
  /^\s*([a-z]+|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

export type ThresholdParse =
  { readonly ok: true; readonly threshold: Threshold } | { readonly ok: false; readonly issue: Issue };

export function parseThreshold(metric: string, source: string): ThresholdParse {
  const path = `thresholds.${metric}`;
  if (!isMetricName(metric)) {
    return {
      ok: false,
      issue: {
        path,
        message: `"${metric}" is not a radmfa load metric`,
        fix: 'use a metric named in `radmfa load --help`',
      },
    };
  }
  const definition: MetricDefinition = metricDefinitions[metric];
  const allowed = AGGREGATIONS[definition.type];
  const fix = `write AGGREGATION OPERATOR NUMBER with one of ${allowed.join(', ')} for this ${definition.type}, e.g. "${definition.type === 'trend' ? 'p(95)<200' : definition.type === 'rate' ? 'rate<0.001' : definition.type === 'gauge' ? 'max<=100' : 'count>0'}"`;
  const match = SYNTAX.exec(source);
  if (match === null) return { ok: false, issue: { path, message: `"${source}" is not a threshold`, fix } };
  const aggregationText = (match[1] ?? '').replace(/\s+/g, '');
  const percentileMatch = /^p\((\d+(?:\.\d+)?)\)$/.exec(aggregationText);
  const percentile = percentileMatch === null ? undefined : Number(percentileMatch[1]);
  const known = percentile !== undefined ? allowed.includes('p(N)') : allowed.includes(aggregationText);
  if (!known || (percentile !== undefined && (percentile < 0 || percentile > 100))) {
    return {
      ok: false,
      issue: {
        path,
        message: `"${aggregationText}" does not apply to ${metric} (a ${definition.type})`,
        fix,
      },
    };
  }
  return {
    ok: true,
    threshold: {
      metric,
      source,
      aggregation: aggregationText,
      ...(percentile !== undefined ? { percentile } : {}),
      operator: match[2] as Operator,
      value: Number(match[3]),
    },
  };
}

function holds(actual: number, operator: Operator, expected: number): boolean {
  switch (operator) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
    case '===':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}

export interface ThresholdVerdict {
  readonly metric: MetricName;
  readonly threshold: string;
  readonly ok: boolean;
  /** The measured value the threshold compared. */
  readonly actual: number;
  readonly abortOnFail: boolean;
}

/** The measured value a threshold compares, from the metric's mergeable state. */
export function measure(threshold: Threshold, state: MetricState, durationMs: number): number {
  if (threshold.percentile !== undefined && state.type === 'trend') {
    return Math.round(trendPercentile(threshold.metric, state, threshold.percentile) * 1000) / 1000;
  }
  return summaryValues(threshold.metric, state, durationMs)[threshold.aggregation] ?? NaN;
}

export function evaluate(
  threshold: Threshold,
  state: MetricState,
  durationMs: number,
  abortOnFail = false,
): ThresholdVerdict {
  const actual = measure(threshold, state, durationMs);
  return {
    metric: threshold.metric,
    threshold: threshold.source,
    ok: Number.isFinite(actual) && holds(actual, threshold.operator, threshold.value),
    actual,
    abortOnFail,
  };
}

/** "radius_access_duration p(95)<200: measured 312.5 (112.5 over)". */
export function describeVerdict(verdict: ThresholdVerdict): string {
  const parsed = parseThreshold(verdict.metric, verdict.threshold);
  const by =
    parsed.ok && !verdict.ok && ['<', '<=', '>', '>='].includes(parsed.threshold.operator)
      ? ` (${Math.abs(Math.round((verdict.actual - parsed.threshold.value) * 1000) / 1000)} ${parsed.threshold.operator.startsWith('<') ? 'over' : 'under'} the limit)`
      : '';
  return `${verdict.metric} ${verdict.threshold}: measured ${verdict.actual}${by}`;
}
