// Group commit for accounting (the PostgreSQL/MySQL technique): every Accounting-Request that
// arrives while a commit is pending joins the next one, so a burst of N requests costs one
// transaction and one fsync instead of N, and each Accounting-Response still waits for the commit
// that holds its record (RFC 2866 2: acknowledged means stored). A batch flushes once the current
// event-loop turn has read what the socket had (setImmediate runs after the poll phase), or at
// maxBatch records; no timer waits for stragglers, so a lone request pays no added latency.
import { AccountingStoreError } from './errors.ts';
import type { AccountingRecordInput } from './record.ts';
import type { AccountingRecordResult, AccountingStore } from './store.ts';

interface Waiting {
  readonly record: AccountingRecordInput;
  readonly resolve: (result: AccountingRecordResult) => void;
  readonly reject: (error: Error) => void;
}

export interface GroupCommitStats {
  readonly batches: number;
  readonly records: number;
  readonly largestBatch: number;
}

export class GroupCommitter {
  private queue: Waiting[] = [];
  private scheduled = false;
  private closed = false;
  private readonly totals = { batches: 0, records: 0, largestBatch: 0 };

  constructor(
    private readonly store: Pick<AccountingStore, 'recordBatch'>,
    private readonly maxBatch = 1024,
  ) {}

  /** Resolves once the record is durable; rejects when it is not (then do not acknowledge). */
  submit(record: AccountingRecordInput): Promise<AccountingRecordResult> {
    if (this.closed)
      return Promise.reject(new AccountingStoreError('RADMFA_ACCOUNTING_CLOSED', 'accounting is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  stats(): GroupCommitStats {
    return { ...this.totals };
  }

  /** Commits what is queued now, then refuses new records. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    let results: ReturnType<AccountingStore['recordBatch']>;
    try {
      results = this.store.recordBatch(batch.map((waiting) => waiting.record));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const waiting of batch) waiting.reject(failure);
      return;
    }
    this.totals.batches++;
    this.totals.records += batch.length;
    if (batch.length > this.totals.largestBatch) this.totals.largestBatch = batch.length;
    batch.forEach((waiting, index) => {
      const result = results[index];
      if (result === undefined) waiting.reject(new Error('accounting batch returned no result'));
      else if (result instanceof Error) waiting.reject(result);
      else waiting.resolve(result);
    });
  }
}
