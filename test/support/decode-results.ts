// What every decoder of peer-sent bytes promises (protocol/decode-failures.ts, protocol/auth/result.ts):
// it never throws, and a failure names its cause from the module's closed list, with that cause's
// reason as the message. Fuzz properties assert this instead of `typeof r.ok === 'boolean'`, which
// any return value passes.
import { expect } from 'vitest';

interface Failure {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

/**
 * Asserts that `failure.code` is one of `reasons`' keys and that the message starts with the reason
 * for that code. A decoder that passes on a failure from a shared parser (the MS-CHAP text messages)
 * carries that parser's reason: pass its table too, after the module's own.
 */
export function expectClosedFailure(
  failure: Failure,
  reasons: Readonly<Record<string, string>>,
  ...sharedReasons: readonly Readonly<Record<string, string>>[]
): void {
  expect(Object.keys(reasons), `failure code "${failure.code}"`).toContain(failure.code);
  const candidates = [reasons, ...sharedReasons]
    .map((table) => table[failure.code])
    .filter((reason): reason is string => reason !== undefined);
  expect(
    candidates.some((reason) => failure.message.startsWith(reason)),
    `message "${failure.message}" starts with the reason for ${failure.code}`,
  ).toBe(true);
}
