// What the stub was asked and how it answered, for assertions (like undici's mock call history).
// Passwords are never recorded.
import type { BindFailureReason, SearchScope } from './directory.ts';

/** Records kept beyond the capacity before the oldest are trimmed in one go. */
const TRIM_SLACK = 1024;

interface RecordBase {
  /** Sequence number in arrival order, from 1. */
  readonly id: number;
  readonly connectionId: number;
  /** Clock time the request arrived. */
  readonly receivedAt: number;
  /** Clock time the answer was written; null while pending, or forever when the stub hung. */
  readonly answeredAt: number | null;
  /** LDAP result code sent; null when not answered. */
  readonly resultCode: number | null;
}

export interface LdapBindRecord extends RecordBase {
  readonly kind: 'bind';
  readonly dn: string;
  /** Why a bind failed, or "refused-by-fault" when refuseBinds answered it. */
  readonly failure: BindFailureReason | 'refused-by-fault' | null;
}

export interface LdapSearchRecord extends RecordBase {
  readonly kind: 'search';
  readonly baseDn: string;
  readonly scope: SearchScope;
  /** RFC 4515 form of the filter. */
  readonly filter: string;
  readonly attributes: readonly string[];
  /** DN the connection was bound as, or null for anonymous. */
  readonly boundAs: string | null;
  readonly entryDns: readonly string[];
}

export interface LdapOtherRecord extends RecordBase {
  readonly kind: 'other';
  readonly operation: string;
}

export type LdapOperationRecord = LdapBindRecord | LdapSearchRecord | LdapOtherRecord;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Bound on kept records so a long load run cannot grow memory without end; oldest go first. */
const DEFAULT_CAPACITY = 100_000;

export class LdapHistory {
  private readonly records: Mutable<LdapOperationRecord>[] = [];
  private nextId = 1;
  private dropped = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Snapshots of every kept record, oldest first. */
  all(): LdapOperationRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  binds(): LdapBindRecord[] {
    return this.all().filter((record): record is LdapBindRecord => record.kind === 'bind');
  }

  searches(): LdapSearchRecord[] {
    return this.all().filter((record): record is LdapSearchRecord => record.kind === 'search');
  }

  /** Records received but not (yet) answered. */
  pending(): LdapOperationRecord[] {
    return this.all().filter((record) => record.answeredAt === null);
  }

  /** Records discarded because the capacity was reached. */
  get droppedCount(): number {
    return this.dropped;
  }

  clear(): void {
    this.records.length = 0;
  }

  /** @internal The stub opens a record when a request arrives and completes it when it answers. */
  open<T extends LdapOperationRecord>(fields: Omit<T, 'id' | 'answeredAt' | 'resultCode'>): Mutable<T> {
    const record = {
      ...fields,
      id: this.nextId++,
      answeredAt: null,
      resultCode: null,
    } as unknown as Mutable<T>;
    this.records.push(record);
    // Trim in batches: shift() per request is O(n) on a full history of 100 000 records.
    if (this.records.length > this.capacity + TRIM_SLACK) {
      const excess = this.records.length - this.capacity;
      this.records.splice(0, excess);
      this.dropped += excess;
    }
    return record;
  }
}
