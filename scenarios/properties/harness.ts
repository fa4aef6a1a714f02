// What every property shares: a definition's shape, and one way to run a generated case. A property
// generates suite cases as data (the same shape as scenarios/suites/*.yaml), loads them through the
// suite loader and runs them with the conformance engine's runCase on a fresh embedded-virtual stack,
// so properties and suites share one engine. A generated case holds several logins: a fresh stack
// costs more than a login, so one stack per run keeps 1,000 logins per property cheap.
import type fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { formatIssues } from '../../runtime/validation/index.ts';
import { startVirtualStack, type EmbeddedStack } from '../embedded/stacks.ts';
import { embeddedTarget, runCase } from '../engine/index.ts';
import type { CaseResult, StepResult } from '../result.ts';
import { loadSuiteDocument } from '../suites/loader.ts';

/** The issue's figure: each property generates at least this many logins with its default runs. */
export const MIN_LOGINS = 1_000;

export type PropertyName =
  | 'one-prompt-per-login'
  | 'duplicate-window'
  | 'method-matrix'
  | 'nas-give-up'
  | 'accounting-once'
  | 'bad-authenticator';

/** What a caller may change about the stacks a property runs on. */
export interface PropertyContext {
  /**
   * Server settings that replace the generated case's settings of the same top-level key
   * (`duplicates`, `mfa`, `clients`...): a run against a setting, or a protection broken on purpose.
   */
  readonly server?: Readonly<Record<string, unknown>>;
  /** Called with each stack before its case runs (tests break a protection the config cannot reach). */
  readonly onStack?: (stack: EmbeddedStack) => void;
}

/** What one generated run found. */
export interface Verdict {
  /** Logins that ran (Access-Request exchanges started), counted from the case's step results. */
  readonly logins: number;
  /** Each broken promise in words; empty when the run holds. */
  readonly failures: readonly string[];
  /** The case as it ran, as a suite file in YAML (built only for a failure, to print it). */
  readonly show: () => string;
}

export interface PropertyDefinition {
  readonly name: PropertyName;
  readonly title: string;
  /** The seed passage or RFC section the property checks. */
  readonly why: string;
  /** Logins in one generated run, fewest and most. */
  readonly loginsPerRun: { readonly min: number; readonly max: number };
  /** Runs that generate at least MIN_LOGINS logins. */
  readonly defaultRuns: number;
  readonly arbitrary: fc.Arbitrary<unknown>;
  check(value: unknown, context: PropertyContext): Promise<Verdict>;
}

interface PropertySpec<T> extends Omit<PropertyDefinition, 'defaultRuns' | 'arbitrary' | 'check'> {
  readonly arbitrary: fc.Arbitrary<T>;
  check(value: T, context: PropertyContext): Promise<Verdict>;
}

/** A definition from a typed spec; its values only ever come from its own arbitrary. */
export function defineProperty<T>(spec: PropertySpec<T>): PropertyDefinition {
  return {
    name: spec.name,
    title: spec.title,
    why: spec.why,
    loginsPerRun: spec.loginsPerRun,
    defaultRuns: Math.ceil(MIN_LOGINS / spec.loginsPerRun.min),
    arbitrary: spec.arbitrary,
    check: (value, context) => spec.check(value as T, context),
  };
}

// ------------------------------------------------------------------ the demo users

/**
 * The demo directory's users that the directory lets through (grace, heidi, mallory and oscar are
 * disabled, expired or locked). Properties give each a generated MFA side through tenantUsers, and
 * one login per user per run, so the MFA history tells each login's prompts apart.
 */
export const PROPERTY_USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'ivan', 'judy'] as const;
export const DEMO_PASSWORD = 'Passw0rd!';
/** A phone number the mock accepts, for users given sms or phone_call. */
export function phoneOf(index: number): string {
  return `+1202555010${index % 10}`;
}

// ------------------------------------------------------------------ generated cases

