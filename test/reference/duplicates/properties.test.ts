// Invariants of the duplicate cache over random schedules, in virtual time.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { createDuplicateCache } from '../../../reference/duplicates/cache.ts';
import type { DuplicateCheck } from '../../../reference/duplicates/cache.ts';
import type { DuplicateKeyParts } from '../../../reference/duplicates/key.ts';
import type { DuplicateProfileName } from '../../../reference/duplicates/profiles.ts';

type Action =
  | { readonly type: 'arrive'; readonly id: number; readonly auth: number }
  | { readonly type: 'answer'; readonly id: number; readonly auth: number }
  | { readonly type: 'complete'; readonly id: number; readonly auth: number; readonly drop: boolean }
  | { readonly type: 'advance'; readonly ms: number };

// A few Identifiers and two authenticators each, so retransmissions, Identifier reuse with a new
// authenticator, and unrelated keys all occur; time steps straddle the window edges.
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  // A request and its response together, so answered entries are common.
  fc.record({
    type: fc.constant('answer' as const),
    id: fc.integer({ min: 0, max: 2 }),
    auth: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({
    type: fc.constant('arrive' as const),
    id: fc.integer({ min: 0, max: 2 }),
    auth: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({
    type: fc.constant('complete' as const),
    id: fc.integer({ min: 0, max: 2 }),
    auth: fc.integer({ min: 0, max: 1 }),
    drop: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('advance' as const),
    ms: fc.oneof(
      fc.integer({ min: 0, max: 3_000 }),
      fc.constantFrom(1, 999, 1_000, 4_999, 5_000, 9_999, 10_000, 30_000),
    ),
  }),
);

type Step = Exclude<Action, { type: 'answer' }>;

function expand(actions: readonly Action[]): Step[] {
  return actions.flatMap((a): Step[] =>
    a.type === 'answer'
      ? [
          { type: 'arrive', id: a.id, auth: a.auth },
          { type: 'complete', id: a.id, auth: a.auth, drop: false },
        ]
      : [a],
  );
}

function keyOf(id: number, auth: number): DuplicateKeyParts {
  return {
    clientAddress: '198.51.100.7',
    clientPort: 1645,
    identifier: id,
    requestAuthenticator: Buffer.alloc(16, auth + 1),
    userName: 'u',
    userPassword: 'p',
  };
}

const response = Buffer.from('reply');
const IN_FLIGHT_TIMEOUT_MS = 20_000;

describe('nps: at most one new per key within in-flight time plus the window', () => {
  it('holds over random schedules', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 80, size: 'max' }), async (actions) => {
        const clock = new VirtualClock(0);
        const cache = createDuplicateCache({
          profile: 'nps',
          clock,
          inFlightTimeoutMs: IN_FLIGHT_TIMEOUT_MS,
        });
        const windowMs = cache.settings.windowMs;
        // Per key: when it last came back 'new', and when that request was completed.
        const lastNew = new Map<string, { at: number; completedAt?: number }>();
        for (const action of expand(actions)) {
          if (action.type === 'advance') {
            await clock.advance(action.ms);
            continue;
          }
          const name = `${action.id}/${action.auth}`;
          const now = clock.now();
          const seen = lastNew.get(name);
          if (action.type === 'arrive') {
            const outcome = cache.check(keyOf(action.id, action.auth));
            if (outcome.kind === 'new') {
              if (seen !== undefined) {
                const protectedUntil =
                  seen.completedAt === undefined
                    ? seen.at + IN_FLIGHT_TIMEOUT_MS
                    : seen.completedAt + windowMs;
                expect(now).toBeGreaterThanOrEqual(protectedUntil);
              }
              lastNew.set(name, { at: now });
            } else {
              expect(outcome.kind).toBe('discard');
            }
          } else {
            const result = cache.complete(keyOf(action.id, action.auth), action.drop ? null : response);
            if (result === 'recorded') {
              expect(seen?.completedAt).toBeUndefined();
              lastNew.set(name, { at: seen?.at ?? Number.NaN, completedAt: now });
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

// A deliberately naive model of the profiles (scans, no eviction), compared step by step.
interface ModelEntry {
  readonly base: string;
  inFlightSince?: number;
  expiresAt?: number;
  dropped?: boolean;
}

class NaiveModel {
  readonly entries = new Map<string, ModelEntry>();

  constructor(
    private readonly profile: DuplicateProfileName,
    private readonly windowMs: number,
    private readonly inFlightTimeoutMs: number,
  ) {}

  expire(now: number): void {
    for (const [name, entry] of this.entries) {
      const live =
        entry.inFlightSince !== undefined
          ? now < entry.inFlightSince + this.inFlightTimeoutMs
          : now < (entry.expiresAt ?? 0);
      if (!live) this.entries.delete(name);
    }
  }

  check(id: number, auth: number, now: number): string {
    if (this.profile === 'none') return 'new';
    this.expire(now);
    const name = `${id}/${auth}`;
    const entry = this.entries.get(name);
    if (entry?.inFlightSince !== undefined) return 'discard:in-flight';
    if (entry !== undefined) {
      if (this.profile !== 'nps') entry.expiresAt = now + this.windowMs;
      if (entry.dropped === true) return 'discard:recently-dropped';
      return this.profile === 'nps' ? 'discard:recently-answered' : 'replay';
    }
    if (this.profile !== 'nps') {
      for (const [other, e] of this.entries) if (e.base === String(id)) this.entries.delete(other);
    }
    this.entries.set(name, { base: String(id), inFlightSince: now });
    return 'new';
  }

  complete(id: number, auth: number, drop: boolean, now: number): string {
    if (this.profile === 'none') return 'detection-off';
    this.expire(now);
    const entry = this.entries.get(`${id}/${auth}`);
    if (entry?.inFlightSince === undefined) return 'not-in-flight';
    delete entry.inFlightSince;
    entry.expiresAt = now + this.windowMs;
    entry.dropped = drop;
    return 'recorded';
  }
}

function summarise(outcome: DuplicateCheck): string {
  return outcome.kind === 'discard' ? `discard:${outcome.reason}` : outcome.kind;
}

describe('every profile matches a naive model of its rules', () => {
  // Short windows and in-flight timeout (against time steps of up to 3 s) so that windows of
  // different keys end in every order, extended or not.
  const cases = [
    ['nps', 1_000],
    ['rfc5080', 2_000],
    ['duo', 2_000],
    ['none', undefined],
  ] as const;
  it.each(cases)('%s (window %s ms)', async (profile, windowMs) => {
    const inFlightTimeoutMs = 4_000;
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 80, size: 'max' }), async (actions) => {
        const clock = new VirtualClock(0);
        const cache = createDuplicateCache({ profile, clock, windowMs, inFlightTimeoutMs });
        const model = new NaiveModel(profile, cache.settings.windowMs, inFlightTimeoutMs);
        for (const action of expand(actions)) {
          if (action.type === 'advance') {
            await clock.advance(action.ms);
          } else if (action.type === 'arrive') {
            const expected = model.check(action.id, action.auth, clock.now());
            const actual = cache.check(keyOf(action.id, action.auth));
            expect(summarise(actual)).toBe(expected);
            if (actual.kind === 'replay') expect(actual.response).toBe(response);
          } else {
            const expected = model.complete(action.id, action.auth, action.drop, clock.now());
            expect(cache.complete(keyOf(action.id, action.auth), action.drop ? null : response)).toBe(
              expected,
            );
          }
          model.expire(clock.now());
          expect(cache.size).toBe(model.entries.size);
        }
      }),
      { numRuns: 250 },
    );
  });
});

describe('memory never exceeds maxEntries', () => {
  it('holds for every profile over random schedules of many keys', async () => {
    const manyKeys = fc.oneof(
      fc.record({
        type: fc.constant('arrive' as const),
        id: fc.integer({ min: 0, max: 255 }),
        auth: fc.integer({ min: 0, max: 3 }),
      }),
      fc.record({
        type: fc.constant('complete' as const),
        id: fc.integer({ min: 0, max: 255 }),
        auth: fc.integer({ min: 0, max: 3 }),
        drop: fc.boolean(),
      }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<DuplicateProfileName>('nps', 'rfc5080', 'duo', 'none'),
        fc.integer({ min: 1, max: 16 }),
        fc.array(manyKeys, { maxLength: 200, size: 'max' }),
        async (profile, maxEntries, actions) => {
          const clock = new VirtualClock(0);
          const cache = createDuplicateCache({ profile, clock, maxEntries });
          for (const action of actions) {
            if (action.type === 'advance') await clock.advance(action.ms);
            else if (action.type === 'arrive') cache.check(keyOf(action.id, action.auth));
            else cache.complete(keyOf(action.id, action.auth), action.drop ? null : response);
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
