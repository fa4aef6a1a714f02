// Durations as k6 writes them: "30s", "1m30s", "500ms", "2h", or a number of milliseconds.
import { z } from '../../runtime/validation/index.ts';

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export const DURATION_FIX = 'write a duration such as 500ms, 30s, 1m30s or 2h, or a number of milliseconds';

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (!WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
  return Math.round(total);
}

export function formatDurationText(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration field of a profile: its text or a number of ms, read as ms. */
export const durationField = z
  .union([
    z.number().min(0),
    z.string().refine((text) => parseDuration(text) !== undefined, { error: 'is not a duration' }),
  ])
  .transform((value) => (typeof value === 'number' ? value : (parseDuration(value) ?? 0)))
  .meta({ fix: DURATION_FIX });
