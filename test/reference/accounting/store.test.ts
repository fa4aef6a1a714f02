import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { AccountingStoreError } from '../../../reference/accounting/errors.ts';
import { AcctStatusType, naturalKey, octetTotal } from '../../../reference/accounting/record.ts';
import type { AccountingRecordInput } from '../../../reference/accounting/record.ts';
import { ACCOUNTING_SCHEMA_VERSION } from '../../../reference/accounting/schema.ts';
import { openAccountingStore } from '../../../reference/accounting/store.ts';
import type { AccountingStore } from '../../../reference/accounting/store.ts';
import { authenticatorFor, startRecord } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'radmfa-acct-'));
let fileCounter = 0;
const open: AccountingStore[] = [];

function freshPath(): string {
  return join(dir, `store-${fileCounter++}.db`);
}

function openStore(path = freshPath()): AccountingStore {
  const store = openAccountingStore(path);
  open.push(store);
  return store;
}

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function interim(
  n: number,
  sessionTimeS: number,
  overrides: Partial<AccountingRecordInput> = {},
): AccountingRecordInput {
  return startRecord(n, {
    statusType: AcctStatusType.InterimUpdate,
    requestAuthenticator: authenticatorFor(1000 * n + sessionTimeS),
    identifier: (n + sessionTimeS) % 256,
    sessionTimeS,
    inputOctets: 100 * sessionTimeS,
    outputOctets: 200 * sessionTimeS,
    ...overrides,
  });
}

describe('openAccountingStore', () => {
  it('creates the schema with a version row, in WAL mode with synchronous FULL', () => {
    const path = freshPath();
    openStore(path).close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([
        { version: ACCOUNTING_SCHEMA_VERSION },
      ]);
    } finally {
      raw.close();
    }
  });

  it('stamps the schema version with the injected clock', () => {
    const path = freshPath();
    openAccountingStore(path, { clock: new VirtualClock(42_000) }).close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT applied_at_ms FROM schema_version').get()).toEqual({
        applied_at_ms: 42_000,
      });
    } finally {
      raw.close();
    }
  });

  it('runs its own connection with synchronous = FULL (a per-connection setting, read back)', () => {
    expect(openStore().durability).toEqual({ journalMode: 'wal', synchronous: 'full' });
  });

  it('rejects a negative busy timeout', () => {
    expect(() => openAccountingStore(freshPath(), { busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs -1/);
  });

  it('refuses a file written by a newer schema, saying what to do', () => {
    const path = freshPath();
    openStore(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version, applied_at_ms) VALUES (?, ?)').run(99, 0);
    raw.close();
    expect(() => openAccountingStore(path)).toThrow(
      expect.objectContaining({
        code: 'RADMFA_ACCOUNTING_SCHEMA_TOO_NEW',
        message: expect.stringMatching(/upgrade radmfa/) as unknown,
      }),
    );
  });

  it('reports a missing directory as an open failure', () => {
    expect(() => openAccountingStore(join(dir, 'no-such-dir', 'x.db'))).toThrow(
      expect.objectContaining({ code: 'RADMFA_ACCOUNTING_OPEN_FAILED' }),
    );
  });
});

