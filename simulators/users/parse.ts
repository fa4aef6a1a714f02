// User behaviour from YAML/JSON: partial input, defaults filled in here and nowhere else, every problem
// reported at once with the field and the fix.
//
//   behaviour:
//     prompt: { outcome: approve, after: 2s }          # or outcome: { approve: 0.9, deny: 0.1 }
//     code: { typing: { uniform: { min: 3s, max: 8s } }, wrongCodeProbability: 0.1 }

import {
  DEFAULT_USER_BEHAVIOUR,
  PROMPT_OUTCOMES,
  type CodeBehaviour,
  type OutcomeModel,
  type PromptBehaviour,
  type PromptOutcome,
  type UserBehaviour,
} from './behaviour.ts';
import { isPlainObject, unknownKeyIssues, type Issue } from '../../runtime/validation/index.ts';
import { parseDurationModel } from './durations.ts';

const OUTCOME_FIX = `use one of ${PROMPT_OUTCOMES.join(', ')}, or weights like { approve: 0.9, deny: 0.1 }`;

function isOutcome(value: unknown): value is PromptOutcome {
  return typeof value === 'string' && (PROMPT_OUTCOMES as readonly string[]).includes(value);
}

export function parseOutcomeModel(input: unknown, path: string, issues: Issue[]): OutcomeModel | undefined {
  if (isOutcome(input)) return input;
  if (!isPlainObject(input)) {
    issues.push({ path, message: `not an outcome: ${JSON.stringify(input)}`, fix: OUTCOME_FIX });
    return undefined;
  }
  const weights: Partial<Record<PromptOutcome, number>> = {};
  let total = 0;
  let valid = true;
  for (const [key, weight] of Object.entries(input)) {
    if (!isOutcome(key)) {
      issues.push({ path: `${path}.${key}`, message: `unknown outcome "${key}"`, fix: OUTCOME_FIX });
      valid = false;
    } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      issues.push({
        path: `${path}.${key}`,
        message: `weight must be a number >= 0, got ${JSON.stringify(weight)}`,
        fix: 'use a relative weight such as 0.9',
      });
      valid = false;
    } else {
      weights[key] = weight;
      total += weight;
    }
  }
  if (valid && total <= 0) {
    issues.push({
      path,
      message: 'all outcome weights are zero',
      fix: 'give at least one outcome a weight > 0',
    });
    return undefined;
  }
  return valid ? weights : undefined;
}

function parseProbability(input: unknown, fallback: number, path: string, issues: Issue[]): number {
  if (input === undefined) return fallback;
  if (typeof input === 'number' && input >= 0 && input <= 1) return input;
  issues.push({
    path,
    message: `probability must be a number in [0, 1], got ${JSON.stringify(input)}`,
    fix: 'write 0.1 for 10%',
  });
  return fallback;
}

export function parsePromptBehaviour(input: unknown, path: string, issues: Issue[]): PromptBehaviour {
  const defaults = DEFAULT_USER_BEHAVIOUR.prompt;
  if (input === undefined) return defaults;
  if (!isPlainObject(input)) {
    issues.push({
      path,
      message: 'expected a mapping',
      fix: 'write prompt: { outcome: approve, after: 2s }',
    });
    return defaults;
  }
  issues.push(...unknownKeyIssues(Object.keys(input), path, ['outcome', 'after']));
  const outcome =
    input['outcome'] === undefined
      ? defaults.outcome
      : (parseOutcomeModel(input['outcome'], `${path}.outcome`, issues) ?? defaults.outcome);
  const responseTime =
    input['after'] === undefined
      ? defaults.responseTime
      : (parseDurationModel(input['after'], `${path}.after`, issues) ?? defaults.responseTime);
  return { outcome, responseTime };
}

export function parseCodeBehaviour(input: unknown, path: string, issues: Issue[]): CodeBehaviour {
  const defaults = DEFAULT_USER_BEHAVIOUR.code;
  if (input === undefined) return defaults;
  if (!isPlainObject(input)) {
    issues.push({
      path,
      message: 'expected a mapping',
      fix: 'write code: { typing: 4s, wrongCodeProbability: 0 }',
    });
    return defaults;
  }
  issues.push(
    ...unknownKeyIssues(Object.keys(input), path, ['typing', 'wrongCodeProbability', 'giveUpProbability']),
  );
  const typingTime =
    input['typing'] === undefined
      ? defaults.typingTime
      : (parseDurationModel(input['typing'], `${path}.typing`, issues) ?? defaults.typingTime);
  return {
    typingTime,
    wrongCodeProbability: parseProbability(
      input['wrongCodeProbability'],
      defaults.wrongCodeProbability,
      `${path}.wrongCodeProbability`,
      issues,
    ),
    giveUpProbability: parseProbability(
      input['giveUpProbability'],
      defaults.giveUpProbability,
      `${path}.giveUpProbability`,
      issues,
    ),
  };
}

/** A full behaviour from partial input; absent parts take DEFAULT_USER_BEHAVIOUR's. */
export function parseUserBehaviour(input: unknown, path: string, issues: Issue[]): UserBehaviour {
  if (input === undefined) return DEFAULT_USER_BEHAVIOUR;
  if (!isPlainObject(input)) {
    issues.push({
      path,
      message: 'expected a mapping',
      fix: 'write behaviour: { prompt: {...}, code: {...} }',
    });
    return DEFAULT_USER_BEHAVIOUR;
  }
  issues.push(...unknownKeyIssues(Object.keys(input), path, ['prompt', 'code']));
  return {
    prompt: parsePromptBehaviour(input['prompt'], `${path}.prompt`, issues),
    code: parseCodeBehaviour(input['code'], `${path}.code`, issues),
  };
}
