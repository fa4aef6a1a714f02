// RADIUS Identifiers are one octet, so a source socket can have at most 256 requests outstanding to
// a server (RFC 2865 3, RFC 5080 2.2.1). The allocator hands out the Identifier released longest
// ago: a late reply to an old request then needs to arrive very late indeed to be mistaken for the
// reply to a new request that happens to reuse its Identifier.
//
// The free list is a ring of 256 slots and the outstanding set one flag per Identifier, so
// allocate and release are O(1) with no allocation: they run once per request on the load path.

export const IDENTIFIER_SPACE = 256;

export class IdentifierAllocator {
  /** Free Identifiers, least recently released first, from `head` for `freeCount` slots (wrapping). */
  private readonly ring = new Uint8Array(IDENTIFIER_SPACE);
  private head = 0;
  private freeCount = IDENTIFIER_SPACE;
  private readonly flags = new Uint8Array(IDENTIFIER_SPACE);
  private outstanding = 0;

  /** `first` is the Identifier handed out first on a fresh socket; the others follow in order. */
  constructor(first = 0) {
    for (let i = 0; i < IDENTIFIER_SPACE; i++) this.ring[i] = (first + i) % IDENTIFIER_SPACE;
  }

  /** The least recently released free Identifier, or undefined when all 256 are outstanding. */
  allocate(): number | undefined {
    if (this.freeCount === 0) return undefined;
    const identifier = this.ring[this.head] as number;
    this.head = (this.head + 1) & 0xff;
    this.freeCount--;
    this.flags[identifier] = 1;
    this.outstanding++;
    return identifier;
  }

  /** Makes an Identifier free again; false (and no change) if it was not outstanding. */
  release(identifier: number): boolean {
    if (!this.isOutstanding(identifier)) return false;
    this.flags[identifier] = 0;
    this.outstanding--;
    this.ring[(this.head + this.freeCount) & 0xff] = identifier;
    this.freeCount++;
    return true;
  }

  isOutstanding(identifier: number): boolean {
    return Number.isInteger(identifier) && identifier >= 0 && identifier < IDENTIFIER_SPACE
      ? this.flags[identifier] === 1
      : false;
  }

  get outstandingCount(): number {
    return this.outstanding;
  }

  get availableCount(): number {
    return this.freeCount;
  }
}
