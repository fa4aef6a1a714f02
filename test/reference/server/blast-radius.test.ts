// requireMessageAuthenticator and limitProxyState (Blast-RADIUS, CVE-2024-3596) as FreeRADIUS 3.2.5
// names them: true, false, or auto (learned per single-host client from its verified Access-Requests).
import { afterEach, describe, expect, it } from 'vitest';
import { eapIdentityResponse } from '../../../protocol/auth/index.ts';
import { PacketCode, applyMutation, type AttributeInput, type BuiltPacket } from '../../../protocol/index.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import { blastRadiusStartupWarnings } from '../../../reference/blast-radius.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import type { ServerEventMap } from '../../../reference/events.ts';
import { RadiusTestClient, settle } from '../../support/radius-test-client.ts';
import {
  SECRET,
  closeServerFixtures,
  startReferenceServer,
  startServerFixture,
  type ServerFixture,
} from './fixture.ts';

afterEach(closeServerFixtures);

const pap: AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: 'pw' },
];
const proxied: AttributeInput[] = [...pap, { name: 'Proxy-State', value: Buffer.from('hop-1') }];

type Setting = boolean | 'auto';

async function start(
  vpn: { requireMessageAuthenticator?: Setting; limitProxyState?: Setting; address?: string } = {},
): Promise<ServerFixture> {
  const { address = '127.0.0.1', ...settings } = vpn;
  return startServerFixture({
    config: {
      clients: [
        { name: 'vpn', address, secret: SECRET, ...settings },
        { name: 'other', address: '127.0.0.2', secret: SECRET },
      ],
    },
  });
}

/** The reply code, or 'dropped' when the server stays silent. */
async function answer(f: ServerFixture, built: BuiltPacket, via = f.client): Promise<number | 'dropped'> {
  const reply = await settle(f.clock, via.exchange(built, 5_000));
  return reply?.packet.code ?? 'dropped';
}

const signed = (f: ServerFixture, attrs = pap, via = f.client): BuiltPacket => via.accessRequest(attrs);
const unsigned = (f: ServerFixture, attrs = pap, via = f.client): BuiltPacket =>
  via.accessRequest(attrs, { messageAuthenticator: false });

const warningCodes = (f: ServerFixture): string[] => f.events.warning.map((w) => w.code);

