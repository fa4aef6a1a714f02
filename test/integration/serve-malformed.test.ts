// What `radmfa serve` does with datagrams it must not answer: damaged packets, a NAS that is not in
// its clients table, and a NAS with the wrong shared secret. Each is dropped in silence (RFC 2865 3
// and 5.19-style "silently discard"), counted by reason on /metrics, logged as a "dropped" line that
// carries no secret, and none of them stops the server answering the next good request.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PacketCode, applyMutation, type AttributeInput, type Mutation } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import {
  SERVE_SECRET,
  makeServeWorkDir,
  serveTestConfig,
  startServe,
  type ServeProcess,
} from '../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const PASSWORD = 'Passw0rd!';
const WRONG_SECRET = 'not-the-shared-secret';
/** Loopback, but not in the clients table (which lists 127.0.0.1/32 only). */
const STRANGER_ADDRESS = '127.0.0.5';

const alice: AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: PASSWORD },
];

/** Each mutation of a good Access-Request (with Message-Authenticator) and the drop reason it must get. */
const damaged: readonly { readonly mutation: Mutation; readonly reason: string }[] = [
  { mutation: { kind: 'truncate', length: 12 }, reason: 'too-short' },
  { mutation: { kind: 'set-length-field', length: 5000 }, reason: 'too-long' },
  { mutation: { kind: 'set-length-field', length: 2000 }, reason: 'length-mismatch' },
  { mutation: { kind: 'set-code', code: 99 }, reason: 'unknown-code' },
  { mutation: { kind: 'set-attribute-length', index: 1, length: 1 }, reason: 'attribute-length-invalid' },
  { mutation: { kind: 'set-attribute-length', index: 2, length: 250 }, reason: 'attribute-truncated' },
  { mutation: { kind: 'flip-message-authenticator-bit' }, reason: 'message-authenticator-invalid' },
  { mutation: { kind: 'set-code', code: PacketCode.AccountingResponse }, reason: 'unexpected-code' },
];

