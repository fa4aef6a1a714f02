import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { codeResponder, streamFor, type CodeBehaviour } from '../../../simulators/users/index.ts';

const prompt = { state: Buffer.alloc(16), attempt: 1, replyMessage: 'Enter the code' };
const behaviour = (over: Partial<CodeBehaviour>): CodeBehaviour => ({
  typingTime: { kind: 'fixed', ms: 4000 },
  wrongCodeProbability: 0,
  giveUpProbability: 0,
  ...over,
});

describe('codeResponder: the NAS-side user model at a code prompt', () => {
  it('answers with the right code after the typing time, in virtual time', async () => {
    const clock = new VirtualClock(0);
    const respond = codeResponder({
      behaviour: behaviour({}),
      clock,
      random: streamFor(1, 'bob'),
      correctCode: () => '123456',
    });
    let answer: string | null | undefined;
    void respond(prompt).then((a) => (answer = a));
    await clock.advance(3999);
    expect(answer).toBeUndefined();
    await clock.advance(1);
    expect(answer).toBe('123456');
  });

  it('mistypes when the model says so (one digit differs)', async () => {
    const clock = new VirtualClock(0);
    const respond = codeResponder({
      behaviour: behaviour({ wrongCodeProbability: 1, typingTime: { kind: 'fixed', ms: 0 } }),
      clock,
      random: streamFor(7, 'bob'),
      correctCode: () => '123456',
    });
    const answer = await respond(prompt);
    expect(answer).toHaveLength(6);
    expect(answer).not.toBe('123456');
    expect([...(answer ?? '')].filter((d, i) => d !== '123456'[i])).toHaveLength(1);
  });

  it('gives up (null) when the model says so, or when there is no code to read', async () => {
    const clock = new VirtualClock(0);
    const gaveUp = codeResponder({
      behaviour: behaviour({ giveUpProbability: 1 }),
      clock,
      random: streamFor(1, 'x'),
      correctCode: () => '1',
    });
    expect(await gaveUp(prompt)).toBeNull();
    const nothing = codeResponder({
      behaviour: behaviour({}),
      clock,
      random: streamFor(1, 'x'),
      correctCode: () => null,
    });
    expect(await nothing(prompt)).toBeNull();
  });
});
