import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { createDuplicateCache } from '../../../reference/duplicates/cache.ts';
import type { DuplicateCacheOptions } from '../../../reference/duplicates/cache.ts';
import { DuplicateConfigError, DuplicateKeyError } from '../../../reference/duplicates/errors.ts';
import type { DuplicateKeyParts } from '../../../reference/duplicates/key.ts';

function authenticator(seed: number): Buffer {
  return Buffer.alloc(16, seed);
}

function key(
  identifier: number,
  authSeed = identifier,
  extra: Partial<DuplicateKeyParts> = {},
): DuplicateKeyParts {
  return {
    clientAddress: '192.0.2.10',
    clientPort: 50_000,
    identifier,
    requestAuthenticator: authenticator(authSeed),
    ...extra,
  };
}

const accept = Buffer.from('020100140000000000000000000000000000000000', 'hex');

function setup(options: Omit<DuplicateCacheOptions, 'clock'>) {
  const clock = new VirtualClock(1_000_000);
  const cache = createDuplicateCache({ ...options, clock });
  return { clock, cache };
}

describe('nps profile (default)', () => {
  it('is the default and uses a 10 s window', () => {
    const { cache } = setup({});
    expect(cache.settings.profile.name).toBe('nps');
    expect(cache.settings.windowMs).toBe(10_000);
  });

  it('discards duplicates while in flight, however long the MFA prompt takes', async () => {
    const { clock, cache } = setup({});
    expect(cache.check(key(1))).toEqual({ kind: 'new' });
    await clock.advance(59_000);
    expect(cache.check(key(1))).toEqual({
      kind: 'discard',
      reason: 'in-flight',
      firstSeenAt: 1_000_000,
      duplicates: 1,
    });
    await clock.advance(30_000);
    expect(cache.check(key(1))).toMatchObject({ kind: 'discard', reason: 'in-flight', duplicates: 2 });
    expect(cache.stats().discardedInFlight).toBe(2);
  });

  it('discards for 9999 ms after the response and treats 10000 ms as new (half-open window)', async () => {
    const { clock, cache } = setup({});
    cache.check(key(1));
    await clock.advance(4_000);
    expect(cache.complete(key(1), accept)).toBe('recorded');
    await clock.advance(9_999);
    expect(cache.check(key(1))).toEqual({
      kind: 'discard',
      reason: 'recently-answered',
      firstSeenAt: 1_000_000,
      answeredAt: 1_004_000,
      duplicates: 1,
    });
    await clock.advance(1);
    expect(cache.check(key(1))).toEqual({ kind: 'new' });
    expect(cache.stats()).toMatchObject({ new: 2, discardedRecentlyAnswered: 1, expiredAnswered: 1 });
  });

  it('does not extend the window on a duplicate (the extension filters "up to 10 seconds after" the response)', async () => {
    const { clock, cache } = setup({});
    cache.check(key(1));
    cache.complete(key(1), accept);
    await clock.advance(9_000);
    expect(cache.check(key(1)).kind).toBe('discard');
    await clock.advance(1_000);
    expect(cache.check(key(1)).kind).toBe('new');
  });

  it('never replays: the response is not kept', async () => {
    const { clock, cache } = setup({});
    cache.check(key(1));
    cache.complete(key(1), accept);
    await clock.advance(1);
    expect(cache.check(key(1))).toMatchObject({ kind: 'discard', reason: 'recently-answered' });
    expect(cache.stats().replayed).toBe(0);
  });

  it('treats a new authenticator with the same Identifier as a different request, keeping the old entry', () => {
    const { cache } = setup({});
    cache.check(key(1, 1));
    cache.complete(key(1, 1), accept);
    expect(cache.check(key(1, 2))).toEqual({ kind: 'new' });
    expect(cache.check(key(1, 1)).kind).toBe('discard');
    expect(cache.size).toBe(2);
  });

  it('keys on address and source port as well', () => {
    const { cache } = setup({});
    cache.check(key(1));
    expect(cache.check(key(1, 1, { clientPort: 50_001 })).kind).toBe('new');
    expect(cache.check(key(1, 1, { clientAddress: '192.0.2.11' })).kind).toBe('new');
    expect(cache.check(key(1, 1, { clientAddress: '::1' })).kind).toBe('new');
    expect(cache.check(key(1)).kind).toBe('discard');
  });

  it('honours a configured window at its edges', async () => {
    const { clock, cache } = setup({ profile: 'nps', windowMs: 2_500 });
    cache.check(key(7));
    cache.complete(key(7), accept);
    await clock.advance(2_499);
    expect(cache.check(key(7)).kind).toBe('discard');
    await clock.advance(1);
    expect(cache.check(key(7)).kind).toBe('new');
  });
});

