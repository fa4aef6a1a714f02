// Faults the other fault tests leave out, each over real UDP with its documented outcome and a clean
// recovery: the next login succeeds and nothing stays held (challenge States, duplicate entries, MFA
// waits, requests in flight, LDAP connections beyond the pool's bounds).
//   (a) the LDAP connection cut (reset) right after a search request reaches it: one fresh try on a
//       new connection, then directory-unavailable;
//   (b) the MFA service resetting the connection in the middle of a long-poll, over real HTTP;
//   (c) the MFA approval arriving after the NAS gave up on the login.
// The accounting store failing to write is in accounting-disk-faults.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PacketCode } from '../../protocol/index.ts';
import type { ReferenceServer } from '../../reference/server.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { startLdapStub, type LdapStub } from '../../simulators/ldap/index.ts';
import { DEMO_DIRECTORY } from '../../peers/serve-process.ts';
import { startCuttingProxy, type CuttingProxy } from '../support/ldap-cutting-proxy.ts';
import {
  DEMO_PASSWORD,
  DEMO_SECRET,
  startMfaStack,
  upn,
  type RunningMfaStack,
} from '../support/mfa-stack.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';

const clock = new SystemClock();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stackWith(tweaks: Parameters<typeof startMfaStack>[0]): Promise<RunningMfaStack> {
  const stack = await startMfaStack(tweaks);
  cleanups.push(() => stack.close());
  return stack;
}

/** What the server holds between logins: all of it must come back to zero once a fault has passed. */
function held(server: ReferenceServer) {
  const stats = server.stats();
  return {
    challengeStates: stats.held.challengeStates,
    pendingMfa: stats.admission.pendingMfa,
    working: stats.admission.working,
    inFlight: stats.inFlight,
  };
}
const NOTHING_HELD = { challengeStates: 0, pendingMfa: 0, working: 0, inFlight: 0 };

describe('(a) LDAP connection cut mid-search', () => {
  let ldap: LdapStub;
  let proxy: CuttingProxy;

  async function start(): Promise<RunningMfaStack> {
    ldap = await startLdapStub({ fixturePath: DEMO_DIRECTORY });
    cleanups.push(() => ldap.stop());
    proxy = await startCuttingProxy({ host: ldap.host, port: ldap.port });
    cleanups.push(() => proxy.close());
    return stackWith({
      config: {
        directory: {
          url: proxy.url,
          bindDn: ldap.serviceAccount.dn,
          bindPassword: ldap.serviceAccount.password,
          baseDn: ldap.baseDn,
          timeoutMs: 3_000,
          pool: { maxBindConnections: 4, searchConnections: 2, maxQueue: 100 },
        },
      },
    });
  }

  it('one cut: the search is tried once more on a fresh connection and the login goes through', async () => {
    const stack = await start();
    // A first login opens the service connection the cut will hit.
    expect((await stack.login({ user: 'alice' })).outcome).toBe('accept');
    proxy.arm(1);
    const result = await stack.login({ user: 'alice' });
    expect(proxy.cuts).toBe(1);
    expect(result.outcome).toBe('accept');
    expect(stack.begins(upn('alice'))).toBe(2);
    expect(held(stack.stack.server)).toEqual(NOTHING_HELD);
  }, 30_000);

  it('the retry cut too: rejected as directory-unavailable at once (not after timeoutMs), no push; the next login goes through, nothing held, the pool within bounds', async () => {
    const stack = await start();
    expect((await stack.login({ user: 'alice' })).outcome).toBe('accept');
    proxy.arm(2);
    const t0 = clock.now();
    const cut = await stack.login({ user: 'carol' });
    const tookMs = clock.now() - t0;
    expect(proxy.cuts).toBe(2);
    expect(cut.outcome).toBe('reject');
    expect(stack.events.access.at(-1)).toMatchObject({ userName: 'carol', reason: 'directory-unavailable' });
    expect(stack.events.access.at(-1)?.detail).toMatch(/^directory error: /);
    // A reset is seen as it happens: the login does not wait for the 3 s search timeout.
    expect(tookMs).toBeLessThan(3_000);
    expect(stack.begins(upn('carol'))).toBe(0);
    expect(held(stack.stack.server)).toEqual(NOTHING_HELD);
    // Recovery: the directory client reconnects by itself, on both service connections.
    for (const user of ['alice', 'alice', 'alice'])
      expect((await stack.login({ user })).outcome).toBe('accept');
    expect(held(stack.stack.server)).toEqual(NOTHING_HELD);
    const pool = stack.stack.directory.stats?.();
    expect(pool?.search.connections).toBeLessThanOrEqual(2);
    expect(pool?.bind).toMatchObject({ busy: 0, waiting: 0 });
    expect(pool?.bind.open).toBeLessThanOrEqual(4);
    expect(proxy.open).toBeLessThanOrEqual(2 + 4);
  }, 30_000);
});