function metricValue(text: string, reason: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`radmfa_packets_dropped_total{reason="${reason}"} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('radmfa serve drops what it must not answer, and keeps answering', () => {
  let workDir: string;
  let serve: ServeProcess;
  let nas: RadiusTestClient;
  let stranger: RadiusTestClient;

  beforeAll(async () => {
    workDir = makeServeWorkDir();
    serve = await startServe({ workDir, config: serveTestConfig(workDir) });
    nas = await RadiusTestClient.open({ transport, clock, server: serve.auth, secret: SERVE_SECRET });
    stranger = await RadiusTestClient.open({
      transport,
      clock,
      server: serve.auth,
      secret: SERVE_SECRET,
      address: STRANGER_ADDRESS,
    });
  });

  afterAll(async () => {
    await nas?.close();
    await stranger?.close();
    await serve?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /**
   * Sends a marker datagram to `to` from `from` and waits until it has arrived. Whatever the server sent
   * `to` before this call is queued on that socket ahead of the marker, so it has been received too: a
   * positive signal to wait for before asserting that no reply came.
   */
  async function drain(to: RadiusTestClient, from: RadiusTestClient): Promise<Buffer> {
    const marker = Buffer.from(`radmfa-test marker ${to.received.length}`);
    await from.send(marker, to.local);
    await vi.waitFor(() => expect(to.received.some((d) => d.bytes.equals(marker))).toBe(true));
    return marker;
  }

  /** A good request answered proves the server is alive and has handled everything sent before. */
  async function expectStillAnswering(): Promise<void> {
    const reply = await nas.exchange(nas.accessRequest(alice), 5_000);
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(reply?.verified.ok).toBe(true);
  }

  it('drops damaged packets, each with its own reason, and answers no one of them', async () => {
    const sent = damaged.map(({ mutation }) => {
      const built = nas.accessRequest(alice);
      return { built, bytes: applyMutation(built.bytes, mutation) };
    });
    for (const { bytes } of sent) await nas.send(bytes);
    await expectStillAnswering();
    for (const { built } of sent) expect(nas.repliesTo(built)).toHaveLength(0);
    expect(nas.received).toHaveLength(1);
    for (const { reason } of damaged) {
      await serve.waitForLog((e) => e.event === 'dropped' && e.reason === reason);
    }
  });

  it('never lets a dropped packet into the duplicate cache: the undamaged original is still answered', async () => {
    const built = nas.accessRequest(alice);
    await nas.send(applyMutation(built.bytes, { kind: 'flip-message-authenticator-bit' }));
    const reply = await nas.exchange(built, 5_000);
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it(`drops a NAS that is not a client (${STRANGER_ADDRESS}), though its secret is right`, async () => {
    const built = stranger.accessRequest(alice);
    await stranger.send(built.bytes);
    const status = stranger.build(PacketCode.StatusServer, []);
    await stranger.send(status.bytes);
    await expectStillAnswering();
    // Both were dropped, the Status-Server too: two "dropped" lines name the stranger.
    const strangerDrops = (): Record<string, unknown>[] =>
      serve
        .logEvents()
        .filter(
          (e) =>
            e.event === 'dropped' &&
            e.reason === 'unknown-client' &&
            JSON.stringify(e.from).includes(STRANGER_ADDRESS),
        );
    await vi.waitFor(() => expect(strangerDrops()).toHaveLength(2), { timeout: 5_000 });
    expect(strangerDrops()[0]?.detail).toContain(STRANGER_ADDRESS);
    // Nothing came back to the stranger, not even to Status-Server: the marker is all it received.
    const marker = await drain(stranger, nas);
    expect(stranger.received.map((d) => d.bytes.toString())).toEqual([marker.toString()]);
  });

  it('drops requests signed with the wrong secret: Access-Request, Status-Server and Accounting-Request', async () => {
    const access = nas.accessRequest(alice, { secret: WRONG_SECRET });
    const status = nas.build(PacketCode.StatusServer, [], { secret: WRONG_SECRET });
    const accounting = nas.build(
      PacketCode.AccountingRequest,
      [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: 'wrong-secret-1' },
        { name: 'User-Name', value: 'alice' },
      ],
      { secret: WRONG_SECRET },
    );
    await nas.send(access.bytes);
    await nas.send(status.bytes);
    await nas.send(accounting.bytes, serve.acct);
    await expectStillAnswering();
    // The accounting port is another socket than the one that answered: its drop is awaited, then
    // the NAS socket drained, before asking whether anything came back.
    const wrongSecretDrop = await serve.waitForLog(
      (e) =>
        e.event === 'dropped' &&
        e.reason === 'authenticator-invalid' &&
        e.code === PacketCode.AccountingRequest,
    );
    expect(wrongSecretDrop.client).toBe('loopback');
    await drain(nas, stranger);
    expect(nas.repliesTo(access)).toHaveLength(0);
    expect(nas.repliesTo(status)).toHaveLength(0);
    expect(nas.repliesTo(accounting)).toHaveLength(0);
  });

  it('counts every drop by reason on /metrics', async () => {
    const admin = serve.admin;
    if (admin === undefined) throw new Error('no admin endpoint');
    const text = await (await fetch(`http://${admin.address}:${admin.port}/metrics`)).text();
    const expected: Record<string, number> = {
      'too-short': 1,
      'too-long': 1,
      'length-mismatch': 1,
      'unknown-code': 1,
      'attribute-length-invalid': 1,
      'attribute-truncated': 1,
      // One damaged packet, the damaged copy of an original, the wrong-secret Access-Request and Status-Server.
      'message-authenticator-invalid': 4,
      'unexpected-code': 1,
      'unknown-client': 2,
      'authenticator-invalid': 1,
    };
    for (const [reason, count] of Object.entries(expected)) {
      expect(metricValue(text, reason), `radmfa_packets_dropped_total{reason="${reason}"}`).toBe(count);
    }
    expect(text).toMatch(/^radmfa_access_total\{outcome="accept",method="pap",reason="primary-ok"\} 4$/m);
  });

  it('logs each drop as a "dropped" warning that holds no secret and no password', () => {
    const drops = serve.logEvents().filter((e) => e.event === 'dropped');
    expect(drops).toHaveLength(14);
    for (const drop of drops) {
      expect(drop.level).toBe(40);
      expect(typeof drop.reason).toBe('string');
      expect(drop.from).toMatchObject({ address: expect.stringMatching(/^127\.0\.0\.[15]$/) as unknown });
    }
    const stderr = serve.stderrLines().join('\n');
    expect(stderr).not.toContain(SERVE_SECRET);
    expect(stderr).not.toContain(WRONG_SECRET);
    expect(stderr).not.toContain(PASSWORD);
  });
});
