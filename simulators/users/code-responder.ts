import type { Clock } from '../../runtime/clock.ts';
import type { ChallengeResponder, ChallengePrompt } from '../nas/login.ts';
import { enterCode, type CodeBehaviour } from './behaviour.ts';
import type { RandomSource } from './random.ts';

export interface CodeResponderOptions {
  readonly behaviour: CodeBehaviour;
  readonly clock: Clock;
  /** The user's own stream (streamFor(seed, user)), so their nth prompt replays. */
  readonly random: RandomSource;
  /** What the user reads off their phone or app for this prompt; null when there is nothing to read. */
  readonly correctCode: (prompt: ChallengePrompt) => Promise<string | null> | string | null;
}

/**
 * The simulated NAS's user at an MFA code prompt: reads the code, takes the model's typing time (on
 * the Clock), and submits it, sometimes mistyped, sometimes never. The same behaviour model the MFA
 * mock uses, so a suite describes a user once.
 */
export function codeResponder(options: CodeResponderOptions): ChallengeResponder {
  return async (prompt) => {
    const correct = await options.correctCode(prompt);
    if (correct === null) return null;
    const entry = enterCode(options.behaviour, correct, options.random);
    if (entry.kind === 'gave_up') return null;
    if (entry.afterMs > 0) await options.clock.sleep(entry.afterMs);
    return entry.code;
  };
}