// Over HTTP/1.1 the drop resets the poll's connection; over HTTP/2 it resets the poll's stream
// (RST_STREAM), which leaves the other polls on the session alone (mfa-transport-h2.test.ts resets a
// whole session).
describe.each(['h2', 'http1.1'] as const)(
  '(b) MFA connection reset in the middle of the long-poll, over real HTTP (mfa.http: %s)',
  (http) => {
    it('rejected as mfa-unavailable (HTTPS_COMMUNICATION_ERROR), one push only, nothing held, the next login accepted', async () => {
      const stack = await stackWith({ mfa: { http } });
      // The poll is held for 1 s (the long-poll waiting for the phone), then the connection is reset.
      stack.mock.service.faults.set({
        latency: { ms: 1_000, endpoints: ['poll'] },
        drop: { endpoints: ['poll'] },
      });
      const result = await stack.login({ user: 'alice' });
      expect(result.outcome).toBe('reject');
      expect(stack.events.access.at(-1)).toMatchObject({
        reason: 'mfa-unavailable',
        mfa: { code: 'HTTPS_COMMUNICATION_ERROR' },
      });
      const polls = stack.mock.service.history.list({ endpoint: 'poll' });
      expect(polls.length).toBeGreaterThanOrEqual(1);
      expect(polls.every((c) => c.faults?.includes('drop') === true)).toBe(true);
      // Failing closed does not retry the begin: the user got one prompt.
      expect(stack.begins(upn('alice'))).toBe(1);
      expect(held(stack.stack.server)).toEqual(NOTHING_HELD);

      stack.mock.service.faults.clear();
      expect((await stack.login({ user: 'alice' })).outcome).toBe('accept');
      expect(stack.begins(upn('alice'))).toBe(2);
      expect(held(stack.stack.server)).toEqual(NOTHING_HELD);
    }, 30_000);
  },
);

describe('(c) the MFA approval arrives after the NAS gave up', () => {
  it('the late Accept goes to a request the NAS no longer has; nothing stays held; a new request with the same Identifier is judged on its own', async () => {
    // A 1 s duplicate window, so the answered entry is seen to leave as well.
    const stack = await stackWith({ config: { duplicates: { profile: 'nps', windowMs: 1_000 } } });
    const nas = await RadiusTestClient.open({
      transport: new UdpTransport(),
      clock,
      server: stack.endpoint,
      secret: DEMO_SECRET,
    });
    cleanups.push(() => nas.close());
    const login = nas.accessRequest(
      [
        { name: 'User-Name', value: 'alice' },
        { name: 'User-Password', value: DEMO_PASSWORD },
      ],
      { identifier: 7 },
    );
    // alice approves after 2 s; this NAS gives up after 300 ms and sends nothing more.
    expect(await nas.exchange(login, 300)).toBeUndefined();
    expect(stack.stack.server.stats().admission.pendingMfa).toBe(1);

    // The approval comes: the server answers the request it was working on, as RFC 2865 has it.
    await vi.waitFor(() => expect(nas.repliesTo(login)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(nas.repliesTo(login)[0]?.packet.code).toBe(PacketCode.AccessAccept);
    expect(stack.events.access.at(-1)).toMatchObject({ userName: 'alice', outcome: 'accept' });
    expect(held(stack.stack.server)).toEqual(NOTHING_HELD);

    // The NAS reuses Identifier 7 for an unrelated login (new Request Authenticator, wrong password):
    // it is a new request, rejected on its own merits, not answered with the stored Accept.
    const unrelated = nas.accessRequest(
      [
        { name: 'User-Name', value: 'alice' },
        { name: 'User-Password', value: 'not-her-password' },
      ],
      { identifier: 7 },
    );
    const reply = await nas.exchange(unrelated, 5_000);
    expect(reply?.packet.code).toBe(PacketCode.AccessReject);
    expect(reply?.verified.ok).toBe(true);
    expect(stack.begins(upn('alice'))).toBe(1);

    // The answered entries leave the duplicate cache with their window.
    await vi.waitFor(() => expect(stack.stack.server.stats().held.duplicateEntries).toBe(0), {
      timeout: 5_000,
      interval: 100,
    });
    expect(held(stack.stack.server)).toEqual(NOTHING_HELD);
  }, 30_000);
});
