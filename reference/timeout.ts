import type { Clock } from '../runtime/clock.ts';

export type TimedOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'timeout' };

/** Races a promise against a Clock timer, so a slow peer times out in virtual time too. */
export function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<TimedOutcome<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ kind: 'timeout' });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ kind: 'ok', value });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  });
}
