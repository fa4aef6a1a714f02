import { describe, expect, it } from 'vitest';
import { PacketCode } from '../../../protocol/index.ts';
import { createNas, type LeanStatus } from '../../../simulators/nas/index.ts';
import { readingLate } from '../../support/reading-late.ts';
import { SECRET, START, settle, setup, type ServerSpec } from './support/harness.ts';

const alice = { method: 'pap', user: 'alice', password: 'correct horse' } as const;
const papVariants = [
  [
    { name: 'User-Name', value: 'alice' },
    { name: 'User-Password', value: 'correct horse' },
  ],
];

interface Ended {
  readonly status: LeanStatus;
  readonly code: number;
  readonly rttMs: number;
  readonly transmissions: number;
  readonly at: number;
}

async function leanRun(specs: readonly ServerSpec[], profile: string, sends: number) {
  const harness = await setup(specs, { profile, trace: false });
  const { nas, clock } = harness;
  await nas.lean.open(sends);
  const template = nas.lean.template({ code: PacketCode.AccessRequest, variants: papVariants });
  const ended: Ended[] = [];
  for (let i = 0; i < sends; i++) {
    const accepted = nas.lean.send(template, i, (status, code, rttMs, transmissions) =>
      ended.push({ status, code, rttMs, transmissions, at: clock.now() - START }),
    );
    expect(accepted).toBe(true);
  }
  await clock.runAll();
  return { ...harness, ended };
}

describe('lean request path', () => {
  it('sends prepared requests the server verifies and takes the verified replies', async () => {
    const { ended, servers, nas } = await leanRun([{}], 'rfc5080', 3);
    expect(ended.map((e): [LeanStatus, number, number] => [e.status, e.code, e.transmissions])).toEqual([
      ['reply', PacketCode.AccessAccept, 1],
      ['reply', PacketCode.AccessAccept, 1],
      ['reply', PacketCode.AccessAccept, 1],
    ]);
    // The fake server checks Message-Authenticator and the password: it accepted all three.
    expect(servers[0]?.received).toHaveLength(3);
    const identifiers = servers[0]?.received.map((r) => r.packet.identifier);
    expect(new Set(identifiers).size).toBe(3);
    // The NAS's own attributes go on, as on logins.
    const names = servers[0]?.received[0]?.attributes.map((a) => a.name);
    expect(names).toContain('NAS-Identifier');
    expect(nas.lean.stats()).toMatchObject({
      sent: 3,
      replies: 3,
      timeouts: 0,
      outstanding: 0,
      discarded: 0,
    });
    expect(nas.stats().outstanding).toBe(0);
  });

  it('times a reply from its arrival when the transport says it waited unread (a coalescing socket)', async () => {
    const direct = await leanRun([{}], 'rfc5080', 1);
    const { clock, network, servers } = await setup([{}]);
    const QUEUED_MS = 30;
    // Hands every datagram over 30 ms after it arrived, and says so, as a socket read on a timer does.
    const readLate = readingLate(network, clock, QUEUED_MS);
    const server = servers[0]?.endpoint;
    const nas = createNas({
      transport: readLate,
      clock,
      servers: [{ host: server?.address ?? '', port: server?.port ?? 0, secret: SECRET }],
      profile: 'rfc5080',
      trace: false,
    });
    await nas.lean.open(1);
    const template = nas.lean.template({ code: PacketCode.AccessRequest, variants: papVariants });
    const ended: { rttMs: number; queuedMs: number; at: number }[] = [];
    nas.lean.send(template, 0, (_status, _code, rttMs, _transmissions, queuedMs) =>
      ended.push({ rttMs, queuedMs, at: clock.now() - START }),
    );
    await clock.runAll();
    const first = direct.ended[0];
    // Handled 30 ms later, but the round trip is the same: the wait is reported, not counted.
    expect(ended).toEqual([{ rttMs: first?.rttMs, queuedMs: QUEUED_MS, at: (first?.at ?? 0) + QUEUED_MS }]);
  });

  it('retransmits the same datagram on the profile schedule, then gives up (radclient: 5 s, 3 tries)', async () => {
    const { ended, servers, nas } = await leanRun([{ replyPlan: () => 'drop' }], 'radclient', 1);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ status: 'timeout', transmissions: 3 });
    // Timeouts are seen by a sweep: within one sweep period (a quarter of the timeout) of 15 s.
    expect(ended[0]?.at).toBeGreaterThanOrEqual(15_000);
    expect(ended[0]?.at).toBeLessThanOrEqual(15_000 + 1_250);
    const arrived = servers[0]?.received ?? [];
    expect(arrived).toHaveLength(3);
    for (const request of arrived)
      expect(request.data.equals(arrived[0]?.data ?? Buffer.alloc(0))).toBe(true);
    expect(nas.lean.stats()).toMatchObject({ transmissions: 3, retransmissions: 2, timeouts: 1 });
    expect(nas.stats().outstanding).toBe(0);
  });

  it('discards a reply that does not verify and keeps waiting for one that does', async () => {
    const { ended, nas } = await leanRun(
      [{ replyPlan: (i) => (i === 0 ? 'bad-authenticator' : 'send') }],
      'radclient',
      1,
    );
    expect(ended[0]).toMatchObject({ status: 'reply', code: PacketCode.AccessAccept, transmissions: 2 });
    expect(nas.lean.stats().discardedByReason).toEqual({ 'authenticator-invalid': 1 });
  });

  it('refuses a send when every Identifier of the open sockets is outstanding, and frees them on replies', async () => {
    const { nas, clock } = await setup([{}], { maxSockets: 1, trace: false });
    await nas.lean.open(10_000);
    expect(nas.stats().sockets).toBe(1);
    const template = nas.lean.template({ code: PacketCode.AccessRequest, variants: papVariants });
    let replies = 0;
    for (let i = 0; i < 256; i++) expect(nas.lean.send(template, 0, () => replies++)).toBe(true);
    expect(nas.lean.send(template, 0, () => replies++)).toBe(false);
    expect(nas.lean.stats().busy).toBe(1);
    await clock.runAll();
    expect(replies).toBe(256);
    expect(nas.lean.send(template, 0, () => replies++)).toBe(true);
    await clock.runAll();
    expect(replies).toBe(257);
  });

  it('ends outstanding requests as closed when the NAS closes', async () => {
    const { nas, clock } = await setup([{ replyPlan: () => 'drop' }], { trace: false });
    await nas.lean.open(1);
    const template = nas.lean.template({ code: PacketCode.AccessRequest, variants: papVariants });
    const statuses: LeanStatus[] = [];
    nas.lean.send(template, 0, (status) => statuses.push(status));
    await nas.close();
    await clock.runAll();
    expect(statuses).toEqual(['closed']);
    expect(() => nas.lean.send(template, 0, () => {})).toThrow(/closed/);
  });

  it('refuses a naive-retransmission profile, naming nas.login as the way', async () => {
    const { nas } = await setup([{}], { policy: { retransmission: 'naive' } });
    await nas.lean.open(1);
    const template = nas.lean.template({ code: PacketCode.AccessRequest, variants: papVariants });
    expect(() => nas.lean.send(template, 0, () => {})).toThrow(/RADMFA_NAS_LEAN_UNSUPPORTED.*nas.login/);
  });

  it('answers accounting on the accounting port with the computed authenticator', async () => {
    const { nas, clock } = await setup([{}], { trace: false });
    await nas.lean.open(1);
    const template = nas.lean.template({
      code: PacketCode.AccountingRequest,
      variants: [
        [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: 'lean-1' },
        ],
      ],
    });
    const codes: number[] = [];
    nas.lean.send(template, 0, (_status, code) => codes.push(code));
    await clock.runAll();
    expect(codes).toEqual([PacketCode.AccountingResponse]);
  });
});

