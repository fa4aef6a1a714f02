// Each user gets a random stream of their own, derived from the run's seed and a name. A user's third
// login then draws the same delay whether 2 or 2000 other users logged in between, so a run replays
// exactly even when concurrency changes the order of requests.

import { seededRandom } from '../../runtime/memory-transport.ts';

export type RandomSource = () => number;

/** FNV-1a, 32 bit: spreads similar names ("user1", "user2") over unrelated seeds. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A stream for `name` (e.g. "prompt:alice@radmfa.test") under the run's `seed`. */
export function streamFor(seed: number, name: string): RandomSource {
  // Mix so that (seed, name) and (seed + 1, name) do not give neighbouring mulberry32 states.
  const mixed = (Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(name)) >>> 0;
  return seededRandom(mixed);
}

/** An integer in [0, bound), bound <= 2^32. */
export function randomInt(random: RandomSource, bound: number): number {
  return Math.min(bound - 1, Math.floor(random() * bound));
}

/** `length` decimal digits, leading zeros allowed (SMS and OTP codes are digit strings, not numbers). */
export function randomDigits(random: RandomSource, length: number): string {
  let digits = '';
  for (let i = 0; i < length; i++) digits += String(randomInt(random, 10));
  return digits;
}