describe('record and list', () => {
  it('stores every field and reads it back as written', () => {
    const store = openStore();
    const input: AccountingRecordInput = {
      receivedAtMs: 1_700_000_123_456,
      clientAddress: '2001:db8::5',
      clientPort: 1646,
      identifier: 77,
      requestAuthenticator: authenticatorFor(77),
      statusType: AcctStatusType.Stop,
      nasIpAddress: '192.0.2.9',
      nasIpv6Address: '2001:db8::9',
      nasIdentifier: 'asa-edge',
      userName: 'alice@example.com',
      sessionId: 'A1B2',
      uniqueSessionId: 'f00dfeed',
      delayTimeS: 3,
      sessionTimeS: 3600,
      inputOctets: 4_000_000_000,
      inputGigawords: 2,
      outputOctets: 12,
      outputGigawords: 0,
      inputPackets: 1000,
      outputPackets: 2000,
      terminateCause: 1,
      framedIpAddress: '10.0.0.7',
      attributes: [
        { name: 'User-Name', type: 1, value: 'alice@example.com' },
        { name: 'Cisco-AVPair', type: 1, vendorId: 9, value: 'audit-session-id=abc' },
        { name: 'Acct-Input-Octets', type: 42, value: 4_000_000_000 },
      ],
    };
    expect(store.record(input)).toEqual({ stored: true, duplicate: false });
    const [stored] = store.list();
    expect(stored).toEqual({
      ...input,
      id: 1,
      requestAuthenticator: authenticatorFor(77),
      eventTimeMs: 1_700_000_120_456,
      naturalKey: naturalKey(input),
    });
    expect(octetTotal(stored?.inputOctets, stored?.inputGigawords)).toBe(2n * 2n ** 32n + 4_000_000_000n);
  });

  it('leaves absent attributes absent', () => {
    const store = openStore();
    store.record({
      receivedAtMs: 5,
      clientAddress: '192.0.2.1',
      identifier: 1,
      requestAuthenticator: authenticatorFor(1),
      statusType: AcctStatusType.AccountingOn,
      attributes: [],
    });
    expect(store.list()).toEqual([
      {
        id: 1,
        receivedAtMs: 5,
        eventTimeMs: 5,
        clientAddress: '192.0.2.1',
        identifier: 1,
        requestAuthenticator: authenticatorFor(1),
        statusType: AcctStatusType.AccountingOn,
        attributes: [],
      },
    ]);
  });

  it('filters and counts', () => {
    const store = openStore();
    for (let n = 0; n < 5; n++) store.record(startRecord(n));
    store.record(
      startRecord(9, { userName: 'user1@example.com', statusType: AcctStatusType.Stop, sessionId: 'sess-1' }),
    );
    expect(store.count()).toBe(6);
    expect(store.list({ userName: 'user1@example.com' }).map((r) => r.statusType)).toEqual([1, 2]);
    expect(store.count({ sessionId: 'sess-1', statusType: AcctStatusType.Stop })).toBe(1);
    const t0 = startRecord(0).receivedAtMs;
    expect(store.list({ sinceMs: t0 + 1000, untilMs: t0 + 3000 }).map((r) => r.sessionId)).toEqual([
      'sess-1',
      'sess-2',
    ]);
    expect(store.list({ limit: 2 }).map((r) => r.id)).toEqual([1, 2]);
    expect(store.count({ clientAddress: '203.0.113.1' })).toBe(0);
    expect(() => store.list({ limit: -1 })).toThrow(AccountingStoreError);
  });

  it('accepts all five status types of RFC 2866', () => {
    const store = openStore();
    const types = [
      AcctStatusType.Start,
      AcctStatusType.InterimUpdate,
      AcctStatusType.Stop,
      AcctStatusType.AccountingOn,
      AcctStatusType.AccountingOff,
    ];
    types.forEach((statusType, n) =>
      store.record(
        startRecord(n, {
          statusType,
          sessionTimeS: statusType === AcctStatusType.InterimUpdate ? 60 : undefined,
        }),
      ),
    );
    expect(store.list().map((r) => r.statusType)).toEqual(types);
  });
});

