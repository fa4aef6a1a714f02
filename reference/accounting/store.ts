// Durable accounting store (pipeline step 4): SQLite through better-sqlite3. record() returns only
// once the row is committed and synced, so the caller may send the Accounting-Response right after.
//
// Durability choice: journal_mode=WAL with synchronous=FULL. Each INSERT runs in its own
// transaction; at COMMIT, FULL appends the frames to the WAL and fsyncs it before returning. A
// committed row then survives kill -9 of this process (the bytes are in the file, and the next
// open replays the WAL) and also an OS crash or power cut, which is what "recorded" means to a
// billing system. WAL+NORMAL would defer that fsync to checkpoints and could lose the last
// acknowledged records on power loss. DELETE+FULL is as safe but needs about three fsyncs per
// commit (journal, database, directory) against WAL's one, and blocks readers while it writes.
// The store never logs: failures are thrown as AccountingStoreError.

import Database from 'better-sqlite3';
import { SystemClock } from '../../runtime/clock.ts';
import type { Clock } from '../../runtime/clock.ts';
import { AccountingStoreError } from './errors.ts';
import { naturalKey, validateAccountingRecord } from './record.ts';
import type { AccountingAttribute, AccountingRecordInput, StoredAccountingRecord } from './record.ts';
import { ACCOUNTING_SCHEMA_VERSION, schemaV1, schemaVersionTable } from './schema.ts';

export interface AccountingListFilter {
  readonly userName?: string;
  readonly sessionId?: string;
  readonly statusType?: number;
  readonly clientAddress?: string;
  /** receivedAtMs >= sinceMs. */
  readonly sinceMs?: number;
  /** receivedAtMs < untilMs. */
  readonly untilMs?: number;
  /** At most this many rows, oldest first. */
  readonly limit?: number;
}

export interface AccountingRecordResult {
  /** A new row was written. */
  readonly stored: boolean;
  /** The record was already there (retransmission or re-sent event): acknowledge it all the same. */
  readonly duplicate: boolean;
}

export interface AccountingDurability {
  /** 'wal' for files; 'memory' for ':memory:' (not durable, tests only). */
  readonly journalMode: string;
  /** Read back from the connection after setting it: 'full' on every store. */
  readonly synchronous: 'off' | 'normal' | 'full' | 'extra';
}

export interface AccountingStore {
  readonly path: string;
  /** The settings the connection actually runs with, for startup output and tests. */
  readonly durability: AccountingDurability;
  /** Durable on return; throws AccountingStoreError, and then the caller must not acknowledge. */
  record(record: AccountingRecordInput): AccountingRecordResult;
  /**
   * Several records in one transaction, so one fsync covers them all (group commit). Durable on
   * return, like record(); each element is that record's result or the error that kept it out (an
   * invalid record fails alone; a failed commit fails every record of the batch).
   */
  recordBatch(records: readonly AccountingRecordInput[]): (AccountingRecordResult | AccountingStoreError)[];
  list(filter?: AccountingListFilter): StoredAccountingRecord[];
  count(filter?: AccountingListFilter): number;
  close(): void;
}

interface RecordRow {
  id: number;
  received_at_ms: number;
  client_address: string;
  client_port: number | null;
  identifier: number;
  request_authenticator: Buffer;
  status_type: number;
  nas_ip_address: string | null;
  nas_ipv6_address: string | null;
  nas_identifier: string | null;
  user_name: string | null;
  session_id: string | null;
  unique_session_id: string | null;
  delay_time_s: number | null;
  session_time_s: number | null;
  input_octets: number | null;
  input_gigawords: number | null;
  output_octets: number | null;
  output_gigawords: number | null;
  input_packets: number | null;
  output_packets: number | null;
  terminate_cause: number | null;
  framed_ip_address: string | null;
  attributes_json: string;
  natural_key: string | null;
}

type InsertParams = Omit<RecordRow, 'id'>;

const insertColumns = [
  'received_at_ms',
  'client_address',
  'client_port',
  'identifier',
  'request_authenticator',
  'status_type',
  'nas_ip_address',
  'nas_ipv6_address',
  'nas_identifier',
  'user_name',
  'session_id',
  'unique_session_id',
  'delay_time_s',
  'session_time_s',
  'input_octets',
  'input_gigawords',
  'output_octets',
  'output_gigawords',
  'input_packets',
  'output_packets',
  'terminate_cause',
  'framed_ip_address',
  'attributes_json',
  'natural_key',
] as const satisfies readonly (keyof InsertParams)[];

// ON CONFLICT DO NOTHING is INSERT OR IGNORE limited to uniqueness: OR IGNORE would also skip a row
// that broke a NOT NULL or type constraint, and a lost record must fail loudly, not look stored.
const insertSql =
  `INSERT INTO accounting_record (${insertColumns.join(', ')}) ` +
  `VALUES (${insertColumns.map((c) => `@${c}`).join(', ')}) ON CONFLICT DO NOTHING`;

