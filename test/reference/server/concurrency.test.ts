import { afterEach, describe, expect, it } from 'vitest';
import { eapIdentityResponse } from '../../../protocol/auth/index.ts';
import { PacketCode, type AttributeInput } from '../../../protocol/index.ts';
import type { LookupResult } from '../../../reference/directory/types.ts';
import type { MfaDecision, SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { MemoryDirectory } from '../../support/memory-directory.ts';
import { START, closeServerFixtures, startServerFixture, type ServerFixture } from './fixture.ts';

/** A directory with a bug: looking up `boom` throws instead of answering. */
class ThrowingDirectory extends MemoryDirectory {
  override findUser(userName: string): Promise<LookupResult> {
    if (userName === 'boom') return Promise.reject(new Error('directory bug'));
    return super.findUser(userName);
  }
}

afterEach(closeServerFixtures);

const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];

function start(
  config: Record<string, unknown> = {},
  throwing = false,
  secondFactor?: SecondFactor,
): Promise<ServerFixture> {
  return startServerFixture({
    users: USERS,
    config,
    ...(throwing ? { makeDirectory: (options) => new ThrowingDirectory(options) } : {}),
    ...(secondFactor !== undefined ? { secondFactor } : {}),
  });
}

const pap = (user: string, password: string): AttributeInput[] => [
  { name: 'User-Name', value: user },
  { name: 'User-Password', value: password },
];