describe('silent discard: complete(key, null)', () => {
  it.each(['nps', 'rfc5080', 'duo'] as const)(
    '%s: discards duplicates as recently-dropped for the window',
    async (profile) => {
      const { clock, cache } = setup({ profile });
      const window = cache.settings.windowMs;
      cache.check(key(3));
      expect(cache.complete(key(3), null)).toBe('recorded');
      await clock.advance(window - 1);
      expect(cache.check(key(3))).toMatchObject({
        kind: 'discard',
        reason: 'recently-dropped',
        duplicates: 1,
      });
      // rfc5080/duo extend on duplicate; step past the (possibly extended) end.
      await clock.advance(window);
      expect(cache.check(key(3)).kind).toBe('new');
      expect(cache.stats().discardedRecentlyDropped).toBe(1);
    },
  );
});

describe('rfc5080 profile', () => {
  it('replays the cached response inside the 5 s default window, and not at 5000 ms', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    expect(cache.settings.windowMs).toBe(5_000);
    cache.check(key(9));
    expect(cache.check(key(9))).toMatchObject({ kind: 'discard', reason: 'in-flight' });
    await clock.advance(300);
    cache.complete(key(9), accept);
    await clock.advance(4_999);
    const replay = cache.check(key(9));
    expect(replay).toEqual({
      kind: 'replay',
      response: accept,
      firstSeenAt: 1_000_000,
      answeredAt: 1_000_300,
      duplicates: 2,
    });
    expect(cache.stats().replayed).toBe(1);
  });

  it('expires exactly at the window end when no duplicate arrives', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    cache.check(key(9));
    cache.complete(key(9), accept);
    await clock.advance(5_000);
    expect(cache.check(key(9))).toEqual({ kind: 'new' });
  });

  it('extends the window from each duplicate inside it', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    cache.check(key(9));
    cache.complete(key(9), accept);
    await clock.advance(4_000);
    expect(cache.check(key(9)).kind).toBe('replay'); // window now ends at +9000
    await clock.advance(4_999);
    expect(cache.check(key(9)).kind).toBe('replay'); // ends at +13999 from start
    await clock.advance(4_999);
    expect(cache.check(key(9)).kind).toBe('replay');
    await clock.advance(5_000);
    expect(cache.check(key(9)).kind).toBe('new');
  });

  it('expires an entry on time even when an older entry ahead of it was extended', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    cache.check(key(1));
    cache.complete(key(1), accept); // window ends at +5000
    await clock.advance(1_000);
    cache.check(key(2));
    cache.complete(key(2), accept); // window ends at +6000
    await clock.advance(2_000);
    expect(cache.check(key(1)).kind).toBe('replay'); // key 1 now ends at +8000, after key 2
    await clock.advance(3_000); // +6000: key 2's window is over, key 1's is not
    expect(cache.size).toBe(1);
    expect(cache.check(key(2))).toEqual({ kind: 'new' });
    expect(cache.check(key(1)).kind).toBe('replay');
  });

  it('purges an answered entry when the same (address, port, Identifier) comes with a new authenticator', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    cache.check(key(4, 1));
    cache.complete(key(4, 1), accept);
    await clock.advance(100);
    expect(cache.check(key(4, 2))).toEqual({ kind: 'new', supersedes: 'answered' });
    expect(cache.size).toBe(1);
    // The old request is gone: its late retransmission is processed as new (and purges the other).
    expect(cache.check(key(4, 1))).toEqual({ kind: 'new', supersedes: 'in-flight' });
    expect(cache.stats().purgedByNewAuthenticator).toBe(2);
  });

  it('purges an in-flight entry on a new authenticator; completing the old request then records nothing', () => {
    const { cache } = setup({ profile: 'rfc5080' });
    cache.check(key(4, 1));
    expect(cache.check(key(4, 2))).toEqual({ kind: 'new', supersedes: 'in-flight' });
    expect(cache.complete(key(4, 1), accept)).toBe('not-in-flight');
    expect(cache.complete(key(4, 2), accept)).toBe('recorded');
    expect(cache.check(key(4, 2)).kind).toBe('replay');
    expect(cache.stats().completedNotInFlight).toBe(1);
  });

  it('does not purge across different source ports', () => {
    const { cache } = setup({ profile: 'rfc5080' });
    cache.check(key(4, 1));
    expect(cache.check(key(4, 2, { clientPort: 1 }))).toEqual({ kind: 'new' });
    expect(cache.size).toBe(2);
  });

  it('accepts windows from 2 to 30 s and rejects others, naming the field and the fix', () => {
    expect(setup({ profile: 'rfc5080', windowMs: 2_000 }).cache.settings.windowMs).toBe(2_000);
    expect(setup({ profile: 'rfc5080', windowMs: 30_000 }).cache.settings.windowMs).toBe(30_000);
    for (const windowMs of [1_999, 30_001, 2_000.5, Number.NaN]) {
      let error: unknown;
      try {
        setup({ profile: 'rfc5080', windowMs });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DuplicateConfigError);
      const configError = error as DuplicateConfigError;
      expect(configError.code).toBe('RADMFA_DUPLICATE_CONFIG_INVALID');
      expect(configError.issues).toEqual([
        expect.objectContaining({
          path: 'windowMs',
          fix: expect.stringContaining('2000 to 30000') as unknown,
        }),
      ]);
    }
  });
});