function toParams(record: AccountingRecordInput): InsertParams {
  const auth = record.requestAuthenticator;
  return {
    received_at_ms: record.receivedAtMs,
    client_address: record.clientAddress,
    client_port: record.clientPort ?? null,
    identifier: record.identifier,
    request_authenticator: Buffer.from(auth.buffer, auth.byteOffset, auth.byteLength),
    status_type: record.statusType,
    nas_ip_address: record.nasIpAddress ?? null,
    nas_ipv6_address: record.nasIpv6Address ?? null,
    nas_identifier: record.nasIdentifier ?? null,
    user_name: record.userName ?? null,
    session_id: record.sessionId ?? null,
    unique_session_id: record.uniqueSessionId ?? null,
    delay_time_s: record.delayTimeS ?? null,
    session_time_s: record.sessionTimeS ?? null,
    input_octets: record.inputOctets ?? null,
    input_gigawords: record.inputGigawords ?? null,
    output_octets: record.outputOctets ?? null,
    output_gigawords: record.outputGigawords ?? null,
    input_packets: record.inputPackets ?? null,
    output_packets: record.outputPackets ?? null,
    terminate_cause: record.terminateCause ?? null,
    framed_ip_address: record.framedIpAddress ?? null,
    attributes_json: JSON.stringify(record.attributes),
    natural_key: naturalKey(record) ?? null,
  };
}

function fromRow(row: RecordRow): StoredAccountingRecord {
  const optional = {
    clientPort: row.client_port,
    nasIpAddress: row.nas_ip_address,
    nasIpv6Address: row.nas_ipv6_address,
    nasIdentifier: row.nas_identifier,
    userName: row.user_name,
    sessionId: row.session_id,
    uniqueSessionId: row.unique_session_id,
    delayTimeS: row.delay_time_s,
    sessionTimeS: row.session_time_s,
    inputOctets: row.input_octets,
    inputGigawords: row.input_gigawords,
    outputOctets: row.output_octets,
    outputGigawords: row.output_gigawords,
    inputPackets: row.input_packets,
    outputPackets: row.output_packets,
    terminateCause: row.terminate_cause,
    framedIpAddress: row.framed_ip_address,
    naturalKey: row.natural_key,
  };
  // Absent attributes come back absent, not null, so a stored record reads like the input.
  const present = Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== null)) as {
    [K in keyof typeof optional]?: NonNullable<(typeof optional)[K]>;
  };
  return {
    id: row.id,
    receivedAtMs: row.received_at_ms,
    eventTimeMs: row.received_at_ms - (row.delay_time_s ?? 0) * 1000,
    clientAddress: row.client_address,
    identifier: row.identifier,
    requestAuthenticator: row.request_authenticator,
    statusType: row.status_type,
    attributes: JSON.parse(row.attributes_json) as AccountingAttribute[],
    ...present,
  };
}

function whereClause(filter: AccountingListFilter): { sql: string; params: Record<string, string | number> } {
  const conditions: string[] = [];
  const params: Record<string, string | number> = {};
  const equal = (column: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    conditions.push(`${column} = @${column}`);
    params[column] = value;
  };
  equal('user_name', filter.userName);
  equal('session_id', filter.sessionId);
  equal('status_type', filter.statusType);
  equal('client_address', filter.clientAddress);
  if (filter.sinceMs !== undefined) {
    conditions.push('received_at_ms >= @since_ms');
    params.since_ms = filter.sinceMs;
  }
  if (filter.untilMs !== undefined) {
    conditions.push('received_at_ms < @until_ms');
    params.until_ms = filter.untilMs;
  }
  return { sql: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
}

function migrate(db: Database.Database, clock: Clock): void {
  db.transaction(() => {
    db.exec(schemaVersionTable);
    const current = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
      version: number | null;
    };
    const version = current.version ?? 0;
    if (version > ACCOUNTING_SCHEMA_VERSION) {
      throw new AccountingStoreError(
        'RADMFA_ACCOUNTING_SCHEMA_TOO_NEW',
        `${db.name} has accounting schema version ${version}; this radmfa knows up to ${ACCOUNTING_SCHEMA_VERSION}: upgrade radmfa or use another file`,
      );
    }
    if (version < 1) {
      for (const statement of schemaV1) db.exec(statement);
      db.prepare('INSERT INTO schema_version (version, applied_at_ms) VALUES (?, ?)').run(1, clock.now());
    }
  }).immediate();
}

export interface AccountingStoreOptions {
  /** Only stamps the schema_version row; record times come from the caller. */
  readonly clock?: Clock;
  /**
   * How long record() waits for another connection's write lock. better-sqlite3 waits
   * synchronously, stalling every request on the event loop, so the default is short: 250 ms.
   * Only another process writing to the same file can hold the lock (WAL readers never do).
   */
  readonly busyTimeoutMs?: number;
}

const synchronousNames = ['off', 'normal', 'full', 'extra'] as const;

