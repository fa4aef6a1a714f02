// The accounting store unable to write, the two ways a disk does it, against `radmfa serve` in its
// own process over real UDP (accounting-unwritable.test.ts covers another writer holding the lock):
//   - disk full: the database on a small tmpfs, filled up by another file while the server runs, so
//     SQLite's writes fail with SQLITE_FULL exactly as on a full disk;
//   - read-only file: the database and its WAL made immutable (chattr +i) while the server runs.
//     chmod is not the test: permissions are checked when a file is opened, and the server keeps
//     its descriptor, so a chmod'ed file stays writable to it (and root ignores modes anyway, which
//     is what runs CI here). An immutable file refuses every write, root's and an open
//     descriptor's included.
// Outcome in both: no Accounting-Response (the NAS keeps the record and retransmits), an error log
// line naming the failure, logins still answered; once the disk has room or the file is writable,
// the NAS's retransmission is stored and acknowledged, once. Both need root (mount, chattr): skipped
// with the reason otherwise.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode, type BuiltPacket } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { SERVE_SECRET, serveTestConfig, startServe, type ServeProcess } from '../../peers/serve-process.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';

const clock = new SystemClock();
const transport = new UdpTransport();

function tries(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN). */
function canMountTmpfs(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-mount-probe-'));
  try {
    if (!tries('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir])) return false;
    tries('umount', [dir]);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether chattr +i works on the temp file system (root with CAP_LINUX_IMMUTABLE, ext4/xfs). */
function canMakeImmutable(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-chattr-probe-'));
  const file = path.join(dir, 'probe');
  writeFileSync(file, 'x');
  try {
    if (!tries('chattr', ['+i', file])) return false;
    tries('chattr', ['-i', file]);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startOn(workDir: string): Promise<{ serve: ServeProcess; nas: RadiusTestClient }> {
  const serve = await startServe({ workDir, config: serveTestConfig(workDir, { admin: false }) });
  cleanups.push(async () => {
    await serve.stop();
  });
  const nas = await RadiusTestClient.open({ transport, clock, server: serve.auth, secret: SERVE_SECRET });
  cleanups.push(() => nas.close());
  return { serve, nas };
}

function accountingStart(nas: RadiusTestClient, sessionId: string): BuiltPacket {
  return nas.build(PacketCode.AccountingRequest, [
    { name: 'Acct-Status-Type', value: 'Start' },
    { name: 'Acct-Session-Id', value: sessionId },
    { name: 'User-Name', value: 'alice' },
    { name: 'NAS-IP-Address', value: '127.0.0.1' },
  ]);
}

async function acknowledged(
  nas: RadiusTestClient,
  serve: ServeProcess,
  record: BuiltPacket,
): Promise<boolean> {
  const reply = nas.replyTo(record, 5_000);
  await nas.send(record.bytes, serve.acct);
  return (await reply)?.packet.code === PacketCode.AccountingResponse;
}

/**
 * Sends `record` while the store cannot write: the server logs the failure and sends nothing. A
 * login sent after the error line is answered, and an Accounting-Response would have been sent
 * before that line, so none is coming.
 */
async function refusedWhileUnwritable(
  nas: RadiusTestClient,
  serve: ServeProcess,
  record: BuiltPacket,
): Promise<Record<string, unknown>> {
  await nas.send(record.bytes, serve.acct);
  const error = await serve.waitForLog(
    // The first such line of the run: each test makes the store fail once.
    (e) =>
      typeof e.msg === 'string' && e.msg.startsWith('accounting store failed, request not acknowledged: '),
    10_000,
  );
  const login = await nas.exchange(
    nas.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: 'Passw0rd!' },
    ]),
    5_000,
  );
  expect(login?.packet.code).toBe(PacketCode.AccessAccept);
  expect(nas.repliesTo(record)).toEqual([]);
  return error;
}

function storedSessions(databasePath: string): string[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return (
      db.prepare('SELECT session_id FROM accounting_record ORDER BY id').all() as { session_id: string }[]
    ).map((row) => row.session_id);
  } finally {
    db.close();
  }
}

describe.skipIf(!canMountTmpfs())('accounting store on a full disk (a 1 MiB tmpfs filled up)', () => {
  it('SQLITE_FULL: no Accounting-Response, an error line, logins answered; stored and acknowledged once the disk has room', async () => {
    const mount = mkdtempSync(path.join(tmpdir(), 'radmfa-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    cleanups.push(() => {
      if (!tries('umount', [mount])) tries('umount', ['-l', mount]);
      rmSync(mount, { recursive: true, force: true });
    });
    const { serve, nas } = await startOn(mount);
    expect(await acknowledged(nas, serve, accountingStart(nas, 'before-full'))).toBe(true);

    // Another file takes every free block, as a log or a backup filling the disk would.
    const filler = path.join(mount, 'filler');
    const fd = openSync(filler, 'w');
    try {
      const chunk = Buffer.alloc(4096, 0x61);
      for (;;) writeSync(fd, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }

    const record = accountingStart(nas, 'while-full');
    const error = await refusedWhileUnwritable(nas, serve, record);
    expect(error.msg).toMatch(/full/i);

    rmSync(filler);
    // The NAS retransmits the same datagram (RFC 2866 2): stored now, and acknowledged.
    expect(await acknowledged(nas, serve, record)).toBe(true);
    expect(await acknowledged(nas, serve, record)).toBe(true); // a duplicate: acknowledged, not stored again
    expect(await acknowledged(nas, serve, accountingStart(nas, 'after-full'))).toBe(true);
    await serve.stop();
    expect(storedSessions(path.join(mount, 'accounting.sqlite'))).toEqual([
      'before-full',
      'while-full',
      'after-full',
    ]);
  }, 60_000);
});

describe.skipIf(!canMakeImmutable())(
  'accounting store file made read-only (chattr +i) while the server runs',
  () => {
    it('no Accounting-Response, an error line, logins answered; stored and acknowledged once writable again', async () => {
      const workDir = mkdtempSync(path.join(tmpdir(), 'radmfa-readonly-'));
      const files = ['accounting.sqlite', 'accounting.sqlite-wal'].map((f) => path.join(workDir, f));
      cleanups.push(() => {
        for (const file of files) tries('chattr', ['-i', file]);
        rmSync(workDir, { recursive: true, force: true });
      });
      const { serve, nas } = await startOn(workDir);
      expect(await acknowledged(nas, serve, accountingStart(nas, 'before-readonly'))).toBe(true);

      for (const file of files) execFileSync('chattr', ['+i', file]);
      const record = accountingStart(nas, 'while-readonly');
      const error = await refusedWhileUnwritable(nas, serve, record);
      expect(error.msg).toMatch(/I\/O|readonly|read-only|permission|not permitted/i);

      for (const file of files) execFileSync('chattr', ['-i', file]);
      expect(await acknowledged(nas, serve, record)).toBe(true);
      expect(await acknowledged(nas, serve, accountingStart(nas, 'after-readonly'))).toBe(true);
      await serve.stop();
      expect(storedSessions(files[0] ?? '')).toEqual(['before-readonly', 'while-readonly', 'after-readonly']);
    }, 60_000);
  },
);
