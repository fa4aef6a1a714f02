// One conformance job: the selected suites on a target, then (on the embedded targets) the
// properties, as one versioned result. `radmfa run` and `radmfa start` are this job with different
// defaults; keeping it here means both write the same result and judge it the same way.
import { runConformance, type TargetSpec } from './engine/index.ts';
import { runProperties } from './properties/index.ts';
import type { CaseResult, ConformanceResult, PropertyResult } from './result.ts';
import type { LoadedSuite } from './suites/loader.ts';

export interface PropertySelection {
  /** Properties by name; default all. */
  readonly names?: readonly string[];
  readonly runs?: number;
  /** A counterexample path to replay (with the job's seed and one name). */
  readonly path?: string;
  readonly budgetMs?: number;
}

export interface JobOptions {
  readonly suites: readonly LoadedSuite[];
  readonly target: TargetSpec;
  readonly seed: number;
  readonly grep?: string;
  /** Absent: no properties. They check the reference server in virtual time, whatever the target. */
  readonly properties?: PropertySelection;
  readonly onCase?: (result: CaseResult) => void;
  readonly onProperty?: (result: PropertyResult) => void;
}

/** fast-check takes a signed 32-bit seed; a job seed outside that range is folded into it. */
function propertySeed(seed: number): number {
  return seed | 0;
}

export async function runJob(options: JobOptions): Promise<ConformanceResult> {
  const started = performance.now();
  const conformance = await runConformance({
    suites: options.suites,
    target: options.target,
    seed: options.seed,
    ...(options.grep !== undefined ? { grep: options.grep } : {}),
    ...(options.onCase !== undefined ? { onCase: options.onCase } : {}),
  });
  if (options.properties === undefined) return conformance;
  const selection = options.properties;
  const properties = await runProperties({
    seed: propertySeed(options.seed),
    ...(selection.names !== undefined ? { names: selection.names } : {}),
    ...(selection.runs !== undefined ? { runs: selection.runs } : {}),
    ...(selection.path !== undefined ? { path: selection.path } : {}),
    ...(selection.budgetMs !== undefined ? { budgetMs: selection.budgetMs } : {}),
    ...(options.onProperty !== undefined ? { onProperty: options.onProperty } : {}),
  });
  return { ...conformance, durationMs: Math.round(performance.now() - started), properties };
}

/** A job passed when no case and no property failed; skipped ones are reported, not failures. */
export function jobPassed(result: ConformanceResult): boolean {
  return result.summary.failed === 0 && (result.properties ?? []).every((p) => p.status !== 'failed');
}