/** Opens (creating if needed) the store at `path`; ':memory:' gives a non-durable store for tests. */
export function openAccountingStore(path: string, options: AccountingStoreOptions = {}): AccountingStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? 250;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new AccountingStoreError(
      'RADMFA_ACCOUNTING_OPEN_FAILED',
      `busyTimeoutMs ${busyTimeoutMs} is not a whole number of milliseconds >= 0 (default 250)`,
    );
  }
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (cause) {
    throw new AccountingStoreError(
      'RADMFA_ACCOUNTING_OPEN_FAILED',
      `cannot open accounting database ${path}: ${(cause as Error).message} (check that the directory exists and is writable)`,
      undefined,
      { cause },
    );
  }
  let durability: AccountingDurability;
  try {
    const journalMode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (journalMode !== 'wal' && !db.memory) {
      throw new AccountingStoreError(
        'RADMFA_ACCOUNTING_OPEN_FAILED',
        `${path} stayed in journal_mode ${journalMode}; WAL is required for durable commits (is the file on a network filesystem?)`,
      );
    }
    db.pragma('synchronous = FULL');
    const synchronous = synchronousNames[db.pragma('synchronous', { simple: true }) as number];
    if (synchronous !== 'full') {
      throw new AccountingStoreError(
        'RADMFA_ACCOUNTING_OPEN_FAILED',
        `${path} reports synchronous = ${String(synchronous)} after setting FULL; commits would not be durable`,
      );
    }
    migrate(db, options.clock ?? new SystemClock());
    durability = { journalMode, synchronous };
  } catch (error) {
    db.close();
    if (error instanceof AccountingStoreError) throw error;
    throw new AccountingStoreError(
      'RADMFA_ACCOUNTING_OPEN_FAILED',
      `cannot prepare accounting database ${path}: ${(error as Error).message}`,
      undefined,
      { cause: error },
    );
  }
  return new SqliteAccountingStore(path, db, durability);
}

class SqliteAccountingStore implements AccountingStore {
  private readonly insert: Database.Statement<[InsertParams]>;

  constructor(
    readonly path: string,
    private readonly db: Database.Database,
    readonly durability: AccountingDurability,
  ) {
    this.insert = db.prepare<[InsertParams]>(insertSql);
  }

  record(record: AccountingRecordInput): AccountingRecordResult {
    this.assertOpen();
    validateAccountingRecord(record);
    const params = toParams(record);
    let changes: number;
    try {
      changes = this.insert.run(params).changes;
    } catch (cause) {
      throw new AccountingStoreError(
        'RADMFA_ACCOUNTING_WRITE_FAILED',
        `accounting record not stored in ${this.path}: ${(cause as Error).message}; do not acknowledge it`,
        undefined,
        { cause },
      );
    }
    return changes === 1 ? { stored: true, duplicate: false } : { stored: false, duplicate: true };
  }

  recordBatch(records: readonly AccountingRecordInput[]): (AccountingRecordResult | AccountingStoreError)[] {
    this.assertOpen();
    const results = new Array<AccountingRecordResult | AccountingStoreError>(records.length);
    const valid: { index: number; params: InsertParams }[] = [];
    records.forEach((record, index) => {
      try {
        validateAccountingRecord(record);
        valid.push({ index, params: toParams(record) });
      } catch (error) {
        results[index] =
          error instanceof AccountingStoreError
            ? error
            : new AccountingStoreError('RADMFA_ACCOUNTING_RECORD_INVALID', (error as Error).message);
      }
    });
    try {
      // One transaction, one commit, one fsync (WAL, synchronous=FULL) for the whole batch.
      this.db.transaction(() => {
        for (const { index, params } of valid) {
          const changes = this.insert.run(params).changes;
          results[index] =
            changes === 1 ? { stored: true, duplicate: false } : { stored: false, duplicate: true };
        }
      })();
    } catch (cause) {
      const error = new AccountingStoreError(
        'RADMFA_ACCOUNTING_WRITE_FAILED',
        `accounting batch of ${valid.length} not stored in ${this.path}: ${(cause as Error).message}; do not acknowledge it`,
        undefined,
        { cause },
      );
      for (const { index } of valid) results[index] = error;
    }
    return results;
  }

  list(filter: AccountingListFilter = {}): StoredAccountingRecord[] {
    this.assertOpen();
    const { sql, params } = whereClause(filter);
    let limit = '';
    if (filter.limit !== undefined) {
      if (!Number.isSafeInteger(filter.limit) || filter.limit < 0) {
        throw new AccountingStoreError(
          'RADMFA_ACCOUNTING_RECORD_INVALID',
          'limit: must be a whole number >= 0',
          'limit',
        );
      }
      limit = ' LIMIT @limit';
      params.limit = filter.limit;
    }
    const rows = this.db
      .prepare(`SELECT * FROM accounting_record${sql} ORDER BY id${limit}`)
      .all(params) as RecordRow[];
    return rows.map(fromRow);
  }

  count(filter: AccountingListFilter = {}): number {
    this.assertOpen();
    const { sql, params } = whereClause(filter);
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM accounting_record${sql}`).get(params) as {
      n: number;
    };
    return row.n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private assertOpen(): void {
    if (!this.db.open) {
      throw new AccountingStoreError('RADMFA_ACCOUNTING_CLOSED', `accounting store ${this.path} is closed`);
    }
  }
}
