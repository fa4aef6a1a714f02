import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode, type AttributeInput } from '../../../protocol/index.ts';
import { VirtualClock } from '../../../runtime/clock.ts';
import type { MfaDecision, SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { START, closeServerFixtures, startServerFixture, type ServerFixture } from './fixture.ts';

const LOOKUP_MS = 5_000;

/** A second factor whose push takes `delayMs` to be approved, counting the prompts it sends. */
class CountingPush implements SecondFactor {
  prompts = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly delayMs: number,
  ) {}
  async verify(): Promise<MfaDecision> {
    this.prompts++;
    await this.clock.sleep(this.delayMs);
    return { kind: 'allow', reason: 'mfa-approved', mfaMethod: 'push' };
  }
  submitCode(): Promise<MfaDecision> {
    return Promise.resolve({ kind: 'deny', reason: 'mfa-code-wrong' });
  }
}

afterEach(closeServerFixtures);

function start(
  duplicates: Record<string, unknown>,
  secondFactor?: SecondFactor,
  clock?: VirtualClock,
): Promise<ServerFixture> {
  return startServerFixture({
    latencyMs: LOOKUP_MS,
    config: { duplicates },
    ...(secondFactor !== undefined ? { secondFactor } : {}),
    ...(clock !== undefined ? { clock } : {}),
  });
}

const pap: AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: 'pw' },
];