describe('duplicates are stored once and still acknowledged', () => {
  it('an exact retransmission (same client, Identifier, Request Authenticator)', () => {
    const store = openStore();
    expect(store.record(startRecord(1))).toEqual({ stored: true, duplicate: false });
    // Received later, and even with a different session id: the packet key alone decides.
    expect(store.record(startRecord(1, { receivedAtMs: 1, sessionId: 'other' }))).toEqual({
      stored: false,
      duplicate: true,
    });
    expect(store.count()).toBe(1);
  });

  it('the same Identifier and authenticator from another client is a different packet', () => {
    const store = openStore();
    store.record(startRecord(1));
    expect(store.record(startRecord(1, { clientAddress: '192.0.2.2' })).stored).toBe(true);
  });

  it('a Start re-sent with a new Identifier and Acct-Delay-Time (RFC 5080 2.2.1)', () => {
    const store = openStore();
    store.record(startRecord(1));
    const resent = startRecord(1, {
      identifier: 200,
      requestAuthenticator: authenticatorFor(555),
      delayTimeS: 5,
    });
    expect(store.record(resent)).toEqual({ stored: false, duplicate: true });
    expect(store.list()[0]?.delayTimeS).toBe(0);
  });

  it('Start and Stop of one session are both kept, a second Stop is not', () => {
    const store = openStore();
    store.record(startRecord(1));
    const stop = startRecord(1, {
      statusType: AcctStatusType.Stop,
      requestAuthenticator: authenticatorFor(2001),
      identifier: 9,
    });
    expect(store.record(stop).stored).toBe(true);
    expect(
      store.record({ ...stop, requestAuthenticator: authenticatorFor(2002), delayTimeS: 10 }).duplicate,
    ).toBe(true);
    expect(store.count()).toBe(2);
  });

  it('interim updates are told apart by session time and counters', () => {
    const store = openStore();
    expect(store.record(interim(1, 60)).stored).toBe(true);
    expect(store.record(interim(1, 120)).stored).toBe(true);
    expect(
      store.record(interim(1, 60, { requestAuthenticator: authenticatorFor(99_999), delayTimeS: 4 }))
        .duplicate,
    ).toBe(true);
    // Same session time, more traffic: a distinct update.
    expect(
      store.record(interim(1, 120, { requestAuthenticator: authenticatorFor(99_998), inputOctets: 1 }))
        .stored,
    ).toBe(true);
    expect(store.count({ statusType: AcctStatusType.InterimUpdate })).toBe(3);
  });

  it('Accounting-On from two reboots is kept twice (no natural key)', () => {
    const store = openStore();
    const on = (n: number): AccountingRecordInput =>
      startRecord(n, { statusType: AcctStatusType.AccountingOn, sessionId: '0', userName: undefined });
    expect(naturalKey(on(1))).toBeUndefined();
    expect(store.record(on(1)).stored).toBe(true);
    expect(store.record(on(2)).stored).toBe(true);
  });

  it('the same session id on another NAS is another session', () => {
    const store = openStore();
    store.record(startRecord(1));
    const other = startRecord(1, {
      nasIpAddress: '192.0.2.99',
      identifier: 3,
      requestAuthenticator: authenticatorFor(3),
    });
    expect(store.record(other).stored).toBe(true);
  });
});

describe('durability across close and reopen', () => {
  it('keeps rows and duplicate detection after reopening', () => {
    const path = freshPath();
    const first = openAccountingStore(path);
    first.record(startRecord(1));
    first.record(startRecord(2));
    first.close();
    const second = openStore(path);
    expect(second.count()).toBe(2);
    expect(second.record(startRecord(2))).toEqual({ stored: false, duplicate: true });
    expect(second.record(startRecord(3)).stored).toBe(true);
    expect(second.list().map((r) => r.sessionId)).toEqual(['sess-1', 'sess-2', 'sess-3']);
  });

  it('refuses to work once closed, with a stable code', () => {
    const store = openAccountingStore(freshPath());
    store.close();
    store.close(); // idempotent
    expect(() => store.record(startRecord(1))).toThrow(
      expect.objectContaining({ code: 'RADMFA_ACCOUNTING_CLOSED' }),
    );
    expect(() => store.count()).toThrow(AccountingStoreError);
  });
});

describe('invalid records are refused before anything is written', () => {
  it.each([
    ['identifier', { identifier: 256 }],
    ['requestAuthenticator', { requestAuthenticator: Buffer.alloc(8) }],
    ['statusType', { statusType: 0 }],
    ['receivedAtMs', { receivedAtMs: -1 }],
    ['clientAddress', { clientAddress: '' }],
    ['inputOctets', { inputOctets: 2 ** 32 }],
    ['sessionTimeS', { sessionTimeS: 1.5 }],
    ['clientPort', { clientPort: 70_000 }],
  ] as const)('%s', (field, overrides) => {
    const store = openStore();
    let error: unknown;
    try {
      store.record(startRecord(1, overrides));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccountingStoreError);
    expect(error).toMatchObject({ code: 'RADMFA_ACCOUNTING_RECORD_INVALID', field });
    expect(store.count()).toBe(0);
  });

  it('a write the database refuses is an error the caller must not acknowledge', () => {
    const path = freshPath();
    const store = openAccountingStore(path, { busyTimeoutMs: 0 });
    open.push(store);
    // Another connection holds the write lock, so the insert cannot commit.
    const blocker = new Database(path);
    blocker.pragma('busy_timeout = 0');
    blocker.prepare('BEGIN IMMEDIATE').run();
    try {
      expect(() => store.record(startRecord(1))).toThrow(
        expect.objectContaining({
          code: 'RADMFA_ACCOUNTING_WRITE_FAILED',
          message: expect.stringMatching(/do not acknowledge/) as unknown,
        }),
      );
    } finally {
      blocker.prepare('ROLLBACK').run();
      blocker.close();
    }
    expect(store.record(startRecord(1)).stored).toBe(true);
  });
});
