// The duplicate cache's entries as columns of typed arrays, one row (a slot) per entry, with the
// key index and the two expiry lists as slot numbers in the same arrays.
//
// Why not an object per entry: at a NAS fleet's rate every request adds an entry that lives for the
// whole window (10 s under `nps`), so each one outlived the young generation and was copied and
// promoted by the collector: under `radmfa serve` at 16,000 PAP logins/s that was all the memory a
// scavenge promoted (about 290 bytes a request) and the old generation's growth between full
// collections, whose pauses decided the p99 of the max-rate benchmark. Here an entry is numbers in
// arrays that live as long as the cache: nothing per request for the collector, and under a tenth of
// the memory of an entry object, its boxed numbers, its Map slots and its address string.
//
// The key (source address, port, Identifier, Request Authenticator, and for `duo` a credential
// digest) is compared field by field after a hash match, so two keys collide only in where they are
// stored, never in what the cache decides. Source addresses are interned as small integers and
// counted, so the table of them holds only addresses that some entry still uses.

export const NONE = -1;
export const IN_FLIGHT = 0;
export const ANSWERED = 1;
export type ListId = typeof IN_FLIGHT | typeof ANSWERED;

const FLAG_ANSWERED = 1;
const FLAG_DROPPED = 2;
const FLAG_BASE_INDEXED = 4;

/** The first capacity allocated; it doubles as entries arrive, up to the cache's maxEntries. */
const INITIAL_CAPACITY = 1024;

export interface SlotStoreOptions {
  /** Keep a credential digest per entry (`duo`). */
  readonly credentials: boolean;
  /** Keep a response per entry (replaying profiles). */
  readonly responses: boolean;
  /** Slots allocated at first (default 1024): tests make it tiny to grow often. */
  readonly initialCapacity?: number;
  /** Hash buckets at most (default: twice the capacity): tests use 1 so every key shares a bucket. */
  readonly maxBuckets?: number;
}

/** murmur3's finaliser: every input bit moves every output bit. */
function mix(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return h ^ (h >>> 16);
}

function stringHash(text: string): number {
  let h = 0x811c_9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x0100_0193);
  return h;
}