describe('no head-of-line blocking', () => {
  it("a 10 s lookup for alice does not delay bob's answer", async () => {
    const f = await start();
    f.directory.setLatency('alice', 10_000);
    const slow = f.client.accessRequest(pap('alice', 'alice-pw'));
    const fast = f.client.accessRequest(pap('bob', 'bob-pw'));
    await f.send(slow);
    await f.at(1_000);
    await f.send(fast);
    const bobReply = f.client.repliesTo(fast)[0];
    expect(bobReply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(bobReply?.receivedAt).toBe(START + 1_000);
    expect(f.client.repliesTo(slow)).toHaveLength(0);
    expect(f.server.stats().inFlight).toBe(1);

    await f.at(10_000);
    const aliceReply = f.client.repliesTo(slow)[0];
    expect(aliceReply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(aliceReply?.receivedAt).toBe(START + 10_000);
    expect(f.access.map((event) => [event.userName, event.durationMs])).toEqual([
      ['bob', 0],
      ['alice', 10_000],
    ]);
    expect(f.server.stats().inFlight).toBe(0);
  });

  it('many slow logins in flight at once are all answered when their lookups end', async () => {
    const f = await start();
    f.directory.setLatency('alice', 8_000);
    const requests = Array.from({ length: 50 }, () => f.client.accessRequest(pap('alice', 'alice-pw')));
    for (const request of requests) await f.client.send(request.bytes);
    await f.at(0);
    const bob = f.client.accessRequest(pap('bob', 'bob-pw'));
    await f.send(bob);
    expect(f.client.repliesTo(bob)).toHaveLength(1);
    expect(f.server.stats().inFlight).toBe(50);
    await f.at(8_000);
    expect(requests.every((request) => f.client.repliesTo(request).length === 1)).toBe(true);
  });
});

describe('reject delay', () => {
  it('delays Access-Reject on the clock without holding up other answers', async () => {
    const f = await start({ rejectDelayMs: 1_000 });
    const wrong = f.client.accessRequest(pap('alice', 'nope'));
    const right = f.client.accessRequest(pap('bob', 'bob-pw'));
    await f.send(wrong);
    await f.send(right);
    expect(f.client.repliesTo(right)[0]?.receivedAt).toBe(START);
    expect(f.client.repliesTo(wrong)).toHaveLength(0);
    // A retransmission during the delay is still in flight: discarded, not answered twice.
    await f.at(500);
    await f.send(wrong);
    await f.at(1_000);
    const replies = f.client.repliesTo(wrong);
    expect(replies.map((reply) => [reply.packet.code, reply.receivedAt])).toEqual([
      [PacketCode.AccessReject, START + 1_000],
    ]);
  });
});

describe('directory unavailable', () => {
  it('rejects by default, and serves again when the directory is back', async () => {
    const f = await start();
    f.directory.unavailable = true;
    const down = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(down);
    expect(f.client.repliesTo(down)[0]?.packet.code).toBe(PacketCode.AccessReject);
    expect(f.access[0]?.reason).toMatch(/^directory-unavailable/);

    f.directory.unavailable = false;
    const up = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(up);
    expect(f.client.repliesTo(up)[0]?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it("onUnavailable: 'discard' stays silent, counts it, and keeps serving other users", async () => {
    const f = await start({ directory: { url: 'ldap://127.0.0.1:389', onUnavailable: 'discard' } });
    // alice's lookups time out after 5 s; bob's directory entries answer at once.
    f.directory.setLatency('alice', 5_000);
    f.directory.unavailableUsers.add('alice');
    const alice = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(alice);
    for (const t of [1_000, 2_000, 3_000]) {
      await f.at(t);
      const bob = f.client.accessRequest(pap('bob', 'bob-pw'));
      await f.send(bob);
      expect(f.client.repliesTo(bob)[0]?.packet.code).toBe(PacketCode.AccessAccept);
    }
    await f.at(60_000);
    expect(f.client.repliesTo(alice)).toHaveLength(0);
    expect(f.server.stats().access).toMatchObject({ accept: 3, discard: 1, reject: 0 });
    expect(f.server.stats().dropped).toEqual({ 'directory-unavailable': 1 });
    expect(f.dropped[0]).toMatchObject({ reason: 'directory-unavailable', client: 'vpn' });

    // EAP also stays silent rather than failing the conversation.
    const eap = f.client.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eapIdentityResponse(0, 'alice') },
    ]);
    await f.send(eap);
    // The Identity round needs no directory; the challenge comes back.
    expect(f.client.repliesTo(eap)[0]?.packet.code).toBe(PacketCode.AccessChallenge);
  });

  it("with 'discard', a retransmission inside the window stays discarded without asking the directory again", async () => {
    const f = await start({ directory: { url: 'ldap://127.0.0.1:389', onUnavailable: 'discard' } });
    f.directory.unavailable = true;
    const request = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(request);
    await f.at(2_000);
    f.directory.unavailable = false;
    await f.send(request);
    expect(f.client.repliesTo(request)).toHaveLength(0);
    expect(f.directory.count('find', 'alice')).toBe(1);
    expect(f.server.stats().duplicates.discardedRecentlyDropped).toBe(1);
    // A fresh attempt (new authenticator) goes through.
    const retry = f.client.accessRequest(pap('alice', 'alice-pw'));
    await f.send(retry);
    expect(f.client.repliesTo(retry)[0]?.packet.code).toBe(PacketCode.AccessAccept);
  });
});

describe('internal errors', () => {
  it('a throwing directory drops that request as internal-error, emits error, and the server goes on', async () => {
    const f = await start({}, true);
    const boom = f.client.accessRequest(pap('boom', 'x'));
    await f.send(boom);
    expect(f.client.repliesTo(boom)).toHaveLength(0);
    expect(f.server.stats().dropped).toEqual({ 'internal-error': 1 });
    expect(f.errors[0]?.message).toBe('directory bug');
    expect(f.server.stats().inFlight).toBe(0);

    const fine = f.client.accessRequest(pap('bob', 'bob-pw'));
    await f.send(fine);
    expect(f.client.repliesTo(fine)[0]?.packet.code).toBe(PacketCode.AccessAccept);

    // The failed request's entry was closed, not left in flight: after the window it is retried.
    await f.at(10_000);
    await f.send(boom);
    expect(f.server.stats().dropped).toEqual({ 'internal-error': 2 });
  });

  it('a reply that cannot be built (Proxy-State filling the packet) closes the in-flight entry too', async () => {
    // The policy adds ~500 octets to the reply; 15 Proxy-States of 250 octets still fit the request.
    const f = await start({
      policy: {
        rules: [
          {
            name: 'big',
            reply: [
              { name: 'Reply-Message', value: 'x'.repeat(250) },
              { name: 'Filter-Id', value: 'y'.repeat(250) },
            ],
          },
        ],
      },
    });
    const proxyStates = Array.from({ length: 15 }, (_, i) => ({
      name: 'Proxy-State',
      value: Buffer.alloc(250, i),
    }));
    const big = f.client.accessRequest([...pap('bob', 'bob-pw'), ...proxyStates]);
    await f.send(big);
    expect(f.client.repliesTo(big)).toHaveLength(0);
    expect(f.server.stats().dropped).toEqual({ 'internal-error': 1 });
    expect(f.server.stats().duplicates.expiredInFlight).toBe(0);
    await f.at(10_000);
    await f.send(big);
    expect(f.server.stats().dropped).toEqual({ 'internal-error': 2 });
  });
});

/** Asks every user for an app code: the login ends in an Access-Challenge with State. */
class CodePrompt implements SecondFactor {
  verify(): Promise<MfaDecision> {
    return Promise.resolve({
      kind: 'challenge',
      prompt: 'Enter the code',
      session: { sessionId: 's1', mfaMethod: 'app_code', userId: 'alice@radmfa.test' },
    });
  }
  submitCode(): Promise<MfaDecision> {
    return Promise.resolve({ kind: 'deny', reason: 'mfa-denied' });
  }
}

describe('close', () => {
  it('a login still in flight at close opens no State whose timer outlives the server', async () => {
    const f = await start({}, false, new CodePrompt());
    f.directory.setLatency('alice', 10_000);
    await f.send(f.client.accessRequest(pap('alice', 'alice-pw')));
    await f.at(1_000);
    await f.server.close();
    await f.at(10_000);
    // A State opened after close would hold a challengeTtlMs (180 s) timer: with a SystemClock,
    // `radmfa serve` would linger for minutes after SIGTERM.
    expect(f.clock.pendingCount).toBe(0);
    expect(f.server.stats().inFlight).toBe(0);
  });
});
