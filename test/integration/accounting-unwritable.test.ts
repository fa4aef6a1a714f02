// The accounting store cannot write (another writer holds the SQLite database, as a backup job or a
// stuck process would): over real UDP, the record is not acknowledged (no Accounting-Response, so
// the NAS keeps it and retransmits), the failure is a clear error event and a counter, logins go on,
// and once the store can write again the retransmission is stored and acknowledged, once.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import type { ServerEventMap } from '../../reference/events.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startReferenceServer } from '../reference/server/fixture.ts';

afterEach(closeServerFixtures);

describe('accounting store unwritable, over UDP', () => {
  it('no Accounting-Response while it cannot store, a clear error, then the retransmission is stored once', async () => {
    const clock = new SystemClock();
    const transport = new UdpTransport();
    const { server, accounting } = await startReferenceServer({
      clock,
      transport,
      accountingOnDisk: true,
      config: { listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 } },
    });
    const [auth] = server.endpoints('auth');
    const [acct] = server.endpoints('acct');
    if (auth === undefined || acct === undefined) throw new Error('no sockets');
    const client = await RadiusTestClient.open({ transport, clock, server: auth, secret: SECRET });
    const blocker = new Database(accounting.path);
    try {
      const start = client.build(PacketCode.AccountingRequest, [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: 'unwritable-1' },
        { name: 'User-Name', value: 'alice' },
      ]);
      blocker.exec('BEGIN EXCLUSIVE');
      const failed = new Promise<ServerEventMap['error']>((resolve) => server.events.on('error', resolve));
      await client.send(start.bytes, acct);
      const error = await failed;
      // The handler ends with the error event: nothing was or will be sent for this request.
      expect(error.message).toMatch(/^accounting store failed, request not acknowledged: /);
      expect(server.stats().accounting).toMatchObject({ stored: 0, failed: 1 });
      // Nothing is wedged meanwhile: logins are answered.
      const login = await client.exchange(
        client.accessRequest([
          { name: 'User-Name', value: 'alice' },
          { name: 'User-Password', value: 'pw' },
        ]),
        5_000,
      );
      expect(login?.packet.code).toBe(PacketCode.AccessAccept);
      // Sent after the failure, answered: an Accounting-Response would have come before it.
      expect(client.repliesTo(start)).toEqual([]);

      blocker.exec('COMMIT');
      // The NAS retransmits the same packet (RFC 2866 2): stored now, and acknowledged.
      const reply = client.replyTo(start, 5_000);
      await client.send(start.bytes, acct);
      expect((await reply)?.packet.code).toBe(PacketCode.AccountingResponse);
      expect(accounting.count()).toBe(1);
      expect(server.stats().accounting).toMatchObject({ stored: 1, failed: 1 });
      // And once more: a duplicate, acknowledged again, not stored twice.
      const again = client.replyTo(start, 5_000);
      await client.send(start.bytes, acct);
      expect((await again)?.packet.code).toBe(PacketCode.AccountingResponse);
      expect(accounting.count()).toBe(1);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await client.close();
    }
  });
});
