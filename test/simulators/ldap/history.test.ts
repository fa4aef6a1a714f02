import { describe, expect, it } from 'vitest';
import { LdapHistory } from '../../../simulators/ldap/index.ts';

describe('LdapHistory', () => {
  it('keeps memory bounded: the oldest records go, in batches, and are counted', () => {
    const history = new LdapHistory(100);
    for (let i = 0; i < 5_000; i++) {
      history.open({
        kind: 'search',
        connectionId: 1,
        receivedAt: i,
        base: 'DC=x',
        scope: 'sub',
        filter: '(a=b)',
        attributes: [],
      } as never);
    }
    const all = history.all();
    expect(all.length).toBeGreaterThanOrEqual(100);
    expect(all.length).toBeLessThanOrEqual(100 + 1024);
    expect(history.droppedCount + all.length).toBe(5_000);
    expect(all.at(-1)?.id).toBe(5_000);
  });
});
