// One conformance job: the selected suites on a target, then (on the embedded targets) the
// properties, as one versioned result. `radmfa run` and `radmfa start` are this job with different
// defaults; keeping it here means both write the same result and judge it the same way.
import { runConformance, type TargetSpec } from './engine/index.ts';
import { runProperties } from './properties/index.ts';
import { canRunInWorker, runPropertiesInWorker } from './properties/parallel.ts';
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
  /**
   * Lanes of cases at once (runConformance's concurrency). 1 runs everything one after another in
   * this thread, the properties after the suites (as before they ran side by side), a baseline to
   * compare timings with.
   */
  readonly concurrency?: number;
}

/** fast-check takes a signed 32-bit seed; a job seed outside that range is folded into it. */
function propertySeed(seed: number): number {
  return seed | 0;
}

/**
 * The suites and the properties run side by side: the properties in a worker thread (CPU work in
 * virtual time), the suites here (mostly waiting on loopback sockets and real timers). Each part's
 * results are what it gives alone, so the result is the same as running them one after the other.
 */
export async function runJob(options: JobOptions): Promise<ConformanceResult> {
  const started = performance.now();
  const selection = options.properties;
  const sideBySide = options.concurrency !== 1 && canRunInWorker();
  const properties =
    selection !== undefined && sideBySide ? startProperties(options, selection, 'worker') : undefined;
  // Observed at once, so a failing worker is not an unhandled rejection while the suites run.
  properties?.catch(() => undefined);
  const conformance = await runConformance({
    suites: options.suites,
    target: options.target,
    seed: options.seed,
    ...(options.grep !== undefined ? { grep: options.grep } : {}),
    ...(options.onCase !== undefined ? { onCase: options.onCase } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  if (selection === undefined) return conformance;
  const results = await (properties ?? startProperties(options, selection, 'here'));
  return { ...conformance, durationMs: Math.round(performance.now() - started), properties: results };
}

function startProperties(
  options: JobOptions,
  selection: PropertySelection,
  where: 'worker' | 'here',
): Promise<PropertyResult[]> {
  const propertyOptions = {
    seed: propertySeed(options.seed),
    ...(selection.names !== undefined ? { names: selection.names } : {}),
    ...(selection.runs !== undefined ? { runs: selection.runs } : {}),
    ...(selection.path !== undefined ? { path: selection.path } : {}),
    ...(selection.budgetMs !== undefined ? { budgetMs: selection.budgetMs } : {}),
  };
  if (where === 'worker') return runPropertiesInWorker(propertyOptions, options.onProperty);
  return runProperties({
    ...propertyOptions,
    ...(options.onProperty !== undefined ? { onProperty: options.onProperty } : {}),
  });
}

/** A job passed when no case and no property failed; skipped ones are reported, not failures. */
export function jobPassed(result: ConformanceResult): boolean {
  return result.summary.failed === 0 && (result.properties ?? []).every((p) => p.status !== 'failed');
}