describe('duo profile', () => {
  it('keys on User-Name and User-Password too, and replays for 30 s', async () => {
    const { clock, cache } = setup({ profile: 'duo' });
    expect(cache.settings.windowMs).toBe(30_000);
    const alice = key(5, 5, { userName: 'alice', userPassword: Buffer.from('hidden-1') });
    cache.check(alice);
    cache.complete(alice, accept);
    await clock.advance(29_999);
    expect(cache.check(alice).kind).toBe('replay');
    // Same header, different credentials: a different key (and, sharing the base, it purges).
    expect(cache.check({ ...alice, userPassword: Buffer.from('hidden-2') })).toEqual({
      kind: 'new',
      supersedes: 'answered',
    });
  });

  it('separates ("ab","c") from ("a","bc") and string from bytes consistently', () => {
    const { cache } = setup({ profile: 'duo' });
    cache.check(key(6, 6, { userName: 'ab', userPassword: 'c' }));
    expect(cache.check(key(6, 6, { userName: 'a', userPassword: 'bc' })).kind).toBe('new');
    cache.check(key(8, 8, { userName: 'bob', userPassword: 'pw' }));
    expect(
      cache.check(key(8, 8, { userName: Buffer.from('bob'), userPassword: Buffer.from('pw') })).kind,
    ).toBe('discard');
  });

  it('treats missing credentials as empty ones', () => {
    const { cache } = setup({ profile: 'duo' });
    cache.check(key(2));
    expect(cache.check(key(2, 2, { userName: '', userPassword: '' })).kind).toBe('discard');
  });
});

