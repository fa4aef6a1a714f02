// Per-second counts of a run (the CSV and the plots): offered, sent, received, accepted, rejected,
// timeouts, retransmits, in-flight, and the latency of the logins that ended in that second, kept as
// an HDR histogram so that segment results merge second by second.
import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { newHistogram } from './metrics.ts';

export const SERIES_COUNTS = [
  'offered',
  'sent',
  'received',
  'accepted',
  'rejected',
  'timeouts',
  'retransmits',
] as const;
export type SeriesCount = (typeof SERIES_COUNTS)[number];

export interface SeriesRow {
  /** Second since the run started (0 = the first second). */
  readonly second: number;
  readonly offered: number;
  readonly sent: number;
  readonly received: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly timeouts: number;
  readonly retransmits: number;
  /** Logins in flight at the end of the second. */
  readonly inFlight: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Latencies (µs) of the logins that ended in this second, compressed HDR. */
  readonly hdr: string;
}

interface Bucket {
  counts: Record<SeriesCount, number>;
  inFlight: number;
  histogram: Histogram | undefined;
}

function emptyCounts(): Record<SeriesCount, number> {
  return { offered: 0, sent: 0, received: 0, accepted: 0, rejected: 0, timeouts: 0, retransmits: 0 };
}

export class TimeSeries {
  private readonly buckets = new Map<number, Bucket>();
  /**
   * The bucket last used and the clock span it covers: a run counts several things per login,
   * nearly all in the current second, so most lookups are two comparisons instead of a Map get.
   */
  private recent: Bucket | undefined;
  private recentFrom = 0;
  private recentTo = 0;

  constructor(private readonly startedAt: number) {}

  private bucket(at: number): Bucket {
    if (this.recent !== undefined && at >= this.recentFrom && at < this.recentTo) return this.recent;
    const second = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    let bucket = this.buckets.get(second);
    if (bucket === undefined) {
      bucket = { counts: emptyCounts(), inFlight: 0, histogram: undefined };
      this.buckets.set(second, bucket);
    }
    // Second 0 also holds times before the start; only the second's own span is cached.
    this.recent = bucket;
    this.recentFrom = this.startedAt + second * 1000;
    this.recentTo = this.recentFrom + 1000;
    return bucket;
  }

  count(kind: SeriesCount, at: number, n = 1): void {
    this.bucket(at).counts[kind] += n;
  }

  latency(at: number, ms: number): void {
    const bucket = this.bucket(at);
    bucket.histogram ??= newHistogram();
    bucket.histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  inFlight(at: number, n: number): void {
    this.bucket(at).inFlight = n;
  }

  /** Counts of the second that contains `at` (progress line). */
  countsAt(at: number): Readonly<Record<SeriesCount, number>> {
    return this.bucket(at).counts;
  }

  rows(): SeriesRow[] {
    const last = Math.max(-1, ...this.buckets.keys());
    const rows: SeriesRow[] = [];
    for (let second = 0; second <= last; second++) {
      const bucket = this.buckets.get(second);
      const histogram = bucket?.histogram ?? newHistogram();
      rows.push(rowOf(second, bucket?.counts ?? emptyCounts(), bucket?.inFlight ?? 0, histogram));
      histogram.destroy();
    }
    return rows;
  }
}

function rowOf(
  second: number,
  counts: Readonly<Record<SeriesCount, number>>,
  inFlight: number,
  histogram: Histogram,
): SeriesRow {
  const at = (p: number): number =>
    histogram.totalCount === 0 ? 0 : Math.round(histogram.getValueAtPercentile(p)) / 1000;
  return {
    second,
    ...counts,
    inFlight,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    hdr: encodeIntoCompressedBase64(histogram),
  };
}

/** Second by second sums of several segments' series (histograms merged). */
export function mergeSeries(all: readonly (readonly SeriesRow[])[]): SeriesRow[] {
  const length = Math.max(0, ...all.map((rows) => rows.length));
  const merged: SeriesRow[] = [];
  for (let second = 0; second < length; second++) {
    const histogram = newHistogram();
    const counts = emptyCounts();
    let inFlight = 0;
    for (const rows of all) {
      const row = rows[second];
      if (row === undefined) continue;
      for (const kind of SERIES_COUNTS) counts[kind] += row[kind];
      inFlight += row.inFlight;
      const other = decodeFromCompressedBase64(row.hdr);
      histogram.add(other);
      other.destroy();
    }
    merged.push(rowOf(second, counts, inFlight, histogram));
    histogram.destroy();
  }
  return merged;
}