describe('duplicate detection through the server (virtual time)', () => {
  it('nps: in flight discarded and the directory asked once; window after the response discards; after it, processed again', async () => {
    const f = await start({ profile: 'nps' });
    const request = f.client.accessRequest(pap);
    await f.send(request);
    await f.at(1_000);
    await f.send(request); // retransmission while the lookup is in flight
    await f.at(3_000);
    await f.send(request);
    expect(f.client.repliesTo(request)).toHaveLength(0);

    await f.at(LOOKUP_MS);
    const replies = f.client.repliesTo(request);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.packet.code).toBe(PacketCode.AccessAccept);
    expect(replies[0]?.receivedAt).toBe(START + LOOKUP_MS);
    expect(f.directory.count('find', 'alice')).toBe(1);
    expect(f.duplicates.map((event) => [event.action, event.reason])).toEqual([
      ['discard', 'in-flight'],
      ['discard', 'in-flight'],
    ]);

    // Inside the 10 s window after the response: discarded, no reply at all (NPS extension).
    await f.at(LOOKUP_MS + 9_999);
    await f.send(request);
    await f.at(LOOKUP_MS + 9_999 + LOOKUP_MS + 1);
    expect(f.client.repliesTo(request)).toHaveLength(1);
    expect(f.directory.count('find', 'alice')).toBe(1);
    expect(f.duplicates.at(-1)).toMatchObject({ action: 'discard', reason: 'recently-answered' });

    // At answeredAt + window the entry is gone: the same bytes are a new request.
    await f.at(LOOKUP_MS + 10_000 + LOOKUP_MS);
    await f.send(request);
    await f.at(LOOKUP_MS + 10_000 + 2 * LOOKUP_MS);
    expect(f.directory.count('find', 'alice')).toBe(2);
    expect(f.client.repliesTo(request)).toHaveLength(2);
    expect(f.server.stats().duplicates).toMatchObject({
      new: 2,
      discardedInFlight: 2,
      discardedRecentlyAnswered: 1,
    });
  });

  it('nps: a new Request Authenticator on the same Identifier is a new request', async () => {
    const f = await start({ profile: 'nps' });
    const first = f.client.accessRequest(pap, { identifier: 42 });
    const second = f.client.accessRequest(pap, { identifier: 42 });
    await f.send(first);
    await f.at(LOOKUP_MS);
    expect(f.client.repliesTo(first)).toHaveLength(1);
    await f.at(LOOKUP_MS + 1_000);
    await f.send(second);
    await f.at(2 * LOOKUP_MS + 1_000);
    expect(f.client.repliesTo(second)).toHaveLength(1);
    expect(f.directory.count('find', 'alice')).toBe(2);
    expect(f.duplicates).toHaveLength(0);
  });

  it('rfc5080: a retransmission after the response gets the identical cached reply bytes', async () => {
    const f = await start({ profile: 'rfc5080' });
    const request = f.client.accessRequest(pap);
    await f.send(request);
    await f.at(1_000);
    await f.send(request); // in flight: discarded even under rfc5080
    await f.at(LOOKUP_MS);
    expect(f.client.repliesTo(request)).toHaveLength(1);

    await f.at(LOOKUP_MS + 1_000);
    await f.send(request);
    const replies = f.client.repliesTo(request);
    expect(replies).toHaveLength(2);
    expect(replies[1]?.receivedAt).toBe(START + LOOKUP_MS + 1_000);
    expect(replies[1]?.bytes.equals(replies[0]?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(f.directory.count('find', 'alice')).toBe(1);
    expect(f.duplicates.map((event) => [event.action, event.reason])).toEqual([
      ['discard', 'in-flight'],
      ['replay', 'recently-answered'],
    ]);
    expect(f.server.stats().duplicates).toMatchObject({ replayed: 1, discardedInFlight: 1 });
  });

  it('rfc5080: a new Request Authenticator on the same Identifier purges the entry and is processed', async () => {
    const f = await start({ profile: 'rfc5080' });
    const first = f.client.accessRequest(pap, { identifier: 7 });
    const second = f.client.accessRequest(pap, { identifier: 7 });
    await f.send(first);
    await f.at(LOOKUP_MS);
    await f.send(second);
    await f.at(2 * LOOKUP_MS);
    expect(f.client.repliesTo(second)).toHaveLength(1);
    expect(f.directory.count('find', 'alice')).toBe(2);
    expect(f.server.stats().duplicates.purgedByNewAuthenticator).toBe(1);
    // The first request's entry is gone: its retransmission is processed again, not replayed.
    await f.send(first);
    await f.at(3 * LOOKUP_MS);
    expect(f.directory.count('find', 'alice')).toBe(3);
  });

  it('none: every copy is processed (the directory is asked twice)', async () => {
    const f = await start({ profile: 'none' });
    const request = f.client.accessRequest(pap);
    await f.send(request);
    await f.at(1_000);
    await f.send(request);
    await f.at(LOOKUP_MS + 1_000);
    expect(f.directory.count('find', 'alice')).toBe(2);
    const replies = f.client.repliesTo(request);
    expect(replies.map((reply) => reply.receivedAt)).toEqual([START + LOOKUP_MS, START + LOOKUP_MS + 1_000]);
    expect(f.duplicates).toHaveLength(0);
  });

  it('a copy duplicated by the network at the same instant is discarded in flight', async () => {
    const clock = new VirtualClock(START);
    const f = await start({ profile: 'nps' }, undefined, clock);
    const request = f.client.accessRequest(pap);
    await f.client.send(request.bytes);
    await f.client.send(request.bytes);
    await f.at(LOOKUP_MS);
    expect(f.client.repliesTo(request)).toHaveLength(1);
    expect(f.directory.count('find', 'alice')).toBe(1);
  });

  it('the MFA prompt is sent once however often the NAS retransmits while the user decides', async () => {
    const clock = new VirtualClock(START);
    const push = new CountingPush(clock, 20_000);
    const f = await start({ profile: 'nps' }, push, clock);
    const request = f.client.accessRequest(pap);
    await f.send(request);
    for (const t of [5_000, 10_000, 15_000, 20_000]) {
      await f.at(t);
      await f.send(request);
    }
    await f.at(LOOKUP_MS + 20_000);
    expect(push.prompts).toBe(1);
    const replies = f.client.repliesTo(request);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.packet.code).toBe(PacketCode.AccessAccept);
    expect(f.server.stats().duplicates.discardedInFlight).toBe(4);
  });
});
