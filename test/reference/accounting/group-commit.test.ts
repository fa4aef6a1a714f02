// Group commit: one transaction for the records that arrive together, each acknowledged only after
// the commit that holds it; a commit that fails (a crash, a full disk) acknowledges none of its batch.
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../../reference/accounting/group-commit.ts';
import { AccountingStoreError } from '../../../reference/accounting/errors.ts';
import { openAccountingStore, type AccountingStore } from '../../../reference/accounting/store.ts';
import { startRecord } from './fixtures.ts';

const stores: AccountingStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function memoryStore(): AccountingStore {
  const store = openAccountingStore(':memory:');
  stores.push(store);
  return store;
}

describe('GroupCommitter', () => {
  it('records submitted in one turn share one transaction, and each resolves only after it', async () => {
    const store = memoryStore();
    const events: string[] = [];
    const committer = new GroupCommitter({
      recordBatch: (records) => {
        events.push(`commit ${records.length}`);
        return store.recordBatch(records);
      },
    });
    const acks = Array.from({ length: 50 }, (_, n) =>
      committer.submit(startRecord(n)).then((result) => events.push(`ack ${n} ${result.stored}`)),
    );
    expect(events).toEqual([]);
    await Promise.all(acks);
    expect(events[0]).toBe('commit 50');
    expect(events.slice(1)).toEqual(Array.from({ length: 50 }, (_, n) => `ack ${n} true`));
    expect(store.count()).toBe(50);
    expect(committer.stats()).toEqual({ batches: 1, records: 50, largestBatch: 50 });
  });

  it('a retransmitted record in a batch is a duplicate, acknowledged all the same', async () => {
    const committer = new GroupCommitter(memoryStore());
    const [first, again] = await Promise.all([
      committer.submit(startRecord(7)),
      committer.submit(startRecord(7)),
    ]);
    expect(first).toEqual({ stored: true, duplicate: false });
    expect(again).toEqual({ stored: false, duplicate: true });
  });

  it('a failed commit acknowledges none of its batch; an invalid record fails alone', async () => {
    const crashed = new GroupCommitter({
      recordBatch: () => {
        throw new Error('disk I/O error');
      },
    });
    const outcomes = await Promise.allSettled([0, 1, 2].map((n) => crashed.submit(startRecord(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);

    const store = memoryStore();
    const committer = new GroupCommitter(store);
    const mixed = await Promise.allSettled([
      committer.submit(startRecord(1)),
      committer.submit(startRecord(2, { statusType: 0 })),
      committer.submit(startRecord(3)),
    ]);
    expect(mixed.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = mixed[1]?.status === 'rejected' ? (mixed[1].reason as unknown) : undefined;
    expect(reason).toBeInstanceOf(AccountingStoreError);
    expect(store.count()).toBe(2);
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const store = memoryStore();
    const committer = new GroupCommitter(
      {
        recordBatch: (records) => {
          sizes.push(records.length);
          return store.recordBatch(records);
        },
      },
      16,
    );
    await Promise.all(Array.from({ length: 40 }, (_, n) => committer.submit(startRecord(n))));
    expect(sizes).toEqual([16, 16, 8]);
  });
});