describe('none profile', () => {
  it('processes every retransmission again and tracks nothing', () => {
    const { cache } = setup({ profile: 'none' });
    expect(cache.check(key(1))).toEqual({ kind: 'new' });
    expect(cache.check(key(1))).toEqual({ kind: 'new' });
    expect(cache.complete(key(1), accept)).toBe('detection-off');
    expect(cache.check(key(1))).toEqual({ kind: 'new' });
    expect(cache.size).toBe(0);
    expect(cache.stats().new).toBe(3);
  });

  it('rejects a window, since it keeps none', () => {
    expect(() => setup({ profile: 'none', windowMs: 5_000 })).toThrow(
      /windowMs: profile none keeps no window/,
    );
  });
});

describe('in-flight timeout', () => {
  it('forgets an entry never completed after inFlightTimeoutMs (half-open)', async () => {
    const { clock, cache } = setup({ inFlightTimeoutMs: 60_000 });
    cache.check(key(1));
    await clock.advance(59_999);
    expect(cache.check(key(1)).kind).toBe('discard');
    await clock.advance(1);
    expect(cache.check(key(1)).kind).toBe('new');
    expect(cache.stats().expiredInFlight).toBe(1);
    expect(cache.complete(key(1), accept)).toBe('recorded');
  });

  it('defaults to five minutes', () => {
    expect(setup({}).cache.settings.inFlightTimeoutMs).toBe(300_000);
  });
});

describe('memory bound', () => {
  it('evicts the oldest answered entry first, then the oldest in flight, never exceeding maxEntries', () => {
    const { cache } = setup({ maxEntries: 3 });
    cache.check(key(1));
    cache.check(key(2));
    cache.complete(key(2), accept);
    cache.check(key(3));
    expect(cache.size).toBe(3);
    cache.check(key(4)); // evicts 2 (answered) although 1 (in flight) is older
    expect(cache.size).toBe(3);
    expect(cache.check(key(1)).kind).toBe('discard');
    expect(cache.check(key(2)).kind).toBe('new'); // evicts 1, the oldest in flight
    expect(cache.size).toBe(3);
    expect(cache.check(key(3)).kind).toBe('discard');
    expect(cache.check(key(1)).kind).toBe('new');
    expect(cache.stats().evicted).toBe(3);
  });

  it('keeps exactly one entry with maxEntries 1', () => {
    const { cache } = setup({ maxEntries: 1 });
    cache.check(key(1));
    cache.check(key(2));
    expect(cache.size).toBe(1);
    expect(cache.check(key(2)).kind).toBe('discard');
  });

  it('drops expired entries without a packet when purgeExpired is called', async () => {
    const { clock, cache } = setup({ profile: 'rfc5080' });
    for (let id = 0; id < 10; id++) {
      cache.check(key(id));
      cache.complete(key(id), accept);
    }
    await clock.advance(5_000);
    expect(cache.purgeExpired()).toBe(10);
    expect(cache.stats().expiredAnswered).toBe(10);
  });
});

describe('validation', () => {
  it('reports every bad setting at once', () => {
    let error: unknown;
    try {
      createDuplicateCache({
        clock: new VirtualClock(),
        profile: 'freeradius' as never,
        inFlightTimeoutMs: 0,
        maxEntries: -1,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DuplicateConfigError);
    expect((error as DuplicateConfigError).issues.map((i) => i.path)).toEqual([
      'profile',
      'inFlightTimeoutMs',
      'maxEntries',
    ]);
  });

  it('rejects key parts no RADIUS packet can carry', () => {
    const { cache } = setup({});
    expect(() => cache.check(key(256))).toThrow(DuplicateKeyError);
    expect(() => cache.check({ ...key(1), requestAuthenticator: Buffer.alloc(15) })).toThrow(/16/);
    expect(() => cache.check({ ...key(1), clientPort: 70_000 })).toThrow(DuplicateKeyError);
    expect(() => cache.check({ ...key(1), clientAddress: '' })).toThrow(DuplicateKeyError);
  });
});
