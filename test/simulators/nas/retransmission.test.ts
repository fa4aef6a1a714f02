import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../runtime/memory-transport.ts';
import {
  createNas,
  formatTrace,
  nasProfiles,
  planSchedule,
  scheduleBounds,
  type LoginResult,
  type NasProfileName,
  type TraceEvent,
} from '../../../simulators/nas/index.ts';
import { SECRET, START, settle, setup } from './support/harness.ts';

const alice = { method: 'pap', user: 'alice', password: 'correct horse' } as const;

function transmissions(result: LoginResult): Extract<TraceEvent, { kind: 'send' | 'retransmit' }>[] {
  return result.trace.filter(
    (e): e is Extract<TraceEvent, { kind: 'send' | 'retransmit' }> =>
      e.kind === 'send' || e.kind === 'retransmit',
  );
}

const dropFirst =
  (k: number) =>
  (index: number): 'drop' | 'send' =>
    index < k ? 'drop' : 'send';

describe('retransmission in same mode (RFC 5080 2.2.1)', () => {
  it('resends the same datagram at the profile timeout until a reply comes', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: dropFirst(2) }], { profile: 'radclient' });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome, formatTrace(result.trace)).toBe('accept');
    const sent = transmissions(result);
    expect(sent.map((e) => [e.kind, e.at - START])).toEqual([
      ['send', 0],
      ['retransmit', 5_000],
      ['retransmit', 10_000],
    ]);
    expect(new Set(sent.map((e) => e.identifier)).size).toBe(1);
    expect(new Set(sent.map((e) => e.authenticator)).size).toBe(1);
    const [first, ...rest] = sent;
    for (const event of rest) expect(event.bytes?.equals(first?.bytes ?? Buffer.alloc(0))).toBe(true);
    // What reached the server is byte-identical too.
    const arrived = servers[0]?.received ?? [];
    expect(arrived).toHaveLength(3);
    for (const request of arrived)
      expect(request.data.equals(arrived[0]?.data ?? Buffer.alloc(0))).toBe(true);
    expect(result).toMatchObject({
      transmissions: 3,
      retransmissions: 2,
      timeouts: 2,
      roundTrips: 1,
      totalTimeMs: 10_000,
    });
    expect(result.trace.filter((e) => e.kind === 'timeout').map((e) => e.at - START)).toEqual([
      5_000, 10_000,
    ]);
  });

  it('takes a late reply to an earlier transmission and counts the later duplicate as unmatched', async () => {
    const { clock, nas } = await setup([{ replyDelayMs: 6_000 }], { profile: 'radclient' });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    expect(result.totalTimeMs).toBe(6_000);
    expect(result.retransmissions).toBe(1);
    // The server answered the retransmission too, at 11 s: nothing was waiting for it any more.
    expect(nas.stats().unmatchedReplies).toBe(1);
    expect(nas.stats().outstanding).toBe(0);
  });
});

describe('retransmission in naive mode', () => {
  it('builds a new request for every retry: new Identifier, new authenticator', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: dropFirst(2) }], {
      profile: 'radclient',
      policy: { retransmission: 'naive' },
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    const sent = transmissions(result);
    expect(sent.map((e) => e.at - START)).toEqual([0, 5_000, 10_000]);
    expect(sent.slice(1).every((e) => e.kind === 'retransmit' && e.newRequest)).toBe(true);
    expect(new Set(sent.map((e) => e.identifier)).size).toBe(3);
    expect(new Set(sent.map((e) => e.authenticator)).size).toBe(3);
    const arrived = servers[0]?.received ?? [];
    expect(new Set(arrived.map((r) => r.packet.authenticator.toString('hex'))).size).toBe(3);
  });

  it('still accepts a reply to an earlier request of the round', async () => {
    const { clock, nas } = await setup([{ replyDelayMs: 7_000 }], {
      profile: 'radclient',
      policy: { retransmission: 'naive' },
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    const reply = result.trace.find((e) => e.kind === 'reply');
    expect(reply).toMatchObject({ at: START + 7_000, transmission: 1, rttMs: 7_000 });
  });
});

