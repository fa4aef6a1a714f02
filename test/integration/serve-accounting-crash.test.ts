// Accounting is durable before it is acknowledged (RFC 2866 2: the NAS retransmits until it gets
// an Accounting-Response, so an answered record must never be lost). The test kills `radmfa serve`
// with SIGKILL the moment an Accounting-Response arrives, then reopens the SQLite file: every
// record the server acknowledged is there. Repeated over the same file, so each run also starts
// from a database whose previous writer died mid-flight.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PacketCode, type BuiltPacket } from '../../protocol/index.ts';
import { AcctStatusType, openAccountingStore } from '../../reference/accounting/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import { SERVE_SECRET, makeServeWorkDir, serveTestConfig, startServe } from '../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const ROUNDS = 3;
/** Accounting-Requests sent at once per round; the kill follows the first answer. */
const BURST = 4;

const workDir = makeServeWorkDir();
const accountingPath = path.join(workDir, 'accounting.sqlite');

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Sends a marker datagram to `client` from a socket of its own and waits until it has arrived. */
async function receiveMarker(client: RadiusTestClient): Promise<void> {
  const marker = Buffer.from('radmfa-test marker');
  const socket = await transport.bind({ address: '127.0.0.1', port: 0 });
  try {
    await socket.send(marker, client.local);
    await vi.waitFor(() => expect(client.received.some((d) => d.bytes.equals(marker))).toBe(true));
  } finally {
    await socket.close();
  }
}

describe('accounting survives kill -9 right after the Accounting-Response', () => {
  it(`keeps every acknowledged record over ${ROUNDS} crashes`, async () => {
    const acknowledged: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const serve = await startServe({
        workDir,
        config: serveTestConfig(workDir, { admin: false }),
      });
      const nas = await RadiusTestClient.open({ transport, clock, server: serve.acct, secret: SERVE_SECRET });
      try {
        const requests: { sessionId: string; built: BuiltPacket }[] = [];
        for (let i = 0; i < BURST; i++) {
          const sessionId = `crash-${round}-${i}`;
          requests.push({
            sessionId,
            built: nas.build(PacketCode.AccountingRequest, [
              { name: 'Acct-Status-Type', value: 'Start' },
              { name: 'Acct-Session-Id', value: sessionId },
              { name: 'User-Name', value: 'alice' },
              { name: 'NAS-IP-Address', value: '127.0.0.1' },
            ]),
          });
        }
        const first = Promise.race(requests.map(({ built }) => nas.replyTo(built, 10_000)));
        for (const { built } of requests) await nas.send(built.bytes);
        const reply = await first;
        serve.kill('SIGKILL');
        expect(reply?.packet.code).toBe(PacketCode.AccountingResponse);
        expect(await serve.exited).toEqual({ code: null, signal: 'SIGKILL' });
        // Replies still queued on our socket were sent before the kill, so they count as acknowledged.
        // A marker sent to the socket now queues behind them: once it has arrived, so have they all.
        await receiveMarker(nas);
        for (const { sessionId, built } of requests) {
          if (nas.repliesTo(built).length > 0) acknowledged.push(sessionId);
        }
      } finally {
        await nas.close();
        await serve.stop();
      }

      const store = openAccountingStore(accountingPath);
      try {
        for (const sessionId of acknowledged) {
          expect(store.count({ sessionId, statusType: AcctStatusType.Start }), sessionId).toBe(1);
        }
      } finally {
        store.close();
      }
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS);
  });
});
