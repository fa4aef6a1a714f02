// A case against a server radmfa did not start (FreeRADIUS, NPS, a vendor's). Only what crosses the
// wire can be judged there: case-level expectations read the embedded stack (MFA mock, server
// events, accounting store), so they are listed as unobserved instead of failing. Where the RFCs
// allow a server to behave otherwise than the NPS model the suites encode (RFC 5080 replay instead of
// the NPS discard, replies without Message-Authenticator, a reject delay), the result names the
// difference instead of reporting an opaque mismatch.
import { duplicateProfiles } from '../../reference/duplicates/profiles.ts';
import type { CaseResult, Difference, DuplicateBehaviour, Failure, StepResult } from '../result.ts';
import type { LoadedCase } from '../suites/loader.ts';
import type { Step } from '../suites/schema.ts';
import { runCase, type CaseTarget, type RunCaseOptions } from './case.ts';

/** The NPS extension discards exact copies for 10 s after its answer (seed); later ones are new. */
const NPS_WINDOW_MS = duplicateProfiles.nps.defaultWindowMs;
/**
 * A reject this late is held back on purpose (FreeRADIUS reject_delay, 1 s as packaged); a loaded
 * loopback server answers in milliseconds, so 750 ms leaves a wide margin either side.
 */
export const REJECT_DELAY_THRESHOLD_MS = 750;

export interface ExternalPlan {
  /** The case as judged on an external target: unobservable expectations removed. */
  readonly judged: LoadedCase;
  /** The removed expectations, by path (`expect.drops`, `steps[0].expect.serverReason`). */
  readonly unobserved: readonly string[];
  /** false when nothing would be left to judge or observe (the case is then skipped). */
  readonly judgeable: boolean;
}

/**
 * A step as judged on an external target. `serverReason` reads the reference server's events. A
 * retransmit's `behaviour` is the NPS model's (RFC 5080 lets a cache live 5 to 30 s, so a server may
 * legitimately replay where NPS discards or processes again): it is compared, and a mismatch named as
 * a difference, not judged; `replies` stays judged.
 */
function forExternal(step: Step, index: number, unobserved: string[]): Step {
  if (step.kind === 'retransmit' && step.expect?.behaviour !== undefined) {
    const { behaviour: _compared, ...expect } = step.expect;
    return { ...step, expect };
  }
  if (step.kind !== 'login' && step.kind !== 'packet') return step;
  if (step.expect?.serverReason === undefined) return step;
  unobserved.push(`steps[${index}].expect.serverReason`);
  const { serverReason: _hidden, ...expect } = step.expect;
  return { ...step, expect };
}

function stepJudges(step: Step): boolean {
  if (step.kind === 'retransmit') return true; // names what the server did, expectation or not
  if (step.kind === 'wait') return false;
  return step.expect !== undefined && Object.values(step.expect).some((v) => v !== undefined);
}

/** What of a case an external target can judge. */
export function planExternal(testCase: LoadedCase): ExternalPlan {
  const unobserved: string[] = [];
  // Every case-level expectation reads the embedded stack (MFA mock, server events, store).
  for (const [key, value] of Object.entries(testCase.expect ?? {})) {
    if (value !== undefined) unobserved.push(`expect.${key}`);
  }
  const steps = testCase.steps.map((step, index) => forExternal(step, index, unobserved));
  const { expect: _embeddedOnly, ...rest } = testCase;
  const judged: LoadedCase = { ...rest, steps };
  const judgeable = unobserved.length === 0 || steps.some(stepJudges);
  return { judged, unobserved, judgeable };
}

// ---------------------------------------------------------------------------------------------
// Differences from the NPS model, named.

const MA_FIRST = /^steps\[(\d+)\]\.expect\.messageAuthenticatorFirst$/;
const MESSAGE_AUTHENTICATOR = 'message-authenticator';

