// Execution segments, as k6 defines them (docs: "Execution segments"): a run is split into
// fractions [from, to) of 0..1, and each process or machine runs one. Every share is taken from the
// same striped sequence, so the segments of one sequence partition the full run exactly: the
// iterations of an arrival-rate executor and the VUs of a VU executor each belong to exactly one
// segment, and N segment results added together count what one full run counts.
//
// Striping (k6 lib/execution_segment.go, GetStripedOffsets): with L the least common denominator of
// the sequence, global index i belongs to the segment that owns slot i mod L; slots are dealt to the
// segments largest first, so each segment's indexes are spread evenly over the run, not bunched.
import type { Issue } from '../../runtime/validation/index.ts';

/** A fraction n/d in lowest terms. */
export interface Fraction {
  readonly n: number;
  readonly d: number;
}

export interface ExecutionSegment {
  readonly from: Fraction;
  readonly to: Fraction;
}

export interface SegmentPlan {
  readonly segment: ExecutionSegment;
  /** The boundaries of every segment of the sequence, 0 first and 1 last. */
  readonly sequence: readonly Fraction[];
  /** Least common denominator of the sequence: the length of the stripe. */
  readonly lcd: number;
  /** Which slots of each stripe of `lcd` indexes this segment owns. */
  readonly offsets: readonly number[];
}

const MAX_DENOMINATOR = 10_000;

function gcd(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : gcd(b, a % b);
}

export function fraction(n: number, d: number): Fraction {
  const g = gcd(n, d) || 1;
  return { n: n / g, d: d / g };
}

function compare(a: Fraction, b: Fraction): number {
  return a.n * b.d - b.n * a.d;
}

export function formatFraction(f: Fraction): string {
  return f.n === 0 ? '0' : f.d === 1 ? String(f.n) : `${f.n}/${f.d}`;
}

export function formatSegment(segment: ExecutionSegment): string {
  return `${formatFraction(segment.from)}:${formatFraction(segment.to)}`;
}

const FRACTION_TEXT = /^(\d+)(?:\/(\d+))?$|^(\d+(?:\.\d+)?)%$|^(0?\.\d+)$/;

/** "1/4", "0", "1", "25%", "0.25". */
export function parseFraction(text: string): Fraction | undefined {
  const match = FRACTION_TEXT.exec(text.trim());
  if (match === null) return undefined;
  if (match[1] !== undefined) {
    const n = Number(match[1]);
    const d = match[2] === undefined ? 1 : Number(match[2]);
    if (d === 0 || d > MAX_DENOMINATOR) return undefined;
    return fraction(n, d);
  }
  const decimal = match[3] !== undefined ? Number(match[3]) / 100 : Number(match[4]);
  return fraction(Math.round(decimal * MAX_DENOMINATOR), MAX_DENOMINATOR);
}

const SEGMENT_FIX =
  'write FROM:TO with fractions of the run, e.g. --segment 0:1/4 (then 1/4:2/4, 2/4:3/4, 3/4:1)';

/** "0:1/4" (k6's --execution-segment); every problem as an Issue under `path`. */
export function parseSegment(text: string, path: string, issues: Issue[]): ExecutionSegment | undefined {
  const parts = text.split(':');
  const from = parts.length === 2 ? parseFraction(parts[0] ?? '') : undefined;
  const to = parts.length === 2 ? parseFraction(parts[1] ?? '') : undefined;
  if (from === undefined || to === undefined) {
    issues.push({ path, message: `"${text}" is not an execution segment`, fix: SEGMENT_FIX });
    return undefined;
  }
  if (compare(from, to) >= 0 || compare(to, fraction(1, 1)) > 0) {
    issues.push({ path, message: `"${text}" must satisfy 0 <= FROM < TO <= 1`, fix: SEGMENT_FIX });
    return undefined;
  }
  return { from, to };
}

