import { describe, expect, it } from 'vitest';
import { ExpiryList } from '../../../reference/duplicates/expiry-list.ts';
import type { ListNode } from '../../../reference/duplicates/expiry-list.ts';

interface Item extends ListNode<Item> {
  readonly name: string;
}

function item(name: string): Item {
  return { name, prev: undefined, next: undefined };
}

function names(list: ExpiryList<Item>): string[] {
  const out: string[] = [];
  for (let node = list.oldest(); node !== undefined; node = node.next) out.push(node.name);
  return out;
}

describe('ExpiryList', () => {
  it('keeps append order and unlinks from the head, middle and tail', () => {
    const list = new ExpiryList<Item>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(item) as [Item, Item, Item, Item];
    for (const node of [a, b, c, d]) list.append(node);
    expect(names(list)).toEqual(['a', 'b', 'c', 'd']);
    list.unlink(b);
    expect(names(list)).toEqual(['a', 'c', 'd']);
    list.unlink(a);
    expect(list.oldest()).toBe(c);
    list.unlink(d);
    expect(names(list)).toEqual(['c']);
    expect(list.size).toBe(1);
  });

  it('moves a node to the end by unlink + append, and empties cleanly', () => {
    const list = new ExpiryList<Item>();
    const a = item('a');
    const b = item('b');
    list.append(a);
    list.append(b);
    list.unlink(a);
    list.append(a);
    expect(names(list)).toEqual(['b', 'a']);
    list.unlink(b);
    list.unlink(a);
    expect(list.size).toBe(0);
    expect(list.oldest()).toBeUndefined();
    list.append(b);
    expect(names(list)).toEqual(['b']);
  });
});
