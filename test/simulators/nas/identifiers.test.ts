import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { MemoryNetwork } from '../../../runtime/memory-transport.ts';
import { IDENTIFIER_SPACE, IdentifierAllocator, NasError } from '../../../simulators/nas/index.ts';
import { SocketPool, type Lease } from '../../../simulators/nas/socket-pool.ts';

/**
 * Allocate twice as often as release, so sequences drift up to all 256 Identifiers outstanding and
 * wrap around; `size: 'max'` because fast-check 4 otherwise stops near 10 operations.
 */
const operation = fc.oneof(
  { weight: 2, arbitrary: fc.constant<{ kind: 'allocate' }>({ kind: 'allocate' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'release'>('release'), pick: fc.nat() }) },
);
const operations = fc.array(operation, { maxLength: 2_000, size: 'max' });
const allocatorRuns = 300;

describe('IdentifierAllocator', () => {
  it('hands out all 256 Identifiers once, then nothing until one is released', () => {
    const allocator = new IdentifierAllocator();
    const seen = new Set<number>();
    for (let i = 0; i < IDENTIFIER_SPACE; i++) {
      const id = allocator.allocate();
      expect(id).toBeDefined();
      seen.add(id ?? -1);
    }
    expect(seen.size).toBe(256);
    expect(allocator.allocate()).toBeUndefined();
    expect(allocator.release(17)).toBe(true);
    expect(allocator.allocate()).toBe(17);
  });

  it('reuses the least recently released Identifier first', () => {
    const allocator = new IdentifierAllocator();
    const ids = Array.from({ length: IDENTIFIER_SPACE }, () => allocator.allocate());
    expect(ids.slice(0, 3)).toEqual([0, 1, 2]);
    allocator.release(200);
    allocator.release(5);
    allocator.release(90);
    expect([allocator.allocate(), allocator.allocate(), allocator.allocate()]).toEqual([200, 5, 90]);
  });

  it('puts released Identifiers behind the never-used ones', () => {
    const allocator = new IdentifierAllocator();
    expect(allocator.allocate()).toBe(0);
    allocator.release(0);
    // 1..255 have waited longer than 0 (never used counts as released at the start).
    expect(allocator.allocate()).toBe(1);
  });

  it('ignores a release of an Identifier that is not outstanding', () => {
    const allocator = new IdentifierAllocator();
    expect(allocator.release(3)).toBe(false);
    expect(allocator.availableCount).toBe(256);
    const id = allocator.allocate() ?? -1;
    expect(allocator.release(id)).toBe(true);
    expect(allocator.release(id)).toBe(false);
    expect(allocator.availableCount).toBe(256);
  });

  it('never hands out an outstanding Identifier, and reuses in release order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), operations, (first, operations) => {
        const allocator = new IdentifierAllocator(first);
        // Reference model: a queue of free Identifiers, least recently released first.
        const free = Array.from({ length: IDENTIFIER_SPACE }, (_, i) => (first + i) % IDENTIFIER_SPACE);
        const outstanding: number[] = [];
        for (const op of operations) {
          if (op.kind === 'allocate') {
            const id = allocator.allocate();
            if (id !== undefined && outstanding.includes(id)) return false;
            if (id !== free.shift()) return false;
            if (id !== undefined) outstanding.push(id);
          } else if (outstanding.length > 0) {
            const [id] = outstanding.splice(op.pick % outstanding.length, 1);
            if (id === undefined || !allocator.release(id)) return false;
            free.push(id);
          }
          if (allocator.outstandingCount !== outstanding.length) return false;
        }
        return true;
      }),
      { numRuns: allocatorRuns },
    );
  });

  it('property inputs reach past 256 operations and exhaust all 256 Identifiers', () => {
    const samples = sampleInputs(operations, allocatorRuns);
    expect(samples.filter((ops) => ops.length > 256).length).toBeGreaterThan(allocatorRuns / 2);
    const exhausted = samples.filter((ops) => {
      const allocator = new IdentifierAllocator();
      const held: number[] = [];
      return ops.some((op) => {
        if (op.kind === 'allocate') {
          const id = allocator.allocate();
          if (id === undefined) return true;
          held.push(id);
        } else if (held.length > 0) {
          allocator.release(held.splice(op.pick % held.length, 1)[0] ?? -1);
        }
        return false;
      });
    });
    expect(exhausted.length).toBeGreaterThan(allocatorRuns / 4);
  });
});

describe('SocketPool', () => {
  function pool(maxSockets: number) {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork(clock);
    const unmatched: number[] = [];
    return {
      clock,
      network,
      unmatched,
      pool: new SocketPool({
        transport: network,
        bind: { address: '127.0.0.1', port: 0 },
        maxSockets,
        onUnmatched: (_socket, data) => unmatched.push(data[1] ?? -1),
      }),
    };
  }

  it('opens a second socket only when all 256 Identifiers of the first are outstanding', async () => {
    const { pool: p } = pool(4);
    const leases: Lease[] = [];
    for (let i = 0; i < 256; i++) leases.push(await p.acquire(() => {}));
    expect(p.socketCount).toBe(1);
    const extra = await p.acquire(() => {});
    expect(p.socketCount).toBe(2);
    expect(extra.socket.index).toBe(1);
    expect(extra.identifier).toBe(0);
    // A release on the first socket makes it the first choice again.
    const released = leases[42];
    if (released === undefined) throw new Error('lease missing');
    p.release(released);
    const again = await p.acquire(() => {});
    expect(again.socket.index).toBe(0);
    expect(again.identifier).toBe(42);
    await p.close();
  });

  it('opens one socket for concurrent acquires on an empty pool', async () => {
    const { pool: p } = pool(4);
    const leases = await Promise.all(Array.from({ length: 10 }, () => p.acquire(() => {})));
    expect(p.socketCount).toBe(1);
    expect(new Set(leases.map((l) => l.identifier)).size).toBe(10);
    await p.close();
  });

  it('throws a named error when every socket it may open is full', async () => {
    const { pool: p } = pool(1);
    for (let i = 0; i < 256; i++) await p.acquire(() => {});
    await expect(p.acquire(() => {})).rejects.toMatchObject({ code: 'RADMFA_NAS_IDENTIFIERS_EXHAUSTED' });
    await expect(p.acquire(() => {})).rejects.toBeInstanceOf(NasError);
    await p.close();
  });

  it('routes a datagram to the handler of its Identifier, and others to onUnmatched', async () => {
    const { pool: p, network, unmatched, clock } = pool(1);
    const got: number[] = [];
    const lease = await p.acquire((data) => got.push(data[1] ?? -1));
    const peer = await network.bind({ address: '127.0.0.1', port: 0 });
    const local = lease.socket.socket.local;
    await peer.send(Buffer.from([2, lease.identifier, 0, 20]), local);
    await peer.send(Buffer.from([2, 99, 0, 20]), local);
    // MemoryNetwork delivers on the clock: a zero-delay timer per datagram.
    await clock.runAll();
    p.release(lease);
    await peer.send(Buffer.from([2, lease.identifier, 0, 20]), local);
    await clock.runAll();
    expect(got).toEqual([lease.identifier]);
    expect(unmatched).toEqual([99, lease.identifier]);
    await p.close();
    await peer.close();
  });
});