const DUPLICATE_DIFFERENCE = {
  replay: 'duplicate-replay',
  reprocess: 'duplicate-reprocess',
  discard: 'duplicate-discard',
} as const satisfies Record<DuplicateBehaviour, Difference['kind']>;

function npsWords(behaviour: DuplicateBehaviour): string {
  return behaviour === 'discard'
    ? `NPS discards an exact copy while the request is in progress and for ${NPS_WINDOW_MS / 1000} s after its answer (seed: 'continues to filter and discard duplicate requests for up to 10 seconds'): the copy gets no reply`
    : `NPS processes a copy that arrives ${NPS_WINDOW_MS / 1000} s or more after its answer as a new request`;
}

/** Reply attributes servers make afresh for every request they process (NPS's Class, any State). */
const PER_PROCESSING = new Set(['class', 'state']);

function seenWords(
  behaviour: DuplicateBehaviour,
  original: StepResult | undefined,
  afterAnswer: string,
): string {
  const reply = original?.replyCode ?? 'reply';
  switch (behaviour) {
    case 'replay': {
      const words = `rfc5080 replay: the cached ${reply} was sent again, byte for byte, to the copy ${afterAnswer} (RFC 5080 2.2.2)`;
      const varies = (original?.attributes ?? []).some((a) => PER_PROCESSING.has(a.name.toLowerCase()));
      // Without a per-login value, an answer computed again is the same bytes as a cached one.
      return varies
        ? words
        : `${words}; the ${reply} carries no Class or State, so an answer computed again would look the same`;
    }
    case 'reprocess':
      return `reprocess: the copy ${afterAnswer} was processed as a new request (a reply that differs from the first)`;
    case 'discard':
      return `discard: the copy ${afterAnswer} got no reply`;
  }
}

/** What the NPS model does with the copies of a retransmit step (all on one side of its window). */
function npsBehaviour(offsets: readonly number[], answeredAfterMs: number | undefined): DuplicateBehaviour {
  if (answeredAfterMs === undefined) return 'discard';
  const each = offsets.map((at) => (at < answeredAfterMs + NPS_WINDOW_MS ? 'discard' : 'reprocess'));
  return each.every((b) => b === 'reprocess') ? 'reprocess' : 'discard';
}

function duplicateDifference(
  testCase: LoadedCase,
  index: number,
  steps: readonly StepResult[],
): Difference | undefined {
  const step = testCase.steps[index];
  const seen = steps[index]?.duplicateBehaviour;
  if (step?.kind !== 'retransmit' || seen === undefined) return undefined;
  const originalIndex = testCase.steps.findIndex(
    (s) => (s.kind === 'login' || s.kind === 'packet') && s.id === step.of,
  );
  const original = testCase.steps[originalIndex];
  // NPS's duplicate discard is about Access-Requests; Status-Server and accounting are another matter.
  if (original === undefined || (original.kind === 'packet' && original.code !== 'Access-Request')) {
    return undefined;
  }
  const originalResult = steps[originalIndex];
  const answeredAfterMs = originalResult?.replyCode === undefined ? undefined : originalResult.durationMs;
  const offsets = [...step.at].sort((a, b) => a - b);
  // Copies on both sides of the NPS window: no single NPS behaviour to compare with.
  if (answeredAfterMs !== undefined) {
    const inside = offsets.filter((at) => at < answeredAfterMs + NPS_WINDOW_MS).length;
    if (inside !== 0 && inside !== offsets.length) return undefined;
  }
  const nps = npsBehaviour(offsets, answeredAfterMs);
  if (seen === nps) return undefined;
  const first = offsets[0] ?? 0;
  const afterAnswer =
    answeredAfterMs === undefined
      ? `${first} ms after the request`
      : `${Math.max(0, Math.round(first - answeredAfterMs))} ms after the answer`;
  return {
    kind: DUPLICATE_DIFFERENCE[seen],
    at: `steps[${index}]`,
    seen: seenWords(seen, originalResult, afterAnswer),
    expected: npsWords(nps),
  };
}

