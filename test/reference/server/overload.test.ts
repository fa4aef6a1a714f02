// Admission control (issue 12, item 1): the server holds a bounded amount of work. Requests beyond
// limits.maxInFlight are dropped before they cost anything and counted as `overload`; logins waiting
// on the MFA service count against their own bound (limits.maxPendingMfa), so a burst of pushes does
// not starve quick requests. Work already accepted is finished, and the server recovers.
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode, type AttributeInput } from '../../../protocol/index.ts';
import { VirtualClock } from '../../../runtime/clock.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import type { SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { START, closeServerFixtures, startServerFixture } from './fixture.ts';

afterEach(closeServerFixtures);

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];

const pap = (user: string, password: string): AttributeInput[] => [
  { name: 'User-Name', value: user },
  { name: 'User-Password', value: password },
];

const dropsFor = (dropped: readonly { reason: string }[], reason: string): number =>
  dropped.filter((event) => event.reason === reason).length;

describe('limits.maxInFlight', () => {
  it('drops requests beyond the bound as overload, finishes the accepted ones, then serves again', async () => {
    const f = await startServerFixture({ users: USERS, config: { limits: { maxInFlight: 8 } } });
    f.directory.setLatency('alice', 5_000);
    const burst = Array.from({ length: 80 }, () => f.client.accessRequest(pap('alice', 'alice-pw')));
    for (const request of burst) await f.client.send(request.bytes);
    await f.at(0);

    expect(f.server.stats().inFlight).toBe(8);
    expect(dropsFor(f.dropped, 'overload')).toBe(72);
    expect(f.server.stats().dropped.overload).toBe(72);
    expect(f.server.stats().admission).toMatchObject({ working: 8, refused: 72 });

    await f.at(5_000);
    const answered = burst.filter((request) => f.client.repliesTo(request).length === 1);
    expect(answered).toHaveLength(8);
    expect(f.server.stats().inFlight).toBe(0);

    const after = f.client.accessRequest(pap('bob', 'bob-pw'));
    await f.send(after);
    expect(f.client.repliesTo(after)[0]?.packet.code).toBe(PacketCode.AccessAccept);
  });
});

describe('limits.maxPendingMfa', () => {
  it('counts MFA waits against their own bound: quick requests still get the whole in-flight bound', async () => {
    const clock = new VirtualClock(START);
    // Every push is approved after 60 s.
    const slowPush: SecondFactor = {
      verify: async () => {
        await clock.sleep(60_000);
        return { kind: 'allow', reason: 'mfa-approved', mfaMethod: 'push' };
      },
      submitCode: () => Promise.resolve({ kind: 'deny', reason: 'mfa-code-wrong' }),
    };
    const f = await startServerFixture({
      clock,
      users: USERS,
      secondFactor: slowPush,
      config: { limits: { maxInFlight: 4, maxPendingMfa: 3 } },
    });
    const waiting = Array.from({ length: 3 }, () => f.client.accessRequest(pap('alice', 'alice-pw')));
    for (const request of waiting) await f.client.send(request.bytes);
    await f.at(0);
    expect(f.server.stats().admission).toMatchObject({ working: 0, pendingMfa: 3 });

    const oneTooMany = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(oneTooMany);
    expect(dropsFor(f.dropped, 'mfa-overload')).toBe(1);
    expect(f.client.repliesTo(oneTooMany)).toHaveLength(0);

    // Four slow quick requests (wrong passwords, a 1 s directory): all four fit beside the MFA waits.
    f.directory.setLatency('bob', 1_000);
    const quick = Array.from({ length: 4 }, () => f.client.accessRequest(pap('bob', 'wrong')));
    for (const request of quick) await f.client.send(request.bytes);
    await f.at(0);
    expect(dropsFor(f.dropped, 'overload')).toBe(0);
    expect(f.server.stats().admission).toMatchObject({ working: 4, pendingMfa: 3 });
    await f.at(1_000);
    expect(quick.map((request) => f.client.repliesTo(request)[0]?.packet.code)).toEqual(
      Array(4).fill(PacketCode.AccessReject),
    );

    await f.at(60_000);
    expect(waiting.map((request) => f.client.repliesTo(request)[0]?.packet.code)).toEqual(
      Array(3).fill(PacketCode.AccessAccept),
    );
    expect(f.server.stats().admission).toMatchObject({ working: 0, pendingMfa: 0, refusedMfa: 1 });
  });
});

describe('limits in the config file', () => {
  it('names each bad limit with its fix', () => {
    const result = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { url: 'ldap://127.0.0.1:389' },
      limits: { maxInFlight: 0, maxPendingMfa: 'many', queue: 3 },
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((issue) => issue.path);
    expect(paths).toEqual(['limits.maxInFlight', 'limits.maxPendingMfa', 'limits.queue']);
  });

  it('defaults to 1024 in flight and 10000 pending MFA logins', () => {
    const result = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { url: 'ldap://127.0.0.1:389' },
    });
    expect(result.ok && result.config.limits).toEqual({ maxInFlight: 1024, maxPendingMfa: 10_000 });
  });
});
