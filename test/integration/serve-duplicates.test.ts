// Duplicate detection end to end: the composed stack (`startStack`, as `radmfa serve` runs it) over
// real UDP with the system clock, a slow LDAP stub, and a simulated NAS that retransmits the same
// datagram (RFC 5080 2.2.1) before the first answer is ready. The directory, and so any second
// factor behind it, must be asked once per login whatever the retransmissions.
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode } from '../../protocol/index.ts';
import { formatIssues } from '../../runtime/validation/index.ts';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { ServerEvents, type ServerEventMap } from '../../reference/events.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { createNas, type Nas } from '../../simulators/nas/index.ts';
import { startStack, type Stack } from '../../scenarios/embedded/compose.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import { DEMO_DIRECTORY, SERVE_SECRET } from '../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const PASSWORD = 'Passw0rd!';

// The stub's latency applies to every LDAP answer, and PAP costs a search and a bind as the user:
// 2 x 500 ms ~ 1 s, after the NAS's retransmissions at 400 and 800 ms, before its third at 1200 ms,
// well inside its 1.6 s budget (4 transmissions x 400 ms).
const LDAP_LATENCY_MS = 500;
const NAS_POLICY = { kind: 'fixed', timeoutMs: 400, retries: 3, retransmission: 'same' } as const;

interface Running {
  readonly stack: Stack;
  readonly duplicates: ServerEventMap['duplicate'][];
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startDuplicateStack(profile: 'nps' | 'rfc5080' | 'none'): Promise<Running> {
  const normalised = normaliseServerConfig({
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: SERVE_SECRET }],
    directory: { embedded: { fixture: DEMO_DIRECTORY } },
    duplicates: { profile },
    accounting: { path: ':memory:' },
  });
  if (!normalised.ok) throw new Error(formatIssues(normalised.issues));
  const events = new ServerEvents();
  const duplicates: ServerEventMap['duplicate'][] = [];
  events.on('duplicate', (event) => duplicates.push(event));
  const stack = await startStack(normalised.config, { clock, transport, events });
  cleanups.push(() => stack.close());
  return { stack, duplicates };
}

function ldapStub(stack: Stack): NonNullable<Stack['ldapStub']> {
  if (stack.ldapStub === undefined) throw new Error('the stack started no LDAP stub');
  return stack.ldapStub;
}

function openNas(stack: Stack): Nas {
  const [auth] = stack.server.endpoints('auth');
  const [acct] = stack.server.endpoints('acct');
  if (auth === undefined || acct === undefined) throw new Error('no sockets');
  const nas = createNas({
    transport,
    clock,
    servers: [{ host: auth.address, port: auth.port, accountingPort: acct.port, secret: SERVE_SECRET }],
    policy: NAS_POLICY,
  });
  cleanups.push(() => nas.close());
  return nas;
}

/** Polls (bounded) until `done` holds; real sockets and a real clock give no event to await. */
async function waitFor(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!done()) {
    if (clock.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await clock.sleep(20);
  }
}

/** Searches whose filter names `user`. */
function searchesFor(stack: Stack, user: string): number {
  return ldapStub(stack)
    .history.searches()
    .filter((search) => search.filter.toLowerCase().includes(`=${user})`)).length;
}

/** A first login with no latency opens and binds the server's service connection. */
async function warmUp(stack: Stack, nas: Nas): Promise<void> {
  const warm = await nas.login({ method: 'pap', user: 'bob', password: PASSWORD });
  expect(warm.outcome).toBe('accept');
  expect(warm.retransmissions).toBe(0);
  await ldapStub(stack).setFaults({ latencyMs: LDAP_LATENCY_MS });
}

describe('duplicate detection in the composed stack over UDP', () => {
  it('nps: retransmissions while the directory is slow are discarded; LDAP sees alice once; she gets in', async () => {
    const { stack, duplicates } = await startDuplicateStack('nps');
    const nas = openNas(stack);
    await warmUp(stack, nas);

    const login = await nas.login({ method: 'pap', user: 'alice', password: PASSWORD });

    expect(login.outcome).toBe('accept');
    expect(login.retransmissions).toBeGreaterThanOrEqual(2);
    // Every retransmission is the same datagram: same Identifier, same Request Authenticator.
    const sent = login.trace.filter((e) => e.kind === 'send' || e.kind === 'retransmit');
    expect(
      new Set(sent.map((e) => ('authenticator' in e ? `${e.identifier}/${e.authenticator}` : ''))),
    ).toHaveProperty('size', 1);
    // A retransmission sent just before the reply arrived may still be on its way to the server.
    const discarded = (): number =>
      stack.server.stats().duplicates.discardedInFlight +
      stack.server.stats().duplicates.discardedRecentlyAnswered;
    await waitFor(() => discarded() >= login.retransmissions);
    const stats = stack.server.stats();
    expect(discarded()).toBe(login.retransmissions);
    expect(stats.duplicates.discardedInFlight).toBeGreaterThanOrEqual(2);
    expect(stats.access.accept).toBe(2);
    expect(duplicates).toHaveLength(login.retransmissions);
    expect(duplicates.every((d) => d.action === 'discard' && d.userName === 'alice')).toBe(true);
    expect(duplicates[0]?.reason).toBe('in-flight');
    expect(searchesFor(stack, 'alice')).toBe(1);
    const aliceBinds = ldapStub(stack)
      .history.binds()
      .filter((bind) => bind.dn.toLowerCase().startsWith('cn=alice anderson'));
    expect(aliceBinds).toHaveLength(1);
  });

  it('none: every retransmission is processed again, so the directory is searched once per transmission', async () => {
    const { stack, duplicates } = await startDuplicateStack('none');
    const nas = openNas(stack);
    await warmUp(stack, nas);

    const login = await nas.login({ method: 'pap', user: 'alice', password: PASSWORD });

    expect(login.outcome).toBe('accept');
    expect(login.transmissions).toBeGreaterThanOrEqual(3);
    // Every transmission is answered, the retransmissions too (the NAS has nothing waiting for those).
    await waitFor(() => stack.server.stats().access.accept === 1 + login.transmissions);
    expect(duplicates).toHaveLength(0);
    expect(searchesFor(stack, 'alice')).toBe(login.transmissions);
    // The server has sent the last reply; the NAS socket may not have read it yet.
    await waitFor(() => nas.stats().unmatchedReplies >= login.transmissions - 1);
    expect(nas.stats().unmatchedReplies).toBe(login.transmissions - 1);
  });

  it('rfc5080: a retransmission after the answer gets the identical cached reply, without a new lookup', async () => {
    const { stack, duplicates } = await startDuplicateStack('rfc5080');
    const [auth] = stack.server.endpoints('auth');
    if (auth === undefined) throw new Error('no auth socket');
    const client = await RadiusTestClient.open({ transport, clock, server: auth, secret: SERVE_SECRET });
    cleanups.push(() => client.close());
    const request = client.accessRequest([
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: PASSWORD },
    ]);

    const first = await client.exchange(request, 5_000);
    expect(first?.packet.code).toBe(PacketCode.AccessAccept);
    await client.send(request.bytes);
    await waitFor(() => client.repliesTo(request).length >= 2);

    const replies = client.repliesTo(request);
    expect(replies).toHaveLength(2);
    expect(replies[1]?.bytes).toEqual(first?.bytes);
    expect(stack.server.stats().duplicates.replayed).toBe(1);
    expect(stack.server.stats().access.accept).toBe(1);
    expect(duplicates).toMatchObject([{ action: 'replay', reason: 'recently-answered', userName: 'alice' }]);
    expect(searchesFor(stack, 'alice')).toBe(1);
  });
});