describe('failover', () => {
  it('moves to the secondary after the configured consecutive timeouts, and stays there', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: () => 'drop' }, {}], {
      profile: 'palo-alto',
      policy: { failoverAfterTimeouts: 2 },
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    expect(result.server).toMatchObject({ index: 1, port: servers[1]?.endpoint.port });
    const kinds = result.trace.map((e) => [e.kind, e.server, e.at - START]);
    expect(kinds).toEqual([
      ['send', 0, 0],
      ['timeout', 0, 3_000],
      ['retransmit', 0, 3_000],
      ['timeout', 0, 6_000],
      ['failover', 1, 6_000],
      ['send', 1, 6_000],
      ['reply', 1, 6_000],
    ]);
    expect(result.failovers).toBe(1);
    expect(nas.stats().activeServer).toBe(1);
    const next = await settle(clock, nas.login(alice));
    expect(next.trace[0]).toMatchObject({ kind: 'send', server: 1 });
    expect(next.failovers).toBe(0);
  });

  it('without sticky failover every request starts with the primary again', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'drop' }, {}], {
      profile: 'palo-alto',
      policy: { stickyFailover: false },
    });
    const first = await settle(clock, nas.login(alice));
    // The whole palo-alto schedule (3 x 3 s) on the primary, then the secondary.
    expect(first.trace.find((e) => e.kind === 'failover')).toMatchObject({
      at: START + 9_000,
      reason: 'schedule-exhausted',
    });
    const second = await settle(clock, nas.login(alice));
    expect(second.trace[0]).toMatchObject({ kind: 'send', server: 0 });
    expect(second.outcome).toBe('accept');
  });

  it('rebuilds the request for the secondary with its own secret', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: () => 'drop' }, { secret: 'other-secret' }], {
      profile: 'netscaler',
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    expect(servers[1]?.received[0]?.attributes.find((a) => a.name === 'User-Password')?.value).toEqual(
      Buffer.from('correct horse'),
    );
  });
});

describe('give-up time of each vendor profile', () => {
  const names: NasProfileName[] = [
    'palo-alto',
    'fortigate',
    'cisco-asa',
    'netscaler',
    'radclient',
    'eapol_test',
    'okta-agent',
    'nps-recommended',
    'custom',
  ];

  it.each(names)('%s against a silent server', async (name) => {
    const { clock, servers, nas } = await setup([{ replyPlan: () => 'drop' }], { profile: name });
    const result = await settle(clock, nas.login(alice));
    const bounds = scheduleBounds(nasProfiles[name].policy);
    expect(result.outcome).toBe('timeout');
    expect(result.totalTimeMs).toBe(bounds.maxGiveUpMs);
    expect(result.transmissions).toBe(bounds.maxTransmissions);
    expect(servers[0]?.received).toHaveLength(bounds.maxTransmissions);
    expect(result.trace.at(-1)).toMatchObject({ kind: 'give-up', at: START + bounds.maxGiveUpMs });
  });

  it('rfc5080 follows the seeded jitter plan within MRC and MRD', async () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { clock, nas } = await setup([{ replyPlan: () => 'drop' }], { profile: 'rfc5080', seed });
      const result = await settle(clock, nas.login(alice));
      const plan = planSchedule(nasProfiles.rfc5080.policy, seededRandom(seed));
      const sendTimes = transmissions(result).map((e) => e.at - START);
      const expectedTimes = plan
        .slice(0, -1)
        .reduce<number[]>((times, wait) => [...times, (times.at(-1) ?? 0) + wait], [0]);
      expect(sendTimes).toEqual(expectedTimes);
      // IRT 2 s +-10%, then each wait within [1.9, 2.1] x the previous or capped at MRT 16 s +-10%.
      const waits = result.trace
        .filter((e) => e.kind === 'timeout')
        .map((e) => (e.kind === 'timeout' ? e.waitedMs : 0));
      expect(waits[0]).toBeGreaterThanOrEqual(1_800);
      expect(waits[0]).toBeLessThanOrEqual(2_200);
      expect(waits.length).toBeLessThanOrEqual(5);
      expect(result.totalTimeMs).toBe(30_000);
    }
  });

  it('tries every server before giving up: twice the schedule with two silent servers', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'drop' }, { replyPlan: () => 'drop' }], {
      profile: 'radclient',
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('timeout');
    expect(result.totalTimeMs).toBe(30_000);
    expect(result.transmissions).toBe(6);
    expect(result.failovers).toBe(1);
  });
});