function rejectDelay(index: number, step: StepResult | undefined): Difference | undefined {
  if (step?.replyCode !== 'Access-Reject' || step.durationMs === undefined) return undefined;
  if (step.durationMs < REJECT_DELAY_THRESHOLD_MS) return undefined;
  return {
    kind: 'reject-delayed',
    at: `steps[${index}]`,
    seen: `the Access-Reject came ${Math.round(step.durationMs)} ms after the request: held back on purpose (FreeRADIUS reject_delay, 1 s as packaged); a NAS whose timeout is shorter retransmits`,
    expected: 'the reference server (the NPS model) answers a reject as soon as it is decided',
  };
}

function messageAuthenticatorDifference(
  failure: Failure,
  steps: readonly StepResult[],
): Difference | undefined {
  const match = MA_FIRST.exec(failure.expectation);
  if (match === null) return undefined;
  const index = Number(match[1]);
  const step = steps[index];
  if (step?.replyCode === undefined) return undefined; // no reply at all: a real failure
  const names = (step.attributes ?? []).map((a) => a.name.toLowerCase());
  const present = names.includes(MESSAGE_AUTHENTICATOR);
  // Beside EAP-Message it is not a choice (RFC 3579 3.2 MUST): that stays a failure.
  if (!present && names.includes('eap-message')) return undefined;
  return {
    kind: present ? 'message-authenticator-not-first' : 'reply-without-message-authenticator',
    at: `steps[${index}]`,
    seen: present
      ? `the ${step.replyCode} carries Message-Authenticator, not as its first attribute`
      : `the ${step.replyCode} carries no Message-Authenticator (RFC 3579 requires one only beside EAP-Message; servers without the 2024 Blast-RADIUS hardening send none)`,
    expected:
      'the reference server (the NPS model) puts Message-Authenticator first in every Access-Accept, Access-Reject and Access-Challenge, as the Blast-RADIUS guidance asks',
  };
}

function firstPerKind(differences: readonly Difference[]): Difference[] {
  const seen = new Set<string>();
  return differences.filter((d) => {
    if (seen.has(d.kind)) return false;
    seen.add(d.kind);
    return true;
  });
}

/**
 * The result with differences named: Message-Authenticator placement mismatches become differences
 * (not failures), duplicate behaviours and reject delays are compared with the NPS model.
 */
export function nameDifferences(testCase: LoadedCase, result: CaseResult): CaseResult {
  // Steps are matched by index; a case that broke off early has fewer results than steps.
  if (result.steps.length !== testCase.steps.length) return result;
  const differences: Difference[] = [];
  const failures: Failure[] = [];
  for (const failure of result.failures) {
    const difference = messageAuthenticatorDifference(failure, result.steps);
    if (difference === undefined) failures.push(failure);
    else differences.push(difference);
  }
  result.steps.forEach((_step, index) => {
    const duplicate = duplicateDifference(testCase, index, result.steps);
    if (duplicate !== undefined) differences.push(duplicate);
  });
  result.steps.forEach((step, index) => {
    const delayed = rejectDelay(index, step);
    if (delayed !== undefined) differences.push(delayed);
  });
  if (differences.length === 0) return result;
  const first = failures[0];
  const { reason: _judged, ...rest } = result;
  return {
    ...rest,
    status: failures.length === 0 ? 'passed' : 'failed',
    ...(first !== undefined
      ? { reason: `${first.expectation}: expected ${first.expected}, got ${first.actual}` }
      : {}),
    failures,
    differences: firstPerKind(differences),
  };
}

/** Runs a case on an external target: judged on what the wire shows, differences named. */
export async function runExternalCase(
  testCase: LoadedCase,
  target: CaseTarget,
  options: RunCaseOptions,
): Promise<CaseResult> {
  const plan = planExternal(testCase);
  const result = await runCase(plan.judged, target, options);
  const named = nameDifferences(testCase, result);
  return plan.unobserved.length === 0 ? named : { ...named, unobserved: plan.unobserved };
}
