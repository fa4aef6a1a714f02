// The soak's verdict on each sampled series: does it grow without bound, or does it stay flat (with
// the ups and downs of garbage collection, fault phases and retransmission bursts)? Pure functions
// over numbers, so the rule is tested on synthetic series (test/bench/soak-growth.test.ts) and the
// 60 s CI soak asserts it on the real server.
//
// The rule. Samples taken during the warm-up (the first `warmupShare` of them, at least one) are left
// out: heaps, JIT and caches fill first. The rest is split in thirds. A series grows when the maximum
// of the last third exceeds the maximum of the first third by more than its tolerance:
//
//     max(last third) > max(first third) * (1 + relative) + absolute
//
// Maxima, not means: a sawtooth (GC) or a fault phase gives the same peak in every third when memory
// is flat, and a leak lifts every later peak. The least-squares slope over the second half is
// reported with it, per minute, for the reader; it is not part of the verdict (one GC at the end of a
// short run would swing it).

export const SOAK_SERIES = [
  'rssBytes',
  'heapUsedBytes',
  'eventLoopP99Ms',
  'openFds',
  'duplicateEntries',
  'challengeStates',
  'mfaPending',
] as const;
export type SoakSeries = (typeof SOAK_SERIES)[number];

export interface Tolerance {
  /** Share of the first third's maximum the last third's may add (0.2 = 20 %). */
  readonly relative: number;
  /** Plus this much, in the series' unit (noise floor for series that start near zero). */
  readonly absolute: number;
}

/**
 * Per series: memory may breathe by a fifth plus a few tens of MiB (V8 sizes its heap to the load);
 * file descriptors by a quarter plus 16 (one socket per MFA long-poll in flight, the LDAP pool reconnecting after a fault phase); the stores by half
 * their level plus a floor, since their size follows the in-flight load, which fault phases change.
 */
export const DEFAULT_TOLERANCES: Readonly<Record<SoakSeries, Tolerance>> = {
  rssBytes: { relative: 0.2, absolute: 32 * 1024 * 1024 },
  heapUsedBytes: { relative: 0.25, absolute: 16 * 1024 * 1024 },
  eventLoopP99Ms: { relative: 1, absolute: 50 },
  openFds: { relative: 0.25, absolute: 16 },
  duplicateEntries: { relative: 0.5, absolute: 64 },
  challengeStates: { relative: 0.5, absolute: 16 },
  mfaPending: { relative: 0.5, absolute: 32 },
};

export const SERIES_UNITS: Readonly<Record<SoakSeries, string>> = {
  rssBytes: 'bytes',
  heapUsedBytes: 'bytes',
  eventLoopP99Ms: 'ms',
  openFds: 'descriptors',
  duplicateEntries: 'entries',
  challengeStates: 'States',
  mfaPending: 'logins',
};

export interface GrowthRule {
  /** Share of the samples taken as warm-up (default 0.2). */
  readonly warmupShare: number;
  readonly tolerance: Tolerance;
}

export interface Point {
  /** ms since the soak started. */
  readonly atMs: number;
  readonly value: number;
}

export type GrowthVerdict =
  | {
      readonly kind: 'flat' | 'grows';
      readonly first: number;
      readonly last: number;
      readonly max: number;
      readonly firstThirdMax: number;
      readonly lastThirdMax: number;
      /** firstThirdMax * (1 + relative) + absolute */
      readonly limit: number;
      readonly slopePerMinute: number;
    }
  | { readonly kind: 'too-few-samples'; readonly samples: number; readonly needed: number };

/** After the warm-up, a third must hold at least two samples. */
export const MIN_JUDGED_SAMPLES = 6;

export function judgeGrowth(points: readonly Point[], rule: GrowthRule): GrowthVerdict {
  const warmup = Math.max(1, Math.floor(points.length * rule.warmupShare));
  const judged = points.slice(warmup);
  if (judged.length < MIN_JUDGED_SAMPLES)
    return { kind: 'too-few-samples', samples: judged.length, needed: MIN_JUDGED_SAMPLES + warmup };
  const third = Math.floor(judged.length / 3);
  const firstThirdMax = maxOf(judged.slice(0, third));
  const lastThirdMax = maxOf(judged.slice(judged.length - third));
  const limit = firstThirdMax * (1 + rule.tolerance.relative) + rule.tolerance.absolute;
  return {
    kind: lastThirdMax > limit ? 'grows' : 'flat',
    first: points[0]?.value ?? 0,
    last: points.at(-1)?.value ?? 0,
    max: maxOf(points),
    firstThirdMax,
    lastThirdMax,
    limit,
    slopePerMinute: slope(judged.slice(Math.floor(judged.length / 2))) * 60_000,
  };
}

function maxOf(points: readonly Point[]): number {
  return points.reduce((m, p) => Math.max(m, p.value), Number.NEGATIVE_INFINITY);
}

/** Least-squares slope, value per ms; 0 for fewer than two points. */
export function slope(points: readonly Point[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.atMs, 0) / n;
  const my = points.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - mx) * (p.value - my);
    den += (p.atMs - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const RULE_TEXT =
  'after the warm-up (the first 20 % of samples), max(last third) must not exceed max(first third) * (1 + relative) + absolute, per series';
