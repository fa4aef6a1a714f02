// What a person does when the MFA service reaches them, as data plus pure decision functions. The
// cloud MFA mock asks these models how a push or phone call ends; the simulated NAS asks them what code
// a user types at an Access-Challenge and how long it takes.

import {
  describeDuration,
  fixed,
  lognormal,
  sampleDuration,
  uniform,
  type DurationModel,
} from './durations.ts';
import { randomInt, type RandomSource } from './random.ts';

/** How a push notification or a phone call ends. `ignore`: the user never answers. */
export type PromptOutcome = 'approve' | 'deny' | 'ignore' | 'report_fraud';

export const PROMPT_OUTCOMES: readonly PromptOutcome[] = ['approve', 'deny', 'ignore', 'report_fraud'];

/** Either one outcome every time, or relative weights (they need not sum to 1). */
export type OutcomeModel = PromptOutcome | Readonly<Partial<Record<PromptOutcome, number>>>;

export interface PromptBehaviour {
  readonly outcome: OutcomeModel;
  /** Time from the prompt reaching the phone to the user's answer (unused when the outcome is ignore). */
  readonly responseTime: DurationModel;
}

export interface CodeBehaviour {
  /** Time from the code prompt (Access-Challenge, SMS arrival) to the code being submitted. */
  readonly typingTime: DurationModel;
  /** Probability in [0, 1] that a submitted code is wrong. */
  readonly wrongCodeProbability: number;
  /** Probability in [0, 1] that the user never types anything. */
  readonly giveUpProbability: number;
}

export interface UserBehaviour {
  readonly prompt: PromptBehaviour;
  readonly code: CodeBehaviour;
}

/** Someone who approves within a few seconds and types codes correctly. */
export const DEFAULT_USER_BEHAVIOUR: UserBehaviour = {
  prompt: { outcome: 'approve', responseTime: lognormal(4000, 0.4, 50_000) },
  code: { typingTime: uniform(3000, 8000), wrongCodeProbability: 0, giveUpProbability: 0 },
};

export type PromptDecision =
  | { readonly outcome: 'ignore' }
  | { readonly outcome: 'approve' | 'deny' | 'report_fraud'; readonly afterMs: number };

/** Draws per prompt decision: one for the outcome, then one duration. */
export const DRAWS_PER_PROMPT = 3;

/** Picks an outcome from a model with one uniform draw `u` in [0, 1). */
export function pickOutcome(model: OutcomeModel, u: number): PromptOutcome {
  if (typeof model === 'string') return model;
  const weighted = PROMPT_OUTCOMES.map((outcome) => ({ outcome, weight: Math.max(0, model[outcome] ?? 0) }));
  const total = weighted.reduce((sum, entry) => sum + entry.weight, 0);
  if (total <= 0) return 'ignore';
  let threshold = u * total;
  for (const entry of weighted) {
    if (threshold < entry.weight) return entry.outcome;
    threshold -= entry.weight;
  }
  // Floating-point leftovers land on the last outcome with any weight.
  return [...weighted].reverse().find((entry) => entry.weight > 0)?.outcome ?? 'ignore';
}

/** How one push or phone call ends and after how long. Always draws DRAWS_PER_PROMPT values. */
export function decidePrompt(behaviour: PromptBehaviour, random: RandomSource): PromptDecision {
  const outcome = pickOutcome(behaviour.outcome, random());
  const afterMs = sampleDuration(behaviour.responseTime, random);
  return outcome === 'ignore' ? { outcome } : { outcome, afterMs };
}

export type CodeEntry =
  | { readonly kind: 'gave_up' }
  | { readonly kind: 'typed'; readonly code: string; readonly wrong: boolean; readonly afterMs: number };

/** Draws per code entry: give up, wrong, the mistyped digit's position and value, then one duration. */
export const DRAWS_PER_CODE_ENTRY = 4 + 2;

/**
 * What a user types when asked for `correctCode` (read from the SMS, or computed by their app).
 * Always draws DRAWS_PER_CODE_ENTRY values, so outcomes of later entries do not depend on this one's.
 */
export function enterCode(behaviour: CodeBehaviour, correctCode: string, random: RandomSource): CodeEntry {
  const giveUp = random() < behaviour.giveUpProbability;
  const wrong = random() < behaviour.wrongCodeProbability;
  const position = random();
  const shift = random();
  const afterMs = sampleDuration(behaviour.typingTime, random);
  if (giveUp) return { kind: 'gave_up' };
  return { kind: 'typed', code: wrong ? mistype(correctCode, position, shift) : correctCode, wrong, afterMs };
}

/**
 * The code with one digit changed, the commonest typing slip. `position` and `shift` are uniform draws
 * in [0, 1); the changed digit always differs, so the result is always wrong. An empty code becomes "0".
 */
export function mistype(code: string, position: number, shift: number): string {
  if (code.length === 0) return '0';
  const index = randomInt(() => position, code.length);
  const original = code.charCodeAt(index) - 48;
  const digit = original >= 0 && original <= 9 ? original : 0;
  const replacement = (digit + 1 + randomInt(() => shift, 9)) % 10;
  return code.slice(0, index) + String(replacement) + code.slice(index + 1);
}

export function describeOutcome(model: OutcomeModel): string {
  if (typeof model === 'string') return model;
  return PROMPT_OUTCOMES.filter((outcome) => (model[outcome] ?? 0) > 0)
    .map((outcome) => `${outcome} ${model[outcome]}`)
    .join(', ');
}

/** One line a human can read in a report: "approve after 2000 ms; codes: ...". */
export function describeBehaviour(behaviour: UserBehaviour): string {
  const prompt =
    behaviour.prompt.outcome === 'ignore'
      ? 'never answers prompts'
      : `${describeOutcome(behaviour.prompt.outcome)} after ${describeDuration(behaviour.prompt.responseTime)}`;
  const code =
    `types codes in ${describeDuration(behaviour.code.typingTime)}` +
    (behaviour.code.wrongCodeProbability > 0 ? `, wrong ${behaviour.code.wrongCodeProbability * 100}%` : '') +
    (behaviour.code.giveUpProbability > 0 ? `, gives up ${behaviour.code.giveUpProbability * 100}%` : '');
  return `${prompt}; ${code}`;
}

/** Shorthands for scenarios written in TypeScript. */
export const behaviours = {
  approvesAfter(ms: number): UserBehaviour {
    return { ...DEFAULT_USER_BEHAVIOUR, prompt: { outcome: 'approve', responseTime: fixed(ms) } };
  },
  deniesAfter(ms: number): UserBehaviour {
    return { ...DEFAULT_USER_BEHAVIOUR, prompt: { outcome: 'deny', responseTime: fixed(ms) } };
  },
  reportsFraudAfter(ms: number): UserBehaviour {
    return { ...DEFAULT_USER_BEHAVIOUR, prompt: { outcome: 'report_fraud', responseTime: fixed(ms) } };
  },
  neverAnswers(): UserBehaviour {
    return { ...DEFAULT_USER_BEHAVIOUR, prompt: { outcome: 'ignore', responseTime: fixed(0) } };
  },
  typesCodeAfter(ms: number, wrongCodeProbability = 0): UserBehaviour {
    return {
      ...DEFAULT_USER_BEHAVIOUR,
      code: { typingTime: fixed(ms), wrongCodeProbability, giveUpProbability: 0 },
    };
  },
} as const;
