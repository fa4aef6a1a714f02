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
// Memory: one index from key to entry (key-index.ts: hashed fields, no strings), and two expiry lists (in flight, answered) whose order is
// expiry order: each holds entries of one fixed lifetime, and an entry whose window is extended
// moves to the end. Expiry pops from the front, amortised O(1) per packet, with no scan. At
// maxEntries the oldest entry goes first, answered entries before in-flight ones, since dropping
// an in-flight entry lets the very next retransmission start a second MFA prompt.

import type { Clock } from '../../runtime/clock.ts';
import { DuplicateConfigError } from './errors.ts';
import { ExpiryList } from './expiry-list.ts';
import type { ListNode } from './expiry-list.ts';
import { checkDuplicateKeyParts, credentialDigest } from './key.ts';
import type { DuplicateKeyParts } from './key.ts';
import { KeyIndex, KeyProbe, baseHashOf, fullHashOf, sameBase, sameKey } from './key-index.ts';
import type { KeyFields } from './key-index.ts';
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

/**
 * One key's record. Entries are reused once removed (see `spare`): every request adds one that
 * outlives the young generation, and allocating a fresh one each time made the collector copy and
 * later sweep each of them.
 */
class Entry implements ListNode<Entry>, KeyFields {
  address = '';
  port = 0;
  identifier = 0;
  auth0 = 0;
  auth1 = 0;
  auth2 = 0;
  auth3 = 0;
  credential: string | undefined = undefined;
  baseHash = 0;
  fullHash = 0;
  firstSeenAt = 0;
  state: 'in-flight' | 'answered' = 'in-flight';
  answeredAt = Number.NaN;
  /** In flight: when the entry is forgotten; answered: the end of the window. Exclusive. */
  expiresAt = 0;
  /** undefined: the server sent nothing, or the profile discards and need not keep it. */
  response: Buffer | undefined = undefined;
  dropped = false;
  duplicates = 0;
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;

  /** A new in-flight record for the key in `probe`. */
  start(probe: KeyProbe, now: number, expiresAt: number): this {
    this.address = probe.address;
    this.port = probe.port;
    this.identifier = probe.identifier;
    this.auth0 = probe.auth0;
    this.auth1 = probe.auth1;
    this.auth2 = probe.auth2;
    this.auth3 = probe.auth3;
    this.credential = probe.credential;
    this.baseHash = probe.baseHash;
    this.fullHash = probe.fullHash;
    this.firstSeenAt = now;
    this.state = 'in-flight';
    this.answeredAt = Number.NaN;
    this.expiresAt = expiresAt;
    this.response = undefined;
    this.dropped = false;
    this.duplicates = 0;
    this.prev = undefined;
    this.next = undefined;
    return this;
  }
}

/** Removed entries kept for reuse, at most: enough for a steady flow of evictions and expiries. */
const SPARE_LIMIT = 1024;

type MutableStats = { -readonly [K in keyof DuplicateCacheStats]: number };

/** Throws DuplicateConfigError (all issues at once) when the options do not validate. */
export function createDuplicateCache(options: DuplicateCacheOptions): DuplicateCache {
  const { clock, ...input } = options;
  const result = normaliseDuplicateSettings(input);
  if (!result.ok) throw new DuplicateConfigError(result.issues);
  return new ListDuplicateCache(result.settings, clock);
}

/** `check` answers for a new key: one object, since callers only read it. */
const NEW: DuplicateCheck = { kind: 'new' };

