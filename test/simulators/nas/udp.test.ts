// The same NAS code over real UDP sockets on loopback, in real time.
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import { createNas, type Nas } from '../../../simulators/nas/index.ts';
import { startFakeServer, type FakeServer, type FakeServerOptions } from './support/fake-server.ts';
import { SECRET, USERS } from './support/harness.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function udpSetup(server: Partial<FakeServerOptions> = {}): Promise<{ nas: Nas; server: FakeServer }> {
  const fake = await startFakeServer({
    transport,
    clock,
    secret: SECRET,
    users: USERS,
    address: '127.0.0.1',
    ...server,
  });
  const nas = createNas({
    transport,
    clock,
    servers: [
      { host: '127.0.0.1', port: fake.endpoint.port, accountingPort: fake.endpoint.port, secret: SECRET },
    ],
    // Short real-time waits keep the test fast; the schedule logic is the one tested in virtual time.
    profile: 'custom',
    policy: { timeoutMs: 300, retries: 2 },
  });
  cleanups.push(
    () => nas.close(),
    () => fake.close(),
  );
  return { nas, server: fake };
}

describe('NAS over UDP on 127.0.0.1', () => {
  it('logs in with PAP, MS-CHAPv2 and EAP-MSCHAPv2, and sends Status-Server and accounting', async () => {
    const { nas, server } = await udpSetup();
    const pap = await nas.login({ method: 'pap', user: 'alice', password: 'correct horse' });
    expect(pap.outcome).toBe('accept');
    expect(pap.server?.port).toBe(server.endpoint.port);
    const mschap = await nas.login({ method: 'mschapv2', user: 'alice', password: 'correct horse' });
    expect(mschap).toMatchObject({
      outcome: 'accept',
      msChap2SuccessVerified: true,
      mppeKeys: { matchesExpected: true },
    });
    const eap = await nas.login({ method: 'eap-mschapv2', user: 'alice', password: 'correct horse' });
    expect(eap).toMatchObject({ outcome: 'accept', roundTrips: 4 });
    expect((await nas.statusServer()).outcome).toBe('ok');
    expect((await nas.accounting({ statusType: 'Start', sessionId: 'udp-1' })).outcome).toBe('ok');
    expect(nas.stats().sockets).toBe(1);
    expect(nas.stats().localEndpoints[0]?.address).toBe('127.0.0.1');
  });

  it('retransmits the same datagram after a lost reply', async () => {
    const { nas, server } = await udpSetup({ replyPlan: (i) => (i === 0 ? 'drop' : 'send') });
    const result = await nas.login({ method: 'pap', user: 'alice', password: 'correct horse' });
    expect(result.outcome).toBe('accept');
    expect(result.retransmissions).toBe(1);
    expect(server.received).toHaveLength(2);
    expect(server.received[1]?.data.equals(server.received[0]?.data ?? Buffer.alloc(0))).toBe(true);
    expect(result.trace.find((e) => e.kind === 'timeout')).toMatchObject({ waitedMs: 300 });
  });

  it('matches replies from an IPv6 server written in a non-canonical form', async () => {
    // The kernel reports the source as "::1"; a server given as 0:0:0:0:0:0:0:1 is the same address.
    const fake = await startFakeServer({ transport, clock, secret: SECRET, users: USERS, address: '::1' });
    const nas = createNas({
      transport,
      clock,
      servers: [{ host: '0:0:0:0:0:0:0:1', port: fake.endpoint.port, secret: SECRET }],
      profile: 'custom',
      policy: { timeoutMs: 300, retries: 0 },
    });
    cleanups.push(
      () => nas.close(),
      () => fake.close(),
    );
    const result = await nas.login({ method: 'pap', user: 'alice', password: 'correct horse' });
    expect(result.invalidReplies).toBe(0);
    expect(result.outcome).toBe('accept');
  });
});
