// The duplicate key held without strings. Building "address|port|Identifier|base64(authenticator)"
// for every packet, and hashing it in a Map, was a tenth of the server's CPU under load; here a key is
// the address (as the transport reported it), port, Identifier and the authenticator as four 32-bit
// words, hashed into a small integer. Equal hashes are compared field by field, so two keys collide
// only in where they are stored, never in what the cache decides.

/** A duplicate key in fields: what an entry keeps and what a probe is filled with. */
export interface KeyFields {
  readonly address: string;
  readonly port: number;
  readonly identifier: number;
  /** The Request Authenticator, octets 0-3, 4-7, 8-11, 12-15 as little-endian int32 words. */
  readonly auth0: number;
  readonly auth1: number;
  readonly auth2: number;
  readonly auth3: number;
  /** Profiles whose key holds credentials (`duo`): a digest of them; undefined otherwise. */
  readonly credential: string | undefined;
  /** Of (address, port, Identifier). */
  readonly baseHash: number;
  /** Of the whole key (the credential aside: equal keys but for it share a bucket). */
  readonly fullHash: number;
}

/** Small integers, so a Map holds them unboxed. */
export const KEY_HASH_MASK = 0x3fff_ffff;

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

/** A reusable, mutable KeyFields: one per cache, filled per packet, so a lookup allocates nothing. */
export class KeyProbe implements KeyFields {
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

  /** `authenticator` must hold 16 octets (the caller has checked). */
  fill(
    address: string,
    port: number,
    identifier: number,
    authenticator: Uint8Array,
    credential: string | undefined,
  ): this {
    this.address = address;
    this.port = port;
    this.identifier = identifier;
    this.auth0 = word(authenticator, 0);
    this.auth1 = word(authenticator, 4);
    this.auth2 = word(authenticator, 8);
    this.auth3 = word(authenticator, 12);
    this.credential = credential;
    const base = mix(stringHash(address) ^ ((port << 8) | identifier));
    this.baseHash = base & KEY_HASH_MASK;
    this.fullHash =
      mix(base ^ mix(this.auth0 ^ mix(this.auth1 ^ mix(this.auth2 ^ mix(this.auth3))))) & KEY_HASH_MASK;
    return this;
  }
}

export function sameBase(a: KeyFields, b: KeyFields): boolean {
  return a.port === b.port && a.identifier === b.identifier && a.address === b.address;
}

export function sameKey(a: KeyFields, b: KeyFields): boolean {
  return (
    a.auth0 === b.auth0 &&
    a.auth1 === b.auth1 &&
    a.auth2 === b.auth2 &&
    a.auth3 === b.auth3 &&
    sameBase(a, b) &&
    a.credential === b.credential
  );
}

/**
 * Entries by key: a Map from hash to the entry, or to the few entries sharing that hash. `hashOf`
 * picks which hash (base or full) and `equal` the matching equality; `mask` narrows the hash (tests
 * use a tiny one to make every key collide).
 */
export class KeyIndex<E extends KeyFields> {
  private readonly buckets = new Map<number, E | E[]>();

  constructor(
    private readonly hashOf: (key: KeyFields) => number,
    private readonly equal: (a: KeyFields, b: KeyFields) => boolean,
    private readonly mask: number = KEY_HASH_MASK,
  ) {}

  get(key: KeyFields): E | undefined {
    const bucket = this.buckets.get(this.hashOf(key) & this.mask);
    if (bucket === undefined) return undefined;
    if (!Array.isArray(bucket)) return this.equal(bucket, key) ? bucket : undefined;
    for (const entry of bucket) if (this.equal(entry, key)) return entry;
    return undefined;
  }

  /** The caller makes sure no equal entry is held. */
  add(entry: E): void {
    const hash = this.hashOf(entry) & this.mask;
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, entry);
    else if (Array.isArray(bucket)) bucket.push(entry);
    else this.buckets.set(hash, [bucket, entry]);
  }

  /** Removes this very entry (by identity); false when it is not held. */
  delete(entry: E): boolean {
    const hash = this.hashOf(entry) & this.mask;
    const bucket = this.buckets.get(hash);
    if (bucket === entry) return this.buckets.delete(hash);
    if (bucket === undefined || !Array.isArray(bucket)) return false;
    const at = bucket.indexOf(entry);
    if (at < 0) return false;
    bucket.splice(at, 1);
    if (bucket.length === 1) this.buckets.set(hash, bucket[0] as E);
    return true;
  }

  clear(): void {
    this.buckets.clear();
  }
}

export const fullHashOf = (key: KeyFields): number => key.fullHash;
export const baseHashOf = (key: KeyFields): number => key.baseHash;
