import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KeyIndex,
  KeyProbe,
  baseHashOf,
  fullHashOf,
  sameBase,
  sameKey,
  type KeyFields,
} from '../../../reference/duplicates/key-index.ts';

type Op =
  { readonly type: 'add' | 'delete'; readonly key: number } | { readonly type: 'get'; readonly key: number };

const ADDRESSES = ['192.0.2.1', '192.0.2.10', '::1'];

/** Keys that differ in one field at a time: address, port, Identifier, one authenticator octet, credential. */
function fieldsOf(key: number): KeyFields {
  const authenticator = Buffer.alloc(16);
  authenticator[key % 16] = (key >> 4) & 1;
  return new KeyProbe().fill(
    ADDRESSES[key % 3] as string,
    1812 + ((key >> 5) & 1),
    (key >> 6) & 1,
    authenticator,
    (key >> 7) & 1 ? 'digest' : undefined,
  );
}

function nameOf(k: KeyFields): string {
  return [k.address, k.port, k.identifier, k.auth0, k.auth1, k.auth2, k.auth3, k.credential].join('|');
}

const opArb: fc.Arbitrary<Op> = fc.record({
  type: fc.constantFrom('add' as const, 'delete' as const, 'get' as const),
  key: fc.integer({ min: 0, max: 255 }),
});

describe('KeyIndex', () => {
  // mask 0: every key hashes alike, so every lookup goes through the equality (the collision path);
  // the full mask: the path the cache takes. Both must agree with a Map keyed by strings.
  for (const mask of [0, 1, 0x3fff_ffff]) {
    it(`agrees with a string-keyed Map over random add/delete/get (mask ${mask})`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 200, size: 'max' }), (ops) => {
          const index = new KeyIndex<KeyFields>(fullHashOf, sameKey, mask);
          const model = new Map<string, KeyFields>();
          for (const op of ops) {
            const fields = fieldsOf(op.key);
            const name = nameOf(fields);
            const held = model.get(name);
            if (op.type === 'add') {
              if (held !== undefined) continue;
              index.add(fields);
              model.set(name, fields);
            } else if (op.type === 'delete') {
              expect(index.delete(held ?? fields)).toBe(held !== undefined);
              model.delete(name);
            } else {
              expect(index.get(fieldsOf(op.key))).toBe(held);
            }
          }
          for (const [, fields] of model) expect(index.get(fields)).toBe(fields);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('by base, finds an entry whatever its authenticator, and only for its address, port and Identifier', () => {
    const index = new KeyIndex<KeyFields>(baseHashOf, sameBase, 0);
    const entry = new KeyProbe().fill('192.0.2.1', 1812, 7, Buffer.alloc(16, 1), undefined);
    index.add(entry);
    const probe = new KeyProbe();
    expect(index.get(probe.fill('192.0.2.1', 1812, 7, Buffer.alloc(16, 2), undefined))).toBe(entry);
    expect(index.get(probe.fill('192.0.2.1', 1812, 8, Buffer.alloc(16, 1), undefined))).toBeUndefined();
    expect(index.get(probe.fill('192.0.2.1', 1813, 7, Buffer.alloc(16, 1), undefined))).toBeUndefined();
    expect(index.get(probe.fill('192.0.2.10', 1812, 7, Buffer.alloc(16, 1), undefined))).toBeUndefined();
  });

  it('a probe reads the authenticator from a view at any offset', () => {
    const backing = Buffer.alloc(40);
    for (let i = 0; i < 16; i++) backing[3 + i] = i * 17;
    const view = backing.subarray(3, 19);
    const copy = Buffer.from(view);
    const a = new KeyProbe().fill('::1', 1, 2, view, undefined);
    const b = new KeyProbe().fill('::1', 1, 2, copy, undefined);
    expect(sameKey(a, b)).toBe(true);
    expect(a.fullHash).toBe(b.fullHash);
  });
});
