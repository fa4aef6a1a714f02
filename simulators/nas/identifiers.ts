// RADIUS Identifiers are one octet, so a source socket can have at most 256 requests outstanding to
// a server (RFC 2865 3, RFC 5080 2.2.1). The allocator hands out the Identifier released longest
// ago: a late reply to an old request then needs to arrive very late indeed to be mistaken for the
// reply to a new request that happens to reuse its Identifier.

export const IDENTIFIER_SPACE = 256;

export class IdentifierAllocator {
  /** Free Identifiers, least recently released first. */
  private readonly free: number[] = [];
  private readonly outstanding = new Set<number>();

  /** `first` is the Identifier handed out first on a fresh socket; the others follow in order. */
  constructor(first = 0) {
    for (let i = 0; i < IDENTIFIER_SPACE; i++) this.free.push((first + i) % IDENTIFIER_SPACE);
  }

  /** The least recently released free Identifier, or undefined when all 256 are outstanding. */
  allocate(): number | undefined {
    const identifier = this.free.shift();
    if (identifier !== undefined) this.outstanding.add(identifier);
    return identifier;
  }

  /** Makes an Identifier free again; false (and no change) if it was not outstanding. */
  release(identifier: number): boolean {
    if (!this.outstanding.delete(identifier)) return false;
    this.free.push(identifier);
    return true;
  }

  isOutstanding(identifier: number): boolean {
    return this.outstanding.has(identifier);
  }

  get outstandingCount(): number {
    return this.outstanding.size;
  }

  get availableCount(): number {
    return this.free.length;
  }
}
