// Duplicate detection for the reference server (pipeline step 3). Never logs: every outcome is
// returned with enough detail for the caller to count and log it.
//
// Timing rules, all measured with the injected Clock:
// - A key is in flight from check() returning 'new' until complete(). Duplicates meanwhile are
//   discarded, so the MFA prompt for one login is never sent twice.
// - complete() opens the post-response window, half-open [answeredAt, answeredAt + windowMs):
//   a duplicate at +windowMs - 1 is inside, at +windowMs it is a new request.
// - complete(key, null) (the server chose to send nothing) opens the same window; duplicates in it
//   are discarded as 'recently-dropped' under every profile, because there is nothing to replay and
//   processing them again would repeat whatever made the server stay silent (a second prompt).
// - An in-flight entry never completed is forgotten after inFlightTimeoutMs, same half-open rule.
//
// Memory: the entries are rows of typed arrays (slot-store.ts: no object per request for the
// collector to copy), indexed by key and linked into two expiry lists (in flight, answered) whose
// order is expiry order: each holds entries of one fixed lifetime, and an entry whose window is
// extended moves to the end. Expiry pops from the front, amortised O(1) per packet, with no scan. At
// maxEntries the oldest entry goes first, answered entries before in-flight ones, since dropping
// an in-flight entry lets the very next retransmission start a second MFA prompt.

import type { Clock } from '../../runtime/clock.ts';
import { DuplicateConfigError } from './errors.ts';
import { checkDuplicateKeyParts, credentialDigest } from './key.ts';
import type { DuplicateKeyParts } from './key.ts';
import { ANSWERED, IN_FLIGHT, NONE, SlotStore } from './slot-store.ts';
import type { ListId } from './slot-store.ts';
import type { DuplicateProfileName } from './profiles.ts';
import { normaliseDuplicateSettings } from './settings.ts';
import type { DuplicateSettings } from './settings.ts';

export type DuplicateDiscardReason = 'in-flight' | 'recently-answered' | 'recently-dropped';

export type DuplicateCheck =
  | {
      readonly kind: 'new';
      /** Set when this request's new Request Authenticator purged an entry for the same (address, port, Identifier). */
      readonly supersedes?: 'in-flight' | 'answered';
    }
  | {
      readonly kind: 'discard';
      readonly reason: DuplicateDiscardReason;
      /** Clock time the original request was first seen. */
      readonly firstSeenAt: number;
      /** Clock time of complete(); absent while in flight. */
      readonly answeredAt?: number;
      /** Duplicates of this key seen so far, this one included. */
      readonly duplicates: number;
    }
  | {
      readonly kind: 'replay';
      /** The cached response, to be sent as is (RFC 5080 2.2.2). Do not modify it. */
      readonly response: Buffer;
      readonly firstSeenAt: number;
      readonly answeredAt: number;
      readonly duplicates: number;
    };

export type DuplicateCompleteOutcome =
  /** The window is open. */
  | 'recorded'
  /** The key was not in flight: expired, evicted, purged by a new authenticator, or completed twice. */
  | 'not-in-flight'
  /** Profile `none`: nothing is tracked. */
  | 'detection-off';

export interface DuplicateCacheStats {
  readonly new: number;
  readonly discardedInFlight: number;
  readonly discardedRecentlyAnswered: number;
  readonly discardedRecentlyDropped: number;
  readonly replayed: number;
  readonly purgedByNewAuthenticator: number;
  readonly evicted: number;
  readonly expiredInFlight: number;
  readonly expiredAnswered: number;
  readonly completedNotInFlight: number;
}

export interface DuplicateCache {
  readonly settings: DuplicateSettings;
  /** Classifies a request; a 'new' key is registered as in flight. */
  check(key: DuplicateKeyParts): DuplicateCheck;
  /** The server has answered (`response`) or decided to stay silent (`null`): opens the window. */
  complete(key: DuplicateKeyParts, response: Buffer | null): DuplicateCompleteOutcome;
  /** Entries held now (in flight + answered), after dropping expired ones. */
  readonly size: number;
  /** Drops expired entries now; returns how many. Packets do this too, so calling it is optional. */
  purgeExpired(): number;
  stats(): DuplicateCacheStats;
}

export interface DuplicateCacheOptions {
  readonly profile?: DuplicateProfileName;
  readonly windowMs?: number;
  readonly inFlightTimeoutMs?: number;
  readonly maxEntries?: number;
  readonly clock: Clock;
}

type MutableStats = { -readonly [K in keyof DuplicateCacheStats]: number };

/** Throws DuplicateConfigError (all issues at once) when the options do not validate. */
export function createDuplicateCache(options: DuplicateCacheOptions): DuplicateCache {
  const { clock, ...input } = options;
  const result = normaliseDuplicateSettings(input);
  if (!result.ok) throw new DuplicateConfigError(result.issues);
  return new SlotDuplicateCache(result.settings, clock);
}

/** `check` answers for a new key: one object, since callers only read it. */
const NEW: DuplicateCheck = { kind: 'new' };

