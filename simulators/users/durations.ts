// How long a person takes to do something, as data. Human response times are skewed (most people answer
// a push in a few seconds, a few take much longer), which is why lognormal is offered next to fixed and
// uniform.

import { isPlainObject, unknownKeyIssues, type Issue } from '../../runtime/validation/index.ts';

export type DurationModel =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | {
      readonly kind: 'lognormal';
      readonly medianMs: number;
      readonly sigma: number;
      /** Upper clamp, so one draw from the long tail cannot stall a whole run. */
      readonly maxMs?: number;
    };

export function fixed(ms: number): DurationModel {
  return { kind: 'fixed', ms };
}

export function uniform(minMs: number, maxMs: number): DurationModel {
  return { kind: 'uniform', minMs, maxMs };
}

export function lognormal(medianMs: number, sigma: number, maxMs?: number): DurationModel {
  return maxMs === undefined
    ? { kind: 'lognormal', medianMs, sigma }
    : { kind: 'lognormal', medianMs, sigma, maxMs };
}

/** Draws per sample, whatever the kind: a fixed count keeps later draws aligned when a model changes. */
export const DRAWS_PER_DURATION = 2;

/**
 * One sample in whole milliseconds. Always consumes exactly DRAWS_PER_DURATION values from `random`,
 * so swapping a user's fixed delay for a lognormal one does not shift the rest of the random stream.
 */
export function sampleDuration(model: DurationModel, random: () => number): number {
  const u1 = random();
  const u2 = random();
  switch (model.kind) {
    case 'fixed':
      return Math.round(model.ms);
    case 'uniform':
      return Math.round(model.minMs + u1 * (model.maxMs - model.minMs));
    case 'lognormal': {
      // Box-Muller: 1 - u1 lies in (0, 1], so the logarithm is finite.
      const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
      const ms = model.medianMs * Math.exp(model.sigma * z);
      return Math.round(model.maxMs === undefined ? ms : Math.min(ms, model.maxMs));
    }
  }
}

export function describeDuration(model: DurationModel): string {
  switch (model.kind) {
    case 'fixed':
      return `${model.ms} ms`;
    case 'uniform':
      return `uniform ${model.minMs}-${model.maxMs} ms`;
    case 'lognormal':
      return (
        `lognormal median ${model.medianMs} ms, sigma ${model.sigma}` +
        (model.maxMs === undefined ? '' : `, at most ${model.maxMs} ms`)
      );
  }
}

const DURATION_TEXT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_FIX =
  'write milliseconds as a number (2000) or a string with a unit: "500ms", "2s", "1.5m", "1h"';

/** A single length of time: a number of milliseconds, or "500ms" / "2s" / "1m". */
export function parseDurationMs(input: unknown, path: string, issues: Issue[]): number | undefined {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    issues.push({ path, message: `duration must be a finite number >= 0, got ${input}`, fix: DURATION_FIX });
    return undefined;
  }
  if (typeof input === 'string') {
    const match = DURATION_TEXT.exec(input.trim());
    const amount = match?.[1];
    const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
    if (amount !== undefined && unit !== undefined) return Number(amount) * UNIT_MS[unit];
  }
  issues.push({ path, message: `not a duration: ${JSON.stringify(input)}`, fix: DURATION_FIX });
  return undefined;
}

const MODEL_FIX =
  'use a duration ("2s"), { fixed: "2s" }, { uniform: { min: "1s", max: "5s" } } or ' +
  '{ lognormal: { median: "3s", sigma: 0.5, max: "60s" } }';

/**
 * A duration model from YAML: `"2s"` or `2000` (fixed), `{ fixed: "2s" }`,
 * `{ uniform: { min, max } }`, `{ lognormal: { median, sigma, max? } }`.
 */
export function parseDurationModel(input: unknown, path: string, issues: Issue[]): DurationModel | undefined {
  if (typeof input === 'number' || typeof input === 'string') {
    const ms = parseDurationMs(input, path, issues);
    return ms === undefined ? undefined : fixed(ms);
  }
  if (!isPlainObject(input)) {
    issues.push({ path, message: `not a duration model: ${JSON.stringify(input)}`, fix: MODEL_FIX });
    return undefined;
  }
  const kinds = Object.keys(input);
  const kind = kinds[0];
  if (kinds.length !== 1 || kind === undefined) {
    issues.push({ path, message: `expected exactly one of fixed, uniform, lognormal`, fix: MODEL_FIX });
    return undefined;
  }
  const body = input[kind];
  const at = `${path}.${kind}`;
  switch (kind) {
    case 'fixed': {
      const ms = parseDurationMs(body, at, issues);
      return ms === undefined ? undefined : fixed(ms);
    }
    case 'uniform': {
      if (!isPlainObject(body)) {
        issues.push({ path: at, message: 'expected { min, max }', fix: MODEL_FIX });
        return undefined;
      }
      issues.push(...unknownKeyIssues(Object.keys(body), at, ['min', 'max']));
      const min = parseDurationMs(body['min'], `${at}.min`, issues);
      const max = parseDurationMs(body['max'], `${at}.max`, issues);
      if (min === undefined || max === undefined) return undefined;
      if (max < min) {
        issues.push({
          path: `${at}.max`,
          message: `max (${max} ms) is below min (${min} ms)`,
          fix: 'swap them',
        });
        return undefined;
      }
      return uniform(min, max);
    }
    case 'lognormal': {
      if (!isPlainObject(body)) {
        issues.push({ path: at, message: 'expected { median, sigma, max? }', fix: MODEL_FIX });
        return undefined;
      }
      issues.push(...unknownKeyIssues(Object.keys(body), at, ['median', 'sigma', 'max']));
      const median = parseDurationMs(body['median'], `${at}.median`, issues);
      const sigma = body['sigma'];
      const sigmaOk = typeof sigma === 'number' && Number.isFinite(sigma) && sigma >= 0;
      if (!sigmaOk) {
        issues.push({
          path: `${at}.sigma`,
          message: `sigma must be a number >= 0, got ${JSON.stringify(sigma)}`,
          fix: 'use the spread of the log of the duration, e.g. 0.5 (0 gives the median every time)',
        });
      }
      const max = body['max'] === undefined ? undefined : parseDurationMs(body['max'], `${at}.max`, issues);
      const medianOk = median !== undefined && median > 0;
      if (median !== undefined && !medianOk) {
        issues.push({ path: `${at}.median`, message: 'median must be > 0', fix: 'use a positive duration' });
      }
      if (!medianOk || !sigmaOk || (body['max'] !== undefined && max === undefined)) return undefined;
      return lognormal(median, sigma, max);
    }
    default:
      issues.push({ path: at, message: `unknown duration model "${kind}"`, fix: MODEL_FIX });
      return undefined;
  }
}
