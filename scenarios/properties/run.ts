// fast-check around a property definition: fc.check (not assert), so a failure becomes a
// PropertyResult carrying the seed, the path and the failing case as a suite file; a wall-clock
// budget (interruptAfterTimeLimit); logins counted as the cases report them, not computed.
import fc from 'fast-check';
import type { PropertyResult } from '../result.ts';
import type { PropertyContext, PropertyDefinition, Verdict } from './harness.ts';

/**
 * Wall-clock time each property may take before fast-check stops generating (its
 * interruptAfterTimeLimit). A budget, not an assertion: a property it stops is reported failed with
 * the runs and logins it did reach, because it did not check what it was asked to.
 */
export const DEFAULT_BUDGET_MS = 60_000;

export interface RunPropertiesOptions extends PropertyContext {
  /** Properties to run, by name; default all. */
  readonly names?: readonly string[];
  /** Runs per property; default each property's defaultRuns (at least MIN_LOGINS logins). */
  readonly runs?: number;
  /** fast-check seed; default a random one, reported in every result. */
  readonly seed?: number;
  /** fast-check path of a counterexample, to replay it (needs seed, and exactly one name). */
  readonly path?: string;
  /** Wall-clock ms per property; default DEFAULT_BUDGET_MS. */
  readonly budgetMs?: number;
  /** Called as each property ends (progress lines). */
  readonly onProperty?: (result: PropertyResult) => void;
}

/** The generated value of a one-argument property's counterexample tuple. */
function firstOf(counterexample: unknown): unknown {
  return Array.isArray(counterexample) ? (counterexample as unknown[])[0] : counterexample;
}

/** A seed for a run nobody gave one to; it is reported, so the run can be replayed. */
export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) | 0;
}

class PropertyBroken extends Error {
  constructor(readonly verdict: Verdict) {
    super(verdict.failures.join('\n'));
    this.name = 'PropertyBroken';
  }
}

interface Tally {
  logins: number;
  /** The predicate running now: awaited after an interrupt, so no case outlives its property. */
  running: Promise<unknown> | undefined;
}

function describeFailure(
  error: unknown,
  counterexample: unknown,
): { reason: string; counterexample: string } {
  if (error instanceof PropertyBroken) {
    return {
      reason: error.verdict.failures[0] ?? 'the property did not hold',
      counterexample: `${error.verdict.failures.map((f) => `# ${f}`).join('\n')}\n${error.verdict.show()}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    reason: `the generated case could not run: ${message.split('\n')[0] ?? message}`,
    counterexample: `# ${message.replaceAll('\n', '\n# ')}\n${fc.stringify(counterexample)}`,
  };
}

/** Runs one property with fast-check's check (never throws for a failing property). */
export async function runProperty(
  definition: PropertyDefinition,
  options: RunPropertiesOptions & { readonly seed: number },
): Promise<PropertyResult> {
  const numRuns = options.runs ?? definition.defaultRuns;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const context: PropertyContext = {
    ...(options.server !== undefined ? { server: options.server } : {}),
    ...(options.onStack !== undefined ? { onStack: options.onStack } : {}),
  };
  const tally: Tally = { logins: 0, running: undefined };
  const property: fc.IAsyncProperty<[unknown]> = fc.asyncProperty(definition.arbitrary, async (value) => {
    const running = definition.check(value, context);
    tally.running = running;
    const verdict = await running;
    tally.logins += verdict.logins;
    if (verdict.failures.length > 0) throw new PropertyBroken(verdict);
  });
  const started = performance.now();
  const details = await fc.check(property, {
    numRuns,
    seed: options.seed,
    ...(options.path !== undefined ? { path: options.path } : {}),
    plugins: [fc.interruptAfterTimeLimit(budgetMs)],
  });
  // fast-check ignores a predicate still running when the budget ends; let it finish (its logins
  // ran, so they count), so that no case outlives its property.
  await tally.running?.catch(() => undefined);
  const durationMs = Math.round(performance.now() - started);
  const base = {
    name: definition.name,
    title: definition.title,
    why: definition.why,
    runs: details.numRuns,
    logins: tally.logins,
    seed: details.seed,
    durationMs,
  };
  if (details.failed && details.counterexample !== null) {
    const failure = describeFailure(details.errorInstance, firstOf(details.counterexample));
    const cut = details.interrupted
      ? ' (the time budget stopped shrinking: the case may not be minimal)'
      : '';
    return {
      ...base,
      status: 'failed',
      ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
      counterexample: failure.counterexample,
      reason: `${failure.reason}${cut}`,
    };
  }
  if (details.interrupted || details.failed) {
    return {
      ...base,
      status: 'failed',
      reason:
        `the time budget of ${budgetMs} ms ran out after ${details.numRuns} of ${numRuns} runs ` +
        `(${tally.logins} logins): raise --budget or lower --runs`,
    };
  }
  return base.runs > 0
    ? { ...base, status: 'passed' }
    : { ...base, status: 'failed', reason: 'no run completed' };
}

/** A result as the lines a terminal or a CI log shows; a failure says how to replay it. */
export function formatPropertyResult(result: PropertyResult): string {
  const head = `${result.status === 'passed' ? 'PASS' : 'FAIL'} ${result.name}: ${result.runs} runs, ${result.logins} logins, ${(result.durationMs / 1000).toFixed(1)} s`;
  if (result.status === 'passed') return head;
  const replay =
    result.path !== undefined
      ? `\n  replay: --seed ${result.seed} --path ${result.path}`
      : `\n  seed: ${result.seed}`;
  const example = result.counterexample !== undefined ? `\n${indent(result.counterexample)}` : '';
  return `${head}\n  ${result.reason ?? ''}${replay}${example}`;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