class SlotDuplicateCache implements DuplicateCache {
  private readonly slots: SlotStore;
  private readonly counters: MutableStats = {
    new: 0,
    discardedInFlight: 0,
    discardedRecentlyAnswered: 0,
    discardedRecentlyDropped: 0,
    replayed: 0,
    purgedByNewAuthenticator: 0,
    evicted: 0,
    expiredInFlight: 0,
    expiredAnswered: 0,
    completedNotInFlight: 0,
  };

  constructor(
    readonly settings: DuplicateSettings,
    private readonly clock: Clock,
  ) {
    this.slots = new SlotStore(settings.maxEntries, {
      credentials: settings.profile.keyIncludesCredentials,
      responses: settings.profile.afterResponse === 'replay',
    });
  }

  check(key: DuplicateKeyParts): DuplicateCheck {
    const { profile } = this.settings;
    if (!profile.detects) {
      this.counters.new++;
      return NEW;
    }
    this.fill(key);
    const now = this.clock.now();
    this.expire(now);

    const existing = this.slots.find();
    if (existing !== NONE) return this.duplicate(existing, now);

    let supersedes: 'in-flight' | 'answered' | undefined;
    if (profile.purgeOnNewAuthenticator) {
      const previous = this.slots.findBase();
      if (previous !== NONE) {
        supersedes = this.slots.isAnswered(previous) ? 'answered' : 'in-flight';
        this.slots.remove(previous);
        this.counters.purgedByNewAuthenticator++;
      }
    }
    this.makeRoom();
    this.slots.insert(now, now + this.settings.inFlightTimeoutMs, profile.purgeOnNewAuthenticator);
    this.counters.new++;
    return supersedes === undefined ? NEW : { kind: 'new', supersedes };
  }

  /** The store's probe filled with `key`, after the checks a string key made (same errors). */
  private fill(key: DuplicateKeyParts): void {
    checkDuplicateKeyParts(key);
    const credential = this.settings.profile.keyIncludesCredentials
      ? credentialDigest(key.userName ?? '', key.userPassword ?? '')
      : undefined;
    this.slots.setProbe(
      key.clientAddress,
      key.clientPort,
      key.identifier,
      key.requestAuthenticator,
      credential,
    );
  }

  complete(key: DuplicateKeyParts, response: Buffer | null): DuplicateCompleteOutcome {
    const { profile, windowMs } = this.settings;
    if (!profile.detects) return 'detection-off';
    this.fill(key);
    const now = this.clock.now();
    this.expire(now);

    const slot = this.slots.find();
    if (slot === NONE || this.slots.isAnswered(slot)) {
      this.counters.completedNotInFlight++;
      return 'not-in-flight';
    }
    // Moving between the lists keeps the total, so no eviction is needed here.
    this.slots.answer(
      slot,
      now,
      now + windowMs,
      response === null,
      response !== null && profile.afterResponse === 'replay' ? response : undefined,
    );
    return 'recorded';
  }

  get size(): number {
    this.expire(this.clock.now());
    return this.slots.size;
  }

  purgeExpired(): number {
    return this.expire(this.clock.now());
  }

  stats(): DuplicateCacheStats {
    return { ...this.counters };
  }

  private duplicate(slot: number, now: number): DuplicateCheck {
    const { profile, windowMs } = this.settings;
    const slots = this.slots;
    const duplicates = slots.countDuplicate(slot);
    const firstSeenAt = slots.firstSeenAt(slot);
    if (!slots.isAnswered(slot)) {
      this.counters.discardedInFlight++;
      return { kind: 'discard', reason: 'in-flight', firstSeenAt, duplicates };
    }
    if (profile.extendWindowOnDuplicate) slots.extend(slot, now + windowMs);
    const answeredAt = slots.answeredAt(slot);
    if (slots.isDropped(slot)) {
      this.counters.discardedRecentlyDropped++;
      return { kind: 'discard', reason: 'recently-dropped', firstSeenAt, answeredAt, duplicates };
    }
    const response = slots.responseOf(slot);
    if (response !== undefined) {
      this.counters.replayed++;
      return { kind: 'replay', response, firstSeenAt, answeredAt, duplicates };
    }
    this.counters.discardedRecentlyAnswered++;
    return { kind: 'discard', reason: 'recently-answered', firstSeenAt, answeredAt, duplicates };
  }

  /** Pops expired entries off the front of both lists; stops at the first live one. */
  private expire(now: number): number {
    return this.expireList(IN_FLIGHT, now) + this.expireList(ANSWERED, now);
  }

  private expireList(list: ListId, now: number): number {
    const slots = this.slots;
    let removed = 0;
    for (
      let slot = slots.oldest(list);
      slot !== NONE && slots.expiresAt(slot) <= now;
      slot = slots.oldest(list)
    ) {
      slots.remove(slot);
      removed++;
    }
    if (list === IN_FLIGHT) this.counters.expiredInFlight += removed;
    else this.counters.expiredAnswered += removed;
    return removed;
  }

  private makeRoom(): void {
    const slots = this.slots;
    while (slots.size >= this.settings.maxEntries) {
      const answered = slots.oldest(ANSWERED);
      const victim = answered !== NONE ? answered : slots.oldest(IN_FLIGHT);
      if (victim === NONE) return;
      slots.remove(victim);
      this.counters.evicted++;
    }
  }
}