describe('replies that do not verify', () => {
  it('ignores a reply with a bad Response Authenticator and takes the good one', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'bad-authenticator-then-send' }], {
      profile: 'radclient',
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    expect(result.invalidReplies).toBe(1);
    expect(result.trace.find((e) => e.kind === 'invalid-reply')).toMatchObject({
      reason: 'authenticator-invalid',
    });
    expect(result.retransmissions).toBe(0);
  });

  it('keeps waiting after a bad reply and retransmits on schedule', async () => {
    const { clock, nas } = await setup([{ replyPlan: (i) => (i === 0 ? 'bad-authenticator' : 'send') }], {
      profile: 'radclient',
    });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('accept');
    expect(result.invalidReplies).toBe(1);
    expect(result.retransmissions).toBe(1);
    expect(result.totalTimeMs).toBe(5_000);
  });

  it('times out when every reply fails verification, counting each one', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'bad-authenticator' }], { profile: 'radclient' });
    const result = await settle(clock, nas.login(alice));
    expect(result.outcome).toBe('timeout');
    expect(result).toMatchObject({ transmissions: 3, invalidReplies: 3, roundTrips: 0, totalTimeMs: 15_000 });
    expect(result.replyCode).toBeUndefined();
  });

  it('keeps a bounded trace when a hostile server floods a request with replies that do not verify', async () => {
    const { clock, network, nas } = await setup([{ replyPlan: () => 'drop' }], { profile: 'fortigate' });
    await nas.close();
    const hostile = await network.bind({ address: '127.0.0.1', port: 0 });
    hostile.onMessage((data, from) => {
      const junk = Buffer.from(data.subarray(0, 20));
      junk[0] = 2;
      for (let i = 0; i < 5_000; i++) void hostile.send(junk, from);
    });
    const flooded = createNas({
      transport: network,
      clock,
      profile: 'fortigate',
      servers: [{ host: '127.0.0.1', port: hostile.local.port, secret: SECRET }],
    });
    const result = await settle(clock, flooded.login(alice));
    expect(result.outcome).toBe('timeout');
    expect(result.invalidReplies).toBeGreaterThan(0);
    expect(result.trace.length).toBeLessThanOrEqual(1_100);
  });

  it('times out against a server with another secret (it cannot verify the request)', async () => {
    const { clock, network, servers, nas } = await setup([{}], { profile: 'radclient' });
    await nas.close();
    const wrong = createNas({
      transport: network,
      clock,
      profile: 'radclient',
      servers: [{ host: '127.0.0.1', port: servers[0]?.endpoint.port ?? 0, secret: `${SECRET}-wrong` }],
    });
    const result = await settle(clock, wrong.login(alice));
    expect(result.outcome).toBe('timeout');
    expect(result.transmissions).toBe(3);
    expect(servers[0]?.sent).toHaveLength(0);
  });
});

describe('decision function', () => {
  it('can be replaced: here 1 s, 2 s, then give up', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'drop' }], {
      profile: 'radclient',
      decide: (_policy, state) => (state.transmission <= 2 ? state.transmission * 1_000 : undefined),
    });
    const result = await settle(clock, nas.login(alice));
    expect(transmissions(result).map((e) => e.at - START)).toEqual([0, 1_000]);
    expect(result.totalTimeMs).toBe(3_000);
  });
});

describe('closing and concurrency', () => {
  it('ends a login in progress with error "closed"', async () => {
    const { clock, nas } = await setup([{ replyPlan: () => 'drop' }], { profile: 'okta-agent' });
    const login = nas.login(alice);
    await clock.advance(1_000);
    await nas.close();
    const result = await login;
    expect(result).toMatchObject({ outcome: 'error', error: { code: 'closed' } });
    await expect(nas.login(alice)).rejects.toMatchObject({ code: 'RADMFA_NAS_CLOSED' });
  });

  it('runs 300 logins at once over two sockets, never two outstanding requests with one Identifier', async () => {
    const { clock, servers, nas } = await setup([{ replyDelayMs: 50 }], {
      profile: 'radclient',
      traceBytes: false,
    });
    const logins = Array.from({ length: 300 }, () => nas.login(alice));
    await clock.runAll();
    const results = await Promise.all(logins);
    expect(results.every((r) => r.outcome === 'accept')).toBe(true);
    expect(nas.stats().sockets).toBe(2);
    const keys = (servers[0]?.received ?? []).map((r) => `${r.from.port}/${r.packet.identifier}`);
    expect(new Set(keys).size).toBe(300);
  });
});
