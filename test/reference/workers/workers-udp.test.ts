// listen.workers: 2 on Node 20 (the cluster module's shared handle: the kernel hands each datagram
// to whichever worker reads first), as `radmfa serve` runs it, over real UDP. Retransmissions of
// one request land on either worker and are still one login; the answer to a challenge, sent from
// another source port, still finds its conversation. Both hold only because route.ts brings every
// datagram to its owner: with routing off, copies are processed twice and States are unknown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EapCode,
  buildMd5Response,
  decodeEap,
  eapIdentityResponse,
  parseMd5TypeData,
} from '../../../protocol/auth/index.ts';
import { EAP_MESSAGE_TYPE, PacketCode, attributeValue, joinedValue } from '../../../protocol/index.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { dgramSupportsReusePort } from '../../../reference/workers/worker-transport.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import { RadiusTestClient, type RadiusReply } from '../../support/radius-test-client.ts';
import {
  DEMO_DIRECTORY,
  SERVE_SECRET,
  serveTestConfig,
  startServe,
  type ServeProcess,
} from '../../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const PASSWORD = 'Passw0rd!';
const COPIES = 40;

let serve: ServeProcess;
const clients: RadiusTestClient[] = [];

async function client(): Promise<RadiusTestClient> {
  const opened = await RadiusTestClient.open({ transport, clock, server: serve.auth, secret: SERVE_SECRET });
  clients.push(opened);
  return opened;
}

beforeAll(async () => {
  serve = await startServe({
    config: (workDir) =>
      serveTestConfig(workDir, {
        listen: { host: '127.0.0.1', authPort: 0, acctPort: 0, workers: 2 },
        directory: { static: { fixture: DEMO_DIRECTORY } },
        // rfc5080: a copy after the answer gets the cached answer, so every copy is answered and a
        // copy processed a second time would show as a second access event.
        duplicates: { profile: 'rfc5080' },
        mfa: { enabled: false },
      }),
    args: ['--log-level', 'info'],
    startTimeoutMs: 60_000,
  });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await serve?.stop();
});

function events(kind: string): Record<string, unknown>[] {
  return serve.logEvents().filter((event) => event.event === kind);
}

/** Polls the child's log (bounded): another process's log has no event to await in this one. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = clock.now() + 20_000;
  while (!done()) {
    if (clock.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await clock.sleep(20);
  }
}

describe('listen.workers: 2 over UDP (cluster shared handle on Node 20, reusePort on Node 24)', () => {
  it('starts two workers on one pair of ports', () => {
    // Node 20: the cluster module's shared handle; Node >= 22.12 (the CI's Node 24 leg): reusePort sockets.
    const routing = dgramSupportsReusePort() ? 'reuseport' : 'cluster-shared-handle';
    expect(serve.started).toMatchObject({ workers: 2, routing });
    const listening = events('listening');
    expect(new Set(listening.map((event) => event.worker))).toEqual(new Set([0, 1]));
  });

  it(`${COPIES} copies of each of 8 requests: one login each, every copy answered alike`, async () => {
    const nas = await client();
    const before = events('access').length;
    const requests = Array.from({ length: 8 }, (_, i) =>
      nas.accessRequest([
        { name: 'User-Name', value: ['alice', 'bob', 'carol', 'dave'][i % 4] ?? 'alice' },
        { name: 'User-Password', value: PASSWORD },
      ]),
    );
    // Each request's copies go out back to back (the kernel spreads them over both workers), then
    // more after the answer (replayed from the owner's cache).
    for (const request of requests) {
      for (let copy = 0; copy < COPIES / 2; copy++) await nas.send(request.bytes);
    }
    await until(() => requests.every((r) => nas.repliesTo(r).length > 0), 'first answers');
    for (const request of requests) {
      for (let copy = 0; copy < COPIES / 2; copy++) await nas.send(request.bytes);
    }
    await until(
      () => events('duplicate').length >= requests.length * (COPIES - 1),
      'every copy counted as a duplicate',
    );
    const access = events('access').slice(before);
    expect(access).toHaveLength(requests.length);
    expect(access.every((event) => event.outcome === 'accept')).toBe(true);
    // The logins were spread over both workers (the owner is a hash of the duplicate key).
    expect(new Set(access.map((event) => event.worker))).toEqual(new Set([0, 1]));
    for (const request of requests) {
      const replies = nas.repliesTo(request);
      expect(replies.length).toBeGreaterThan(COPIES / 2);
      expect(new Set(replies.map((reply) => reply.bytes.toString('hex'))).size).toBe(1);
    }
  });

  it('EAP-MD5 with every round from a new source port: the State brings each answer home', async () => {
    const logins = 12;
    const outcomes: number[] = [];
    for (let login = 0; login < logins; login++) {
      const round = async (eap: Buffer, state?: Buffer): Promise<RadiusReply> => {
        // A fresh socket per round: another source port, so another route than the first round's.
        const nas = await client();
        const reply = await nas.exchange(
          nas.accessRequest([
            { name: 'User-Name', value: 'alice' },
            { name: 'EAP-Message', value: eap },
            ...(state !== undefined ? [{ name: 'State', value: state }] : []),
          ]),
          10_000,
        );
        if (reply === undefined) throw new Error('no reply');
        return reply;
      };
      const first = await round(eapIdentityResponse(0, 'alice'));
      expect(first.packet.code).toBe(PacketCode.AccessChallenge);
      const state = attributeValue(first.attributes, 'State');
      const eap = decodeEap(joinedValue(first.packet.attributes, EAP_MESSAGE_TYPE) ?? Buffer.alloc(0));
      if (!Buffer.isBuffer(state) || !eap.ok || eap.value.code !== EapCode.Request)
        throw new Error('bad challenge');
      const md5 = parseMd5TypeData(eap.value.typeData);
      if (!md5.ok) throw new Error(md5.message);
      const done = await round(buildMd5Response(eap.value.identifier, PASSWORD, md5.value.value), state);
      outcomes.push(done.packet.code);
    }
    expect(outcomes).toEqual(Array.from({ length: logins }, () => PacketCode.AccessAccept));
    // Conversations were opened by both workers (the State's first octet names the worker).
    const challenges = events('access').filter((event) => event.outcome === 'challenge');
    expect(new Set(challenges.map((event) => event.worker))).toEqual(new Set([0, 1]));
  });

  it('datagrams did cross between the workers (the forward path was used, none refused)', async () => {
    await serve.stop();
    const stopped = events('worker-stopped');
    expect(stopped).toHaveLength(2);
    const forwarded = stopped.reduce((sum, event) => sum + Number(event.forwarded), 0);
    const received = stopped.reduce((sum, event) => sum + Number(event.received), 0);
    expect(forwarded).toBeGreaterThan(0);
    expect(received).toBe(forwarded);
    expect(stopped.every((event) => event.refused === 0)).toBe(true);
  });
});
