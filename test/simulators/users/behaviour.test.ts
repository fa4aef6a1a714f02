import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_USER_BEHAVIOUR,
  DRAWS_PER_CODE_ENTRY,
  DRAWS_PER_PROMPT,
  behaviours,
  decidePrompt,
  describeBehaviour,
  enterCode,
  mistype,
  pickOutcome,
  type PromptOutcome,
} from '../../../simulators/users/behaviour.ts';
import { fixed, uniform } from '../../../simulators/users/durations.ts';
import { hashString, randomDigits, streamFor } from '../../../simulators/users/random.ts';

function countDraws(seed: number): { random: () => number; count: () => number } {
  const inner = streamFor(seed, 'count');
  let n = 0;
  return { random: () => (n++, inner()), count: () => n };
}

describe('prompt decisions', () => {
  it('a fixed outcome and delay give exactly that', () => {
    const random = streamFor(1, 'alice');
    expect(decidePrompt(behaviours.approvesAfter(2000).prompt, random)).toEqual({
      outcome: 'approve',
      afterMs: 2000,
    });
    expect(decidePrompt(behaviours.deniesAfter(3000).prompt, random)).toEqual({
      outcome: 'deny',
      afterMs: 3000,
    });
    expect(decidePrompt(behaviours.neverAnswers().prompt, random)).toEqual({ outcome: 'ignore' });
  });

  it('replays from the same seed and stream name', () => {
    const model = { outcome: { approve: 3, deny: 1, ignore: 1 }, responseTime: uniform(1000, 9000) } as const;
    const run = (seed: number, name: string) => {
      const random = streamFor(seed, name);
      return Array.from({ length: 20 }, () => decidePrompt(model, random));
    };
    expect(run(9, 'prompt:alice')).toEqual(run(9, 'prompt:alice'));
    expect(run(9, 'prompt:alice')).not.toEqual(run(9, 'prompt:bob'));
    expect(run(9, 'prompt:alice')).not.toEqual(run(10, 'prompt:alice'));
  });

  it('consumes a fixed number of draws per decision', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PromptOutcome>('approve', 'deny', 'ignore', 'report_fraud'),
        fc.nat(),
        (outcome, seed) => {
          const source = countDraws(seed);
          decidePrompt({ outcome, responseTime: fixed(10) }, source.random);
          expect(source.count()).toBe(DRAWS_PER_PROMPT);
        },
      ),
    );
  });

  it('picks weighted outcomes in proportion', () => {
    const random = streamFor(4, 'weights');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const outcome = pickOutcome({ approve: 0.7, deny: 0.2, report_fraud: 0.1 }, random());
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    expect(counts['approve'] ?? 0).toBeGreaterThan(2600);
    expect(counts['approve'] ?? 0).toBeLessThan(3000);
    expect(counts['deny'] ?? 0).toBeGreaterThan(650);
    expect(counts['report_fraud'] ?? 0).toBeGreaterThan(300);
    expect(counts['ignore']).toBeUndefined();
  });

  it('maps the edges of [0, 1) onto outcomes with weight', () => {
    expect(pickOutcome({ deny: 1 }, 0)).toBe('deny');
    expect(pickOutcome({ approve: 1, deny: 1 }, 0.9999999999)).toBe('deny');
    expect(pickOutcome({}, 0.5)).toBe('ignore');
  });
});

describe('code entry', () => {
  it('types the right code after the typing time', () => {
    const entry = enterCode(behaviours.typesCodeAfter(4000).code, '123456', streamFor(1, 'bob'));
    expect(entry).toEqual({ kind: 'typed', code: '123456', wrong: false, afterMs: 4000 });
  });

  it('a mistyped code always differs from the right one, in one digit, with the same length', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{1,10}$/),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (code, p, s) => {
          const typo = mistype(code, p, s);
          expect(typo).not.toBe(code);
          expect(typo).toHaveLength(code.length);
          expect(typo).toMatch(/^\d+$/);
          expect([...typo].filter((c, i) => c !== code[i])).toHaveLength(1);
        },
      ),
    );
    expect(mistype('', 0.5, 0.5)).toBe('0');
  });

  it('gets codes wrong at the configured rate, and gives up at its rate', () => {
    const random = streamFor(2, 'erin');
    const behaviour = { typingTime: fixed(1000), wrongCodeProbability: 0.25, giveUpProbability: 0.1 };
    let wrong = 0;
    let gaveUp = 0;
    for (let i = 0; i < 2000; i++) {
      const entry = enterCode(behaviour, '654321', random);
      if (entry.kind === 'gave_up') gaveUp++;
      else if (entry.wrong) {
        wrong++;
        expect(entry.code).not.toBe('654321');
      } else expect(entry.code).toBe('654321');
    }
    expect(gaveUp).toBeGreaterThan(140);
    expect(gaveUp).toBeLessThan(260);
    expect(wrong).toBeGreaterThan(360);
    expect(wrong).toBeLessThan(540);
  });

  it('consumes a fixed number of draws per entry', () => {
    const source = countDraws(3);
    enterCode({ typingTime: fixed(1), wrongCodeProbability: 1, giveUpProbability: 1 }, '1', source.random);
    expect(source.count()).toBe(DRAWS_PER_CODE_ENTRY);
  });
});

describe('random streams and descriptions', () => {
  it('hashes names apart and draws digit strings', () => {
    expect(hashString('user1')).not.toBe(hashString('user2'));
    expect(randomDigits(streamFor(1, 'sms'), 6)).toMatch(/^\d{6}$/);
    expect(randomDigits(streamFor(1, 'sms'), 6)).toBe(randomDigits(streamFor(1, 'sms'), 6));
  });

  it('describes a behaviour for a report', () => {
    expect(describeBehaviour(behaviours.approvesAfter(2000))).toMatch(
      /^approve after 2000 ms; types codes in uniform/,
    );
    expect(describeBehaviour(behaviours.neverAnswers())).toMatch(/^never answers prompts/);
    expect(
      describeBehaviour({
        ...DEFAULT_USER_BEHAVIOUR,
        code: { typingTime: fixed(1), wrongCodeProbability: 0.1, giveUpProbability: 0 },
      }),
    ).toMatch(/wrong 10%/);
  });
});