/** A suite case as the suite file format writes it (scenarios/suites/schema.ts). */
export type CaseDocument = Readonly<Record<string, unknown>> & {
  readonly topology?: Readonly<Record<string, unknown>>;
  readonly steps: readonly Readonly<Record<string, unknown>>[];
};

export interface GeneratedRun<T> {
  readonly result: CaseResult;
  /** What `observe` read from the stack after the case ran. */
  readonly observed: T;
  /** The case as it ran (with the context's server settings), as a suite file in YAML. */
  readonly show: () => string;
  /** The document's steps next to their results, when every step ran. */
  readonly ran: readonly { readonly step: Readonly<Record<string, unknown>>; readonly result: StepResult }[];
}

function withServer(document: CaseDocument, server: PropertyContext['server']): CaseDocument {
  if (server === undefined) return document;
  const topology = document.topology ?? {};
  const generated = (topology.server ?? {}) as Readonly<Record<string, unknown>>;
  return { ...document, topology: { ...topology, server: { ...generated, ...server } } };
}

/** The case in YAML, as a one-case suite file, for counterexamples. */
export function showCase(document: CaseDocument): string {
  return toYaml({ suite: 'counterexample', description: 'a generated case that failed', cases: [document] });
}

/**
 * Loads the generated case through the suite loader, runs it with runCase on a fresh
 * embedded-virtual stack seeded with `seed`, and reads what `observe` needs before the stack closes.
 * A generated case the loader refuses is a bug in the generator: it throws with every issue.
 */
export async function runGenerated<T>(
  generated: CaseDocument,
  seed: number,
  context: PropertyContext,
  observe: (stack: EmbeddedStack) => T,
): Promise<GeneratedRun<T>> {
  const document = withServer(generated, context.server);
  const show = (): string => showCase(document);
  const loaded = loadSuiteDocument(
    { suite: 'properties', description: 'generated by a property', cases: [document] },
    import.meta.filename,
    'generated case',
  );
  if (!loaded.ok)
    throw new Error(`the generated case is invalid:\n${formatIssues(loaded.issues)}\n${show()}`);
  const [testCase] = loaded.value.cases;
  if (testCase === undefined) throw new Error('the loader returned no case');
  const stack = await startVirtualStack({
    serverConfig: testCase.resolved.serverConfig,
    directoryFixture: testCase.resolved.directoryFixture,
    ...(testCase.resolved.tenant !== undefined ? { tenant: testCase.resolved.tenant } : {}),
    ...(testCase.topology.network !== undefined ? { network: testCase.topology.network } : {}),
    seed,
  });
  try {
    context.onStack?.(stack);
    const result = await runCase(testCase, embeddedTarget(stack), { seed });
    const observed = observe(stack);
    const ran =
      result.steps.length === document.steps.length
        ? document.steps.map((step, i) => ({ step, result: result.steps[i] as StepResult }))
        : [];
    return { result, observed, show, ran };
  } finally {
    await stack.close();
  }
}

/** The engine's judgement of the case's own expectations, one line per failure. */
export function caseFailures(result: CaseResult): string[] {
  return result.failures.map((f) => `${f.expectation}: expected ${f.expected}, got ${f.actual}`);
}

/** Steps of the case that did not run to a result (the case broke off): each is a failure. */
export function missingSteps(run: GeneratedRun<unknown>, document: CaseDocument): string[] {
  const missing = document.steps.length - run.result.steps.length;
  return missing > 0 ? [`${missing} of ${document.steps.length} steps did not run to a result`] : [];
}

/** Login steps that ran to a result. */
export function loginsRan(result: CaseResult): number {
  return result.steps.filter((step) => step.kind === 'login').length;
}

/** Successful `begin` calls (prompts sent, code sessions opened) per user, by sAMAccountName. */
export function promptsByUser(stack: EmbeddedStack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of stack.mock.service.history.list({ endpoint: 'begin' })) {
    const status = call.httpStatus;
    if (status === undefined || status < 200 || status >= 300) continue;
    const user = (call.user ?? '').toLowerCase().split('@')[0] ?? '';
    counts.set(user, (counts.get(user) ?? 0) + 1);
  }
  return counts;
}