describe('requireMessageAuthenticator', () => {
  it('true drops every Access-Request without it, from the first one, and counts them', async () => {
    const f = await start({ requireMessageAuthenticator: true });
    expect(await answer(f, unsigned(f))).toBe('dropped');
    const stripped = applyMutation(signed(f).bytes, { kind: 'strip-message-authenticator' });
    await f.client.send(stripped);
    await f.clock.advance(5_000);
    expect(f.server.stats().dropped).toEqual({ 'message-authenticator-missing': 2 });
    expect(f.dropped.map((d) => d.client)).toEqual(['vpn', 'vpn']);
    expect(await answer(f, signed(f))).toBe(PacketCode.AccessAccept);
  });

  it('auto (the default) answers unsigned requests until the client has sent a signed one, then drops them', async () => {
    const f = await start();
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    expect(warningCodes(f)).not.toContain('message-authenticator-learned');

    expect(await answer(f, signed(f))).toBe(PacketCode.AccessAccept);
    const learned = f.events.warning.filter((w) => w.code === 'message-authenticator-learned');
    expect(learned.map((w) => w.client)).toEqual(['vpn']);
    expect(learned[0]?.message).toContain('requireMessageAuthenticator');
    // The forgery Blast-RADIUS needs (no Message-Authenticator) is refused from now on.
    expect(await answer(f, unsigned(f))).toBe('dropped');
    expect(f.dropped.at(-1)).toMatchObject({ client: 'vpn', reason: 'message-authenticator-missing' });
    expect(await answer(f, signed(f))).toBe(PacketCode.AccessAccept);
    // Learned once, not on every signed packet.
    expect(warningCodes(f).filter((c) => c === 'message-authenticator-learned')).toHaveLength(1);
  });

  it('auto learns per client: another client keeps sending unsigned requests', async () => {
    const f = await start();
    const other = await f.clientAt('127.0.0.2');
    expect(await answer(f, signed(f))).toBe(PacketCode.AccessAccept);
    expect(await answer(f, unsigned(f))).toBe('dropped');
    expect(await answer(f, unsigned(f, pap, other), other)).toBe(PacketCode.AccessAccept);
  });

  it('auto does not learn from a Message-Authenticator that does not verify', async () => {
    const f = await start();
    // Signed with another secret: dropped before anything is learned (a spoofer cannot lock a NAS out).
    const forged = f.client.accessRequest(pap, { secret: 'not-the-secret' });
    expect(await answer(f, forged)).toBe('dropped');
    expect(f.dropped.at(-1)?.reason).toBe('message-authenticator-invalid');
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    expect(warningCodes(f)).not.toContain('message-authenticator-learned');
  });

  it('auto does not learn from EAP (signed anyway, RFC 3579) nor for a CIDR entry', async () => {
    const eap: AttributeInput[] = [
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eapIdentityResponse(0, 'alice') },
    ];
    const f = await start();
    expect(await answer(f, signed(f, eap))).toBe(PacketCode.AccessChallenge);
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    await closeServerFixtures();

    // A subnet holds many NASes; one that signs must not lock out the others (FreeRADIUS: same rule).
    const g = await start({ address: '127.0.0.0/30' });
    expect(await answer(g, signed(g))).toBe(PacketCode.AccessAccept);
    expect(await answer(g, unsigned(g))).toBe(PacketCode.AccessAccept);
    expect(warningCodes(g)).not.toContain('message-authenticator-learned');
  });

  it('false never requires it, whatever the client sent before', async () => {
    const f = await start({ requireMessageAuthenticator: false, limitProxyState: true });
    expect(await answer(f, signed(f))).toBe(PacketCode.AccessAccept);
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    expect(f.server.stats().dropped).toEqual({});
  });
});

describe('limitProxyState', () => {
  it('true drops Access-Requests with Proxy-State but no Message-Authenticator, under its own reason', async () => {
    const f = await start({ requireMessageAuthenticator: false, limitProxyState: true });
    expect(await answer(f, unsigned(f, proxied))).toBe('dropped');
    expect(f.server.stats().dropped).toEqual({ 'proxy-state-without-message-authenticator': 1 });
    expect(f.dropped[0]).toMatchObject({
      client: 'vpn',
      reason: 'proxy-state-without-message-authenticator',
    });
    // Signed, Proxy-State is fine (and echoed); unsigned without Proxy-State is fine too.
    const reply = await settle(f.clock, f.client.exchange(signed(f, proxied), 5_000));
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(reply?.messageAuthenticatorFirst).toBe(true);
    expect(reply?.packet.attributes.find((a) => a.type === 33)?.value.toString()).toBe('hop-1');
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
  });

  it('false answers Proxy-State without Message-Authenticator (and warns at start-up when nothing protects the client)', async () => {
    const f = await start({ requireMessageAuthenticator: false, limitProxyState: false });
    expect(await answer(f, unsigned(f, proxied))).toBe(PacketCode.AccessAccept);
    expect(f.events.warning.filter((w) => w.code === 'blast-radius-unprotected')).toEqual([
      expect.objectContaining({ client: 'vpn' }),
    ]);
  });

  it('auto: a first request without Proxy-State turns the limit on for that client', async () => {
    const f = await start({ requireMessageAuthenticator: false });
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    // Turning a protection on is quiet: nothing for the operator to act on.
    expect(warningCodes(f)).toEqual([]);
    expect(await answer(f, unsigned(f, proxied))).toBe('dropped');
    expect(f.dropped.at(-1)?.reason).toBe('proxy-state-without-message-authenticator');
  });

  it('auto: a first request with Proxy-State unsigned (an old proxy) turns it off for that client, with a warning', async () => {
    const f = await start({ requireMessageAuthenticator: false });
    expect(await answer(f, unsigned(f, proxied))).toBe(PacketCode.AccessAccept);
    expect(f.events.warning.filter((w) => w.code === 'proxy-state-unprotected')).toEqual([
      expect.objectContaining({ client: 'vpn' }),
    ]);
    expect(await answer(f, unsigned(f))).toBe(PacketCode.AccessAccept);
    expect(await answer(f, unsigned(f, proxied))).toBe(PacketCode.AccessAccept);
  });

  it('auto with requireMessageAuthenticator: auto: a signed first request protects on both counts', async () => {
    const f = await start();
    expect(await answer(f, signed(f, proxied))).toBe(PacketCode.AccessAccept);
    expect(await answer(f, unsigned(f, proxied))).toBe('dropped');
    expect(await answer(f, unsigned(f))).toBe('dropped');
  });
});

