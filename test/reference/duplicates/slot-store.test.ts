// reference/duplicates/slot-store.ts against a model of Maps and arrays: what it finds, what each
// expiry list holds in which order, and that growing and sharing one hash bucket change nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANSWERED,
  IN_FLIGHT,
  NONE,
  SlotStore,
  type ListId,
} from '../../../reference/duplicates/slot-store.ts';

const ADDRESSES = ['192.0.2.1', '192.0.2.10', '::1'];

/** Keys that differ in one field at a time: address, port, Identifier, one authenticator octet, credential. */
interface Key {
  readonly address: string;
  readonly port: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly credential: string | undefined;
}

function keyOf(n: number): Key {
  const authenticator = Buffer.alloc(16);
  authenticator[n % 16] = (n >> 4) & 1;
  return {
    address: ADDRESSES[n % 3] as string,
    port: 1812 + ((n >> 5) & 1),
    identifier: (n >> 6) & 1,
    authenticator,
    credential: (n >> 7) & 1 ? 'digest' : undefined,
  };
}

const nameOf = (k: Key): string =>
  [k.address, k.port, k.identifier, k.authenticator.toString('hex'), k.credential].join('|');
const baseOf = (k: Key): string => [k.address, k.port, k.identifier].join('|');

function probe(store: SlotStore, key: Key): void {
  store.setProbe(key.address, key.port, key.identifier, key.authenticator, key.credential);
}

/** The list's slots oldest first, each removed once read. */
function drain(store: SlotStore, list: ListId): number[] {
  const slots: number[] = [];
  for (let slot = store.oldest(list); slot !== NONE; slot = store.oldest(list)) {
    slots.push(slot);
    store.remove(slot);
  }
  return slots;
}

type Op = { readonly type: 'insert' | 'remove' | 'answer' | 'find'; readonly key: number };

const opArb: fc.Arbitrary<Op> = fc.record({
  type: fc.constantFrom('insert' as const, 'remove' as const, 'answer' as const, 'find' as const),
  key: fc.integer({ min: 0, max: 255 }),
});

interface Held {
  readonly slot: number;
  readonly key: Key;
  readonly indexBase: boolean;
}

describe('SlotStore', () => {
  // maxBuckets 1: every key shares one bucket, so every lookup goes through the field comparison.
  // initialCapacity 2: the store grows (and rebuilds its index) several times in one run.
  for (const maxBuckets of [1, undefined]) {
    it(`agrees with a model over random insert/remove/answer/find (${maxBuckets === 1 ? 'one bucket' : 'full table'})`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 50, maxLength: 300, size: 'max' }), (ops) => {
          const store = new SlotStore(64, {
            credentials: true,
            responses: true,
            initialCapacity: 2,
            ...(maxBuckets !== undefined ? { maxBuckets } : {}),
          });
          const held = new Map<string, Held>();
          const baseIndexed = new Map<string, number>();
          const lists: [number[], number[]] = [[], []];
          let time = 0;
          for (const op of ops) {
            const key = keyOf(op.key);
            const name = nameOf(key);
            const entry = held.get(name);
            probe(store, key);
            if (op.type === 'insert') {
              if (entry !== undefined || held.size === 64) continue;
              // As the cache does: only the newest entry of an (address, port, Identifier) is indexed by it.
              const indexBase = !baseIndexed.has(baseOf(key));
              const slot = store.insert(++time, time + 100, indexBase);
              held.set(name, { slot, key, indexBase });
              if (indexBase) baseIndexed.set(baseOf(key), slot);
              lists[IN_FLIGHT].push(slot);
            } else if (op.type === 'remove') {
              if (entry === undefined) continue;
              store.remove(entry.slot);
              held.delete(name);
              if (entry.indexBase) baseIndexed.delete(baseOf(key));
              for (const list of lists)
                if (list.includes(entry.slot)) list.splice(list.indexOf(entry.slot), 1);
            } else if (op.type === 'answer') {
              if (entry === undefined || store.isAnswered(entry.slot)) continue;
              const response = Buffer.from(name);
              store.answer(entry.slot, ++time, time + 50, op.key % 2 === 0, response);
              lists[IN_FLIGHT].splice(lists[IN_FLIGHT].indexOf(entry.slot), 1);
              lists[ANSWERED].push(entry.slot);
              expect(store.responseOf(entry.slot)).toBe(response);
              expect(store.isDropped(entry.slot)).toBe(op.key % 2 === 0);
            } else {
              expect(store.find()).toBe(entry?.slot ?? NONE);
              expect(store.findBase()).toBe(baseIndexed.get(baseOf(key)) ?? NONE);
            }
          }
          expect(store.size).toBe(held.size);
          for (const { slot, key } of held.values()) {
            probe(store, key);
            expect(store.find()).toBe(slot);
          }
          // Every address some entry used is let go with the last entry using it.
          expect(store.addressCount).toBe(new Set([...held.values()].map((h) => h.key.address)).size);
          // Each list in order: the oldest, removed, then the next oldest.
          for (const list of [IN_FLIGHT, ANSWERED] as const) expect(drain(store, list)).toEqual(lists[list]);
          expect(store.size).toBe(0);
          expect(store.addressCount).toBe(0);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('grows from 2 slots to 5,000 and back to empty, every key found until removed, every address let go', () => {
    const store = new SlotStore(5000, { credentials: false, responses: false, initialCapacity: 2 });
    const keyAt = (i: number): Key => ({
      address: `10.0.${i % 7}.1`,
      port: 1024 + (i % 1000),
      identifier: i % 256,
      authenticator: Buffer.alloc(16, i % 251),
      credential: undefined,
    });
    const slots: number[] = [];
    for (let i = 0; i < 5000; i++) {
      probe(store, keyAt(i));
      expect(store.find()).toBe(NONE);
      slots.push(store.insert(i, i + 10, false));
    }
    expect(new Set(slots).size).toBe(5000);
    expect(store.addressCount).toBe(7);
    for (let i = 4999; i >= 0; i -= 2) {
      probe(store, keyAt(i));
      expect(store.find()).toBe(slots[i]);
      store.remove(slots[i] as number);
    }
    for (let i = 0; i < 5000; i += 2) {
      probe(store, keyAt(i));
      expect(store.find()).toBe(slots[i]);
      store.remove(slots[i] as number);
    }
    expect(store.size).toBe(0);
    expect(store.addressCount).toBe(0);
    expect(store.oldest(IN_FLIGHT)).toBe(NONE);
  });

  it('reads the authenticator from a view at any offset', () => {
    const backing = Buffer.alloc(40);
    for (let i = 0; i < 16; i++) backing[3 + i] = i * 17;
    const store = new SlotStore(4, { credentials: false, responses: false });
    store.setProbe('::1', 1, 2, backing.subarray(3, 19), undefined);
    const slot = store.insert(0, 1, false);
    store.setProbe('::1', 1, 2, Buffer.from(backing.subarray(3, 19)), undefined);
    expect(store.find()).toBe(slot);
    backing[3] = 1;
    store.setProbe('::1', 1, 2, backing.subarray(3, 19), undefined);
    expect(store.find()).toBe(NONE);
  });
});