class ListDuplicateCache implements DuplicateCache {
  private readonly entries = new KeyIndex<Entry>(fullHashOf, sameKey);
  private count = 0;
  private readonly inFlight = new ExpiryList<Entry>();
  private readonly answered = new ExpiryList<Entry>();
  /** (address, port, Identifier) -> the entry, for profiles that purge on a new authenticator. */
  private readonly byBase = new KeyIndex<Entry>(baseHashOf, sameBase);
  private readonly probe = new KeyProbe();
  private readonly spare: Entry[] = [];
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
  ) {}

  check(key: DuplicateKeyParts): DuplicateCheck {
    const { profile } = this.settings;
    if (!profile.detects) {
      this.counters.new++;
      return NEW;
    }
    const probe = this.fill(key);
    const now = this.clock.now();
    this.expire(now);

    const existing = this.entries.get(probe);
    if (existing !== undefined) return this.duplicate(existing, now);

    let supersedes: 'in-flight' | 'answered' | undefined;
    if (profile.purgeOnNewAuthenticator) {
      const previous = this.byBase.get(probe);
      if (previous !== undefined) {
        supersedes = previous.state;
        this.remove(previous);
        this.counters.purgedByNewAuthenticator++;
      }
    }
    this.makeRoom();
    const entry = (this.spare.pop() ?? new Entry()).start(probe, now, now + this.settings.inFlightTimeoutMs);
    this.entries.add(entry);
    this.count++;
    this.inFlight.append(entry);
    if (profile.purgeOnNewAuthenticator) this.byBase.add(entry);
    this.counters.new++;
    return supersedes === undefined ? NEW : { kind: 'new', supersedes };
  }

  /** The probe filled with `key`, after the checks a string key made (same errors). */
  private fill(key: DuplicateKeyParts): KeyProbe {
    checkDuplicateKeyParts(key);
    const credential = this.settings.profile.keyIncludesCredentials
      ? credentialDigest(key.userName ?? '', key.userPassword ?? '')
      : undefined;
    return this.probe.fill(
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
    const probe = this.fill(key);
    const now = this.clock.now();
    this.expire(now);

    const entry = this.entries.get(probe);
    if (entry?.state !== 'in-flight') {
      this.counters.completedNotInFlight++;
      return 'not-in-flight';
    }
    // Moving between the lists keeps the total, so no eviction is needed here.
    this.inFlight.unlink(entry);
    entry.state = 'answered';
    entry.answeredAt = now;
    entry.expiresAt = now + windowMs;
    entry.dropped = response === null;
    entry.response = response !== null && profile.afterResponse === 'replay' ? response : undefined;
    this.answered.append(entry);
    return 'recorded';
  }

  get size(): number {
    this.expire(this.clock.now());
    return this.count;
  }

  purgeExpired(): number {
    return this.expire(this.clock.now());
  }

  stats(): DuplicateCacheStats {
    return { ...this.counters };
  }

  private duplicate(entry: Entry, now: number): DuplicateCheck {
    const { profile, windowMs } = this.settings;
    entry.duplicates++;
    const { firstSeenAt, duplicates } = entry;
    if (entry.state === 'in-flight') {
      this.counters.discardedInFlight++;
      return { kind: 'discard', reason: 'in-flight', firstSeenAt, duplicates };
    }
    if (profile.extendWindowOnDuplicate) {
      entry.expiresAt = now + windowMs;
      // To the end, so the list's order stays the expiry order.
      this.answered.unlink(entry);
      this.answered.append(entry);
    }
    const { answeredAt } = entry;
    if (entry.dropped) {
      this.counters.discardedRecentlyDropped++;
      return { kind: 'discard', reason: 'recently-dropped', firstSeenAt, answeredAt, duplicates };
    }
    if (entry.response !== undefined) {
      this.counters.replayed++;
      return { kind: 'replay', response: entry.response, firstSeenAt, answeredAt, duplicates };
    }
    this.counters.discardedRecentlyAnswered++;
    return { kind: 'discard', reason: 'recently-answered', firstSeenAt, answeredAt, duplicates };
  }

  /** Pops expired entries off the front of both lists; stops at the first live one. */
  private expire(now: number): number {
    let removed = 0;
    for (
      let entry = this.inFlight.oldest();
      entry !== undefined && entry.expiresAt <= now;
      entry = this.inFlight.oldest()
    ) {
      this.remove(entry);
      this.counters.expiredInFlight++;
      removed++;
    }
    for (
      let entry = this.answered.oldest();
      entry !== undefined && entry.expiresAt <= now;
      entry = this.answered.oldest()
    ) {
      this.remove(entry);
      this.counters.expiredAnswered++;
      removed++;
    }
    return removed;
  }

  private makeRoom(): void {
    while (this.count >= this.settings.maxEntries) {
      const victim = this.answered.oldest() ?? this.inFlight.oldest();
      if (victim === undefined) return;
      this.remove(victim);
      this.counters.evicted++;
    }
  }

  private remove(entry: Entry): void {
    (entry.state === 'in-flight' ? this.inFlight : this.answered).unlink(entry);
    this.entries.delete(entry);
    this.count--;
    // Only the newest entry of an (address, port, Identifier) is indexed by it.
    this.byBase.delete(entry);
    entry.response = undefined;
    if (this.spare.length < SPARE_LIMIT) this.spare.push(entry);
  }
}