describe('configuration', () => {
  const base = { directory: { url: 'ldap://127.0.0.1:389' } };

  it('accepts true, false and auto; defaults both settings to auto', () => {
    const result = normaliseServerConfig({
      ...base,
      clients: [
        { address: '127.0.0.1', secret: 's' },
        { address: '127.0.0.2', secret: 's', requireMessageAuthenticator: true, limitProxyState: false },
        { address: '127.0.0.3', secret: 's', requireMessageAuthenticator: 'auto', limitProxyState: true },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.clients.map((c) => [c.requireMessageAuthenticator, c.limitProxyState])).toEqual([
      ['auto', 'auto'],
      [true, false],
      ['auto', true],
    ]);
  });

  it('names every wrong value with its fix, all at once (FreeRADIUS spellings included)', () => {
    const result = normaliseServerConfig({
      ...base,
      clients: [
        { address: '127.0.0.1', secret: 's', requireMessageAuthenticator: 'yes', limitProxyState: 'no' },
        { address: '127.0.0.2', secret: 's', limitProxyState: 1 },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = new Map(result.issues.map((i) => [i.path, i]));
    expect([...byPath.keys()]).toEqual(
      expect.arrayContaining([
        'clients[0].requireMessageAuthenticator',
        'clients[0].limitProxyState',
        'clients[1].limitProxyState',
      ]),
    );
    for (const path of ['clients[0].requireMessageAuthenticator', 'clients[0].limitProxyState'])
      expect(byPath.get(path)?.fix).toMatch(/true, false or auto/);
  });

  it('warns at start-up only for clients with both settings false', () => {
    expect(
      blastRadiusStartupWarnings([
        { name: 'a', requireMessageAuthenticator: false, limitProxyState: false },
        { name: 'b', requireMessageAuthenticator: false, limitProxyState: 'auto' },
        { name: 'c', requireMessageAuthenticator: 'auto', limitProxyState: false },
      ]).map((w) => [w.code, w.client]),
    ).toEqual([['blast-radius-unprotected', 'a']]);
  });
});

describe('over real UDP on loopback', () => {
  it('auto learns from a signed request and then drops the unsigned one, counted', async () => {
    const clock = new SystemClock();
    const transport = new UdpTransport();
    const { server, events } = await startReferenceServer({
      clock,
      transport,
      config: { listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 } },
    });
    const [auth] = server.endpoints('auth');
    if (auth === undefined) throw new Error('no auth socket');
    const client = await RadiusTestClient.open({ transport, clock, server: auth, secret: SECRET });
    try {
      expect((await client.exchange(client.accessRequest(pap), 3_000))?.packet.code).toBe(
        PacketCode.AccessAccept,
      );
      const dropped = new Promise<ServerEventMap['packet-dropped']>((resolve) =>
        server.events.on('packet-dropped', resolve),
      );
      await client.send(client.accessRequest(pap, { messageAuthenticator: false }).bytes);
      expect((await dropped).reason).toBe('message-authenticator-missing');
      expect(server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
      expect(events.warning.map((w) => w.code)).toContain('message-authenticator-learned');
    } finally {
      await client.close();
    }
  });
});