function word(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/** The smallest power of two holding twice `capacity`: chains stay short. */
function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(from: T, length: number, fill?: number): T {
  const to = new (from.constructor as new (n: number) => T)(length);
  to.set(from);
  if (fill !== undefined) to.fill(fill, from.length);
  return to;
}

/** Source addresses as small integers, each counted by the entries that use it. */
class AddressTable {
  private readonly ids = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];

  /** The id of `address` when some entry uses it; NONE otherwise (a lookup adds nothing). */
  find(address: string): number {
    return this.ids.get(address) ?? NONE;
  }

  acquire(address: string): number {
    let id = this.ids.get(address);
    if (id === undefined) {
      id = this.free.pop() ?? this.texts.length;
      this.ids.set(address, id);
      this.texts[id] = address;
      this.refs[id] = 0;
    }
    this.refs[id] = (this.refs[id] as number) + 1;
    return id;
  }

  release(id: number): void {
    const refs = (this.refs[id] as number) - 1;
    this.refs[id] = refs;
    if (refs > 0) return;
    this.ids.delete(this.texts[id] as string);
    this.texts[id] = '';
    this.free.push(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

export class SlotStore {
  private capacity = 0;
  private count = 0;
  private freeHead = NONE;
  private readonly addresses = new AddressTable();

  // The key, per slot.
  private address = new Int32Array(0);
  private port = new Int32Array(0);
  private identifier = new Uint8Array(0);
  /** Four words per slot: the Request Authenticator's octets 0-3, 4-7, 8-11, 12-15. */
  private auth = new Int32Array(0);
  private baseHash = new Int32Array(0);
  private fullHash = new Int32Array(0);
  /** `duo` only (its key holds a credential digest); undefined for the other profiles. */
  private readonly credential: (string | undefined)[] | undefined;

  // The state, per slot.
  private firstSeen = new Float64Array(0);
  private answered = new Float64Array(0);
  private expires = new Float64Array(0);
  private flags = new Uint8Array(0);
  private duplicateCount = new Int32Array(0);
  /** Replaying profiles only: the cached response to resend. */
  private readonly response: (Buffer | undefined)[] | undefined;

  // Links: the expiry lists (prev/next; next also chains free slots) and the two hash chains.
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private fullNext = new Int32Array(0);
  private baseNext = new Int32Array(0);
  private fullHeads = new Int32Array(0);
  private baseHeads = new Int32Array(0);
  private mask = 0;
  private readonly heads = new Int32Array([NONE, NONE]);
  private readonly tails = new Int32Array([NONE, NONE]);

  // The probe: the key of the packet being looked at, filled once per check or complete.
  private probeAddressText = '';
  private probeAddress = NONE;
  private probePort = 0;
  private probeIdentifier = 0;
  private probeAuth0 = 0;
  private probeAuth1 = 0;
  private probeAuth2 = 0;
  private probeAuth3 = 0;
  private probeCredential: string | undefined = undefined;
  private probeBase = 0;
  private probeFull = 0;

  private readonly maxBuckets: number;

  constructor(
    private readonly maxEntries: number,
    options: SlotStoreOptions,
  ) {
    this.credential = options.credentials ? [] : undefined;
    this.response = options.responses ? [] : undefined;
    this.maxBuckets = options.maxBuckets ?? Number.POSITIVE_INFINITY;
    this.grow(Math.min(options.initialCapacity ?? INITIAL_CAPACITY, maxEntries));
  }

  get size(): number {
    return this.count;
  }

  /** Distinct source addresses the entries hold (tests: the table empties with the cache). */
  get addressCount(): number {
    return this.addresses.size;
  }

  /** Sets the key that find(), findBase() and insert() use. `authenticator` holds 16 octets. */
  setProbe(
    address: string,
    port: number,
    identifier: number,
    authenticator: Uint8Array,
    credential: string | undefined,
  ): void {
    this.probeAddressText = address;
    this.probeAddress = this.addresses.find(address);
    this.probePort = port;
    this.probeIdentifier = identifier;
    this.probeAuth0 = word(authenticator, 0);
    this.probeAuth1 = word(authenticator, 4);
    this.probeAuth2 = word(authenticator, 8);
    this.probeAuth3 = word(authenticator, 12);
    this.probeCredential = credential;
    // Hashed by its text, not its id: an address no entry uses yet has no id (and matches nothing).
    const base = mix(stringHash(address) ^ ((port << 8) | identifier));
    this.probeBase = base;
    this.probeFull = mix(
      base ^ mix(this.probeAuth0 ^ mix(this.probeAuth1 ^ mix(this.probeAuth2 ^ mix(this.probeAuth3)))),
    );
  }

  /** The slot holding the probe's full key, or NONE. */
  find(): number {
    if (this.probeAddress === NONE) return NONE;
    for (let slot = this.fullHeads[this.probeFull & this.mask] as number; slot !== NONE;) {
      if (this.fullHash[slot] === this.probeFull && this.sameFull(slot)) return slot;
      slot = this.fullNext[slot] as number;
    }
    return NONE;
  }

  /** The base-indexed slot with the probe's (address, port, Identifier), or NONE. */
  findBase(): number {
    if (this.probeAddress === NONE) return NONE;
    for (let slot = this.baseHeads[this.probeBase & this.mask] as number; slot !== NONE;) {
      if (this.baseHash[slot] === this.probeBase && this.sameBase(slot)) return slot;
      slot = this.baseNext[slot] as number;
    }
    return NONE;
  }

  /**
   * A new in-flight entry for the probe's key, at the end of the in-flight list. The caller makes
   * room first (size below maxEntries) and makes sure no entry has the same key.
   */
  insert(now: number, expiresAt: number, indexBase: boolean): number {
    if (this.freeHead === NONE) this.grow(Math.min(this.capacity * 2, this.maxEntries));
    const slot = this.freeHead;
    this.freeHead = this.next[slot] as number;
    this.count++;
    // The probe's id too: a duplicate of this key later in the same tick must find it.
    this.probeAddress = this.addresses.acquire(this.probeAddressText);
    this.address[slot] = this.probeAddress;
    this.port[slot] = this.probePort;
    this.identifier[slot] = this.probeIdentifier;
    const a = slot * 4;
    this.auth[a] = this.probeAuth0;
    this.auth[a + 1] = this.probeAuth1;
    this.auth[a + 2] = this.probeAuth2;
    this.auth[a + 3] = this.probeAuth3;
    if (this.credential !== undefined) this.credential[slot] = this.probeCredential;
    this.baseHash[slot] = this.probeBase;
    this.fullHash[slot] = this.probeFull;
    this.firstSeen[slot] = now;
    this.answered[slot] = Number.NaN;
    this.expires[slot] = expiresAt;
    this.flags[slot] = indexBase ? FLAG_BASE_INDEXED : 0;
    this.duplicateCount[slot] = 0;
    this.link(this.fullHeads, this.fullNext, this.probeFull & this.mask, slot);
    if (indexBase) this.link(this.baseHeads, this.baseNext, this.probeBase & this.mask, slot);
    this.append(IN_FLIGHT, slot);
    return slot;
  }

  /** Unlinks, unindexes and frees the slot. */
  remove(slot: number): void {
    const flags = this.flags[slot] as number;
    this.unlinkFromList(flags & FLAG_ANSWERED ? ANSWERED : IN_FLIGHT, slot);
    this.unlink(this.fullHeads, this.fullNext, (this.fullHash[slot] as number) & this.mask, slot);
    if (flags & FLAG_BASE_INDEXED) {
      this.unlink(this.baseHeads, this.baseNext, (this.baseHash[slot] as number) & this.mask, slot);
    }
    this.addresses.release(this.address[slot] as number);
    if (this.credential !== undefined) this.credential[slot] = undefined;
    if (this.response !== undefined) this.response[slot] = undefined;
    this.flags[slot] = 0;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.count--;
  }

  /** Moves an in-flight slot to the end of the answered list, its window open until `expiresAt`. */
  answer(slot: number, now: number, expiresAt: number, dropped: boolean, response: Buffer | undefined): void {
    this.unlinkFromList(IN_FLIGHT, slot);
    this.flags[slot] =
      ((this.flags[slot] as number) & FLAG_BASE_INDEXED) | FLAG_ANSWERED | (dropped ? FLAG_DROPPED : 0);
    this.answered[slot] = now;
    this.expires[slot] = expiresAt;
    if (this.response !== undefined) this.response[slot] = response;
    this.append(ANSWERED, slot);
  }

  /** A new expiry for an answered slot, which moves to the end of its list (the order stays the expiry order). */
  extend(slot: number, expiresAt: number): void {
    this.expires[slot] = expiresAt;
    this.unlinkFromList(ANSWERED, slot);
    this.append(ANSWERED, slot);
  }

  /** One more duplicate of the slot's key; the count so far, this one included. */
  countDuplicate(slot: number): number {
    const duplicates = (this.duplicateCount[slot] as number) + 1;
    this.duplicateCount[slot] = duplicates;
    return duplicates;
  }

  oldest(list: ListId): number {
    return this.heads[list] as number;
  }

  isAnswered(slot: number): boolean {
    return ((this.flags[slot] as number) & FLAG_ANSWERED) !== 0;
  }

  isDropped(slot: number): boolean {
    return ((this.flags[slot] as number) & FLAG_DROPPED) !== 0;
  }

  expiresAt(slot: number): number {
    return this.expires[slot] as number;
  }

  firstSeenAt(slot: number): number {
    return this.firstSeen[slot] as number;
  }

  answeredAt(slot: number): number {
    return this.answered[slot] as number;
  }

  responseOf(slot: number): Buffer | undefined {
    return this.response?.[slot];
  }

  // ---------------------------------------------------------------------------------------------

  private sameBase(slot: number): boolean {
    return (
      this.port[slot] === this.probePort &&
      this.identifier[slot] === this.probeIdentifier &&
      this.address[slot] === this.probeAddress
    );
  }

  private sameFull(slot: number): boolean {
    const a = slot * 4;
    return (
      this.auth[a] === this.probeAuth0 &&
      this.auth[a + 1] === this.probeAuth1 &&
      this.auth[a + 2] === this.probeAuth2 &&
      this.auth[a + 3] === this.probeAuth3 &&
      this.sameBase(slot) &&
      (this.credential === undefined || this.credential[slot] === this.probeCredential)
    );
  }

  private link(heads: Int32Array, chain: Int32Array, bucket: number, slot: number): void {
    chain[slot] = heads[bucket] as number;
    heads[bucket] = slot;
  }

  private unlink(heads: Int32Array, chain: Int32Array, bucket: number, slot: number): void {
    let at = heads[bucket] as number;
    if (at === slot) {
      heads[bucket] = chain[slot] as number;
      return;
    }
    while (at !== NONE) {
      const after = chain[at] as number;
      if (after === slot) {
        chain[at] = chain[slot] as number;
        return;
      }
      at = after;
    }
  }

  private append(list: ListId, slot: number): void {
    const tail = this.tails[list] as number;
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) this.heads[list] = slot;
    else this.next[tail] = slot;
    this.tails[list] = slot;
  }

  private unlinkFromList(list: ListId, slot: number): void {
    const before = this.prev[slot] as number;
    const after = this.next[slot] as number;
    if (before === NONE) this.heads[list] = after;
    else this.next[before] = after;
    if (after === NONE) this.tails[list] = before;
    else this.prev[after] = before;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
  }

  /** Room for `capacity` slots; the hash tables are rebuilt for the new size. */
  private grow(capacity: number): void {
    if (capacity <= this.capacity) throw new Error('the duplicate cache is full: make room before insert');
    const from = this.capacity;
    this.address = grown(this.address, capacity);
    this.port = grown(this.port, capacity);
    this.identifier = grown(this.identifier, capacity);
    this.auth = grown(this.auth, capacity * 4);
    this.baseHash = grown(this.baseHash, capacity);
    this.fullHash = grown(this.fullHash, capacity);
    this.firstSeen = grown(this.firstSeen, capacity);
    this.answered = grown(this.answered, capacity);
    this.expires = grown(this.expires, capacity);
    this.flags = grown(this.flags, capacity);
    this.duplicateCount = grown(this.duplicateCount, capacity);
    this.prev = grown(this.prev, capacity, NONE);
    this.next = grown(this.next, capacity, NONE);
    this.fullNext = grown(this.fullNext, capacity, NONE);
    this.baseNext = grown(this.baseNext, capacity, NONE);
    this.capacity = capacity;
    // The new slots join the free list, lowest first.
    for (let slot = capacity - 1; slot >= from; slot--) {
      this.next[slot] = this.freeHead;
      this.freeHead = slot;
    }
    this.rebuildIndexes();
  }

  private rebuildIndexes(): void {
    const size = Math.min(tableSizeFor(this.capacity), this.maxBuckets);
    this.mask = size - 1;
    this.fullHeads = new Int32Array(size).fill(NONE);
    this.baseHeads = new Int32Array(size).fill(NONE);
    for (const list of [IN_FLIGHT, ANSWERED] as const) {
      for (let slot = this.heads[list] as number; slot !== NONE; slot = this.next[slot] as number) {
        this.link(this.fullHeads, this.fullNext, (this.fullHash[slot] as number) & this.mask, slot);
        if ((this.flags[slot] as number) & FLAG_BASE_INDEXED) {
          this.link(this.baseHeads, this.baseNext, (this.baseHash[slot] as number) & this.mask, slot);
        }
      }
    }
  }
}
