import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_BEHAVIOUR } from '../../../simulators/users/behaviour.ts';
import { formatIssue, type Issue } from '../../../runtime/validation/index.ts';
import { fixed, lognormal } from '../../../simulators/users/durations.ts';
import { parseOutcomeModel, parseUserBehaviour } from '../../../simulators/users/parse.ts';

describe('parseUserBehaviour', () => {
  it('fills absent parts with the defaults', () => {
    const issues: Issue[] = [];
    expect(parseUserBehaviour(undefined, 'b', issues)).toBe(DEFAULT_USER_BEHAVIOUR);
    const partial = parseUserBehaviour({ prompt: { after: '2s' } }, 'b', issues);
    expect(partial.prompt).toEqual({ outcome: 'approve', responseTime: fixed(2000) });
    expect(partial.code).toEqual(DEFAULT_USER_BEHAVIOUR.code);
    expect(issues).toEqual([]);
  });

  it('reads a full behaviour', () => {
    const issues: Issue[] = [];
    const behaviour = parseUserBehaviour(
      {
        prompt: {
          outcome: { approve: 0.9, report_fraud: 0.1 },
          after: { lognormal: { median: '3s', sigma: 0.5 } },
        },
        code: { typing: '5s', wrongCodeProbability: 0.2, giveUpProbability: 0.05 },
      },
      'b',
      issues,
    );
    expect(issues).toEqual([]);
    expect(behaviour).toEqual({
      prompt: { outcome: { approve: 0.9, report_fraud: 0.1 }, responseTime: lognormal(3000, 0.5) },
      code: { typingTime: fixed(5000), wrongCodeProbability: 0.2, giveUpProbability: 0.05 },
    });
  });

  it('names every bad field, with a fix', () => {
    const issues: Issue[] = [];
    parseUserBehaviour(
      { prompt: { outcome: 'shrug', after: 'later' }, code: { wrongCodeProbability: 2 }, mood: 1 },
      'users[2].behaviour',
      issues,
    );
    expect(issues.map((i) => i.path)).toEqual([
      'users[2].behaviour.mood',
      'users[2].behaviour.prompt.outcome',
      'users[2].behaviour.prompt.after',
      'users[2].behaviour.code.wrongCodeProbability',
    ]);
    expect(formatIssue(issues[1] as Issue)).toMatch(
      /^users\[2\]\.behaviour\.prompt\.outcome: .* Fix: use one of approve, deny, ignore, report_fraud/,
    );
  });

  it('refuses all-zero and negative outcome weights', () => {
    const issues: Issue[] = [];
    expect(parseOutcomeModel({ approve: 0 }, 'o', issues)).toBeUndefined();
    expect(parseOutcomeModel({ approve: -1, nap: 1 }, 'p', issues)).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual(['o', 'p.approve', 'p.nap']);
  });
});
