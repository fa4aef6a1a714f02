// Property-based conformance (issue 7 item 5): fast-check generates suite cases as data, the
// conformance engine runs them on embedded-virtual stacks (virtual time: a 60 s NAS timeout costs
// microseconds), and each property's invariant is checked on what came back. A failure is a
// PropertyResult with fast-check's seed and path, to replay it exactly, and the failing case printed
// as a suite file.
//
//   const results = await runProperties({ names: ['one-prompt-per-login'], runs: 500, seed: 42 });
import { IssueCollector, ValidationError, type Validated } from '../../runtime/validation/index.ts';
import type { PropertyResult } from '../result.ts';
import { accountingOnce } from './accounting-once.ts';
import { badAuthenticator } from './bad-authenticator.ts';
import { duplicateWindow } from './duplicate-window.ts';
import type { PropertyDefinition } from './harness.ts';
import { methodMatrix } from './method-matrix.ts';
import { nasGiveUp } from './nas-give-up.ts';
import { onePromptPerLogin } from './one-prompt.ts';
import { randomSeed, runProperty, type RunPropertiesOptions } from './run.ts';

export {
  MIN_LOGINS,
  type PropertyContext,
  type PropertyDefinition,
  type PropertyName,
  type Verdict,
} from './harness.ts';
export { DEFAULT_BUDGET_MS, formatPropertyResult, runProperty, type RunPropertiesOptions } from './run.ts';
export { expectedCopyHandling } from './duplicate-window.ts';
export { expectedMethodOutcome } from './method-matrix.ts';
export { expectedLoginOutcome } from './nas-give-up.ts';
export { expectedAnswer } from './bad-authenticator.ts';

/** Every property, in the issue's order. */
export const properties: readonly PropertyDefinition[] = [
  onePromptPerLogin,
  duplicateWindow,
  methodMatrix,
  nasGiveUp,
  accountingOnce,
  badAuthenticator,
];

export const propertyNames: readonly string[] = properties.map((p) => p.name);

/** Every problem with the options at once, each with its fix (the CLI exits 104 on any). */
export function checkPropertyOptions(options: RunPropertiesOptions): Validated<RunPropertiesOptions> {
  const c = new IssueCollector();
  const names = options.names ?? [];
  names.forEach((name, i) => {
    if (!propertyNames.includes(name)) {
      c.add(`names[${i}]`, `no property is called "${name}"`, `use one of ${propertyNames.join(', ')}`);
    }
  });
  if (options.runs !== undefined && (!Number.isSafeInteger(options.runs) || options.runs < 1)) {
    c.add('runs', `must be a whole number of at least 1, got ${options.runs}`, 'give --runs 1 or more');
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    c.add('seed', `must be a whole number, got ${options.seed}`, 'give the seed a result reported');
  }
  if (options.budgetMs !== undefined && (!Number.isSafeInteger(options.budgetMs) || options.budgetMs < 1)) {
    c.add(
      'budgetMs',
      `must be a whole number of ms above 0, got ${options.budgetMs}`,
      'give a time budget in ms',
    );
  }
  if (options.path !== undefined) {
    if (!/^\d+(:\d+)*$/.test(options.path)) {
      c.add(
        'path',
        `"${options.path}" is not a fast-check path`,
        'give the path a failed result reported, e.g. 12:0:3',
      );
    }
    if (options.seed === undefined) {
      c.add('seed', 'is missing while a path is given', 'give the seed reported with that path');
    }
    if (names.length !== 1) {
      c.add('names', 'a path replays one property', 'name exactly the property the path was reported for');
    }
  }
  return c.result(options);
}

/** Runs the named properties (default all) one after another, with one seed for all of them. */
export async function runProperties(options: RunPropertiesOptions = {}): Promise<PropertyResult[]> {
  const checked = checkPropertyOptions(options);
  if (!checked.ok) throw new ValidationError('the property options', checked.issues);
  const seed = options.seed ?? randomSeed();
  const wanted = options.names ?? propertyNames;
  const results: PropertyResult[] = [];
  for (const definition of properties.filter((p) => wanted.includes(p.name))) {
    const result = await runProperty(definition, { ...options, seed });
    results.push(result);
    options.onProperty?.(result);
  }
  return results;
}