describe('trace-free logins (trace: false)', () => {
  it('give the same outcome and counts as traced ones, with an empty trace', async () => {
    const plan = { replyPlan: (i: number) => (i < 2 ? ('drop' as const) : ('send' as const)) };
    const traced = await setup([plan], { profile: 'radclient' });
    const lean = await setup([plan], { profile: 'radclient', trace: false });
    const a = await settle(traced.clock, traced.nas.login(alice));
    const b = await settle(lean.clock, lean.nas.login(alice));
    const counts = (r: typeof a) => ({
      outcome: r.outcome,
      transmissions: r.transmissions,
      retransmissions: r.retransmissions,
      timeouts: r.timeouts,
      roundTrips: r.roundTrips,
      totalTimeMs: r.totalTimeMs,
    });
    expect(counts(b)).toEqual(counts(a));
    expect(counts(a)).toMatchObject({ outcome: 'accept', transmissions: 3, retransmissions: 2, timeouts: 2 });
    expect(a.trace.length).toBeGreaterThan(0);
    expect(b.trace).toEqual([]);
  });

  it('still answers an MFA challenge and still feeds onTrace when asked', async () => {
    const events: string[] = [];
    const { clock, nas } = await setup([{}], { trace: false, onTrace: (event) => events.push(event.kind) });
    const result = await settle(
      clock,
      nas.login({
        method: 'pap',
        user: 'bob',
        password: 'b0b-secret',
        challengeResponder: () => Promise.resolve('123456'),
      }),
    );
    expect(result).toMatchObject({ outcome: 'accept', challenges: 1, roundTrips: 2, trace: [] });
    expect(events).toEqual(['send', 'reply', 'send', 'reply']);
  });
});