/** "0,1/4,1/2,3/4,1" (k6's --execution-segment-sequence). */
export function parseSequence(text: string, path: string, issues: Issue[]): Fraction[] | undefined {
  const points = text.split(',').map((part) => parseFraction(part));
  const fix = 'list increasing fractions from 0 to 1, e.g. 0,1/4,1/2,3/4,1';
  if (points.some((p) => p === undefined) || points.length < 2) {
    issues.push({ path, message: `"${text}" is not a segment sequence`, fix });
    return undefined;
  }
  const fractions = points as Fraction[];
  const ordered = fractions.every((p, i) => i === 0 || compare(fractions[i - 1] as Fraction, p) < 0);
  const first = fractions[0] as Fraction;
  const last = fractions[fractions.length - 1] as Fraction;
  if (!ordered || first.n !== 0 || compare(last, fraction(1, 1)) !== 0) {
    issues.push({ path, message: `"${text}" must rise strictly from 0 to 1`, fix });
    return undefined;
  }
  return fractions;
}

export const FULL_RUN: ExecutionSegment = { from: fraction(0, 1), to: fraction(1, 1) };

/**
 * The sequence a segment is cut from when none is given. k6 uses 0,FROM,TO,1, which makes separately
 * started equal segments (1/4:2/4 and 2/4:3/4) stripe differently; when FROM and TO are multiples of
 * the segment's own length, the equal split is meant, so that is the default here.
 */
export function defaultSequence(segment: ExecutionSegment): Fraction[] {
  const length = fraction(
    segment.to.n * segment.from.d - segment.from.n * segment.to.d,
    segment.to.d * segment.from.d,
  );
  const parts = length.d / length.n;
  const onGrid = (f: Fraction): boolean => Number.isInteger((f.n * parts) / f.d);
  if (length.n === 1 && Number.isInteger(parts) && onGrid(segment.from) && onGrid(segment.to)) {
    return Array.from({ length: parts + 1 }, (_, i) => fraction(i, parts));
  }
  return [fraction(0, 1), segment.from, segment.to, fraction(1, 1)].filter(
    (f, i, all) => i === 0 || compare(all[i - 1] as Fraction, f) !== 0,
  );
}

/** The striped slots of `segment` in `sequence` (which must contain its boundaries). */
export function planSegment(
  segment: ExecutionSegment,
  sequence: readonly Fraction[] = defaultSequence(segment),
): SegmentPlan | undefined {
  const lcd = sequence.reduce((l, f) => (l * f.d) / gcd(l, f.d), 1);
  const lengths = sequence.slice(1).map((to, i) => {
    const from = sequence[i] as Fraction;
    return (to.n * lcd) / to.d - (from.n * lcd) / from.d;
  });
  const mine = sequence.findIndex((f) => compare(f, segment.from) === 0);
  if (mine < 0 || compare(sequence[mine + 1] ?? fraction(2, 1), segment.to) !== 0) return undefined;
  // Largest segment first (stable), as k6 deals the slots.
  const order = lengths.map((size, index) => ({ size, index })).sort((a, b) => b.size - a.size);
  const chosen = new Array<number>(order.length).fill(0);
  const offsets: number[] = [];
  for (let slot = 0; slot < lcd; slot++) {
    for (let k = 0; k < order.length; k++) {
      const { size, index } = order[k] as { size: number; index: number };
      const count = chosen[k] as number;
      // Segment k takes this slot when it is behind its even share: slot >= count * lcd / size.
      if (slot * size >= count * lcd) {
        chosen[k] = count + 1;
        if (index === mine) offsets.push(slot);
        break;
      }
    }
  }
  return { segment, sequence, lcd, offsets };
}

export const FULL_PLAN: SegmentPlan = {
  segment: FULL_RUN,
  sequence: [fraction(0, 1), fraction(1, 1)],
  lcd: 1,
  offsets: [0],
};

/** Whether global index `i` (an iteration, a VU) belongs to this segment. */
export function owns(plan: SegmentPlan, index: number): boolean {
  if (plan.lcd === 1) return true;
  return plan.offsets.includes(index % plan.lcd);
}

/** How many of the global indexes 0..total-1 belong to this segment (k6's scaled VU counts). */
export function scaleCount(plan: SegmentPlan, total: number): number {
  const whole = Math.floor(total / plan.lcd) * plan.offsets.length;
  const rest = total % plan.lcd;
  return whole + plan.offsets.filter((slot) => slot < rest).length;
}

/** The global indexes among 0..total-1 this segment owns, in order. */
export function ownedIndexes(plan: SegmentPlan, total: number): number[] {
  const result: number[] = [];
  for (let i = 0; i < total; i++) if (owns(plan, i)) result.push(i);
  return result;
}
