// The same server over real UDP sockets on loopback, port 0, with the system clock: what the
// virtual-time tests check, once more where the kernel carries the datagrams.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EapCode,
  buildMd5Response,
  buildMsChap2Response,
  checkAuthenticatorResponse,
  decodeEap,
  eapIdentityResponse,
  generateNtResponse,
  ntPasswordHash,
  parseMd5TypeData,
  parseMsChap2Success,
} from '../../../protocol/auth/index.ts';
import {
  EAP_MESSAGE_TYPE,
  PacketCode,
  applyMutation,
  attributeValue,
  joinedValue,
  type AttributeInput,
} from '../../../protocol/index.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import type { Endpoint } from '../../../runtime/transport.ts';
import { AcctStatusType, type AccountingStore } from '../../../reference/accounting/index.ts';
import type { ReferenceServer } from '../../../reference/server.ts';
import { RadiusTestClient } from '../../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startReferenceServer } from './fixture.ts';

const TIMEOUT_MS = 3_000;

const clock = new SystemClock();
const transport = new UdpTransport();
let server: ReferenceServer;
let accounting: AccountingStore;
let client: RadiusTestClient;
let auth4: Endpoint;
let acct4: Endpoint;
let auth6: Endpoint;
const extraClients: RadiusTestClient[] = [];

beforeAll(async () => {
  ({ server, accounting } = await startReferenceServer({
    clock,
    transport,
    users: [{ name: 'alice', password: 'correct horse' }],
    accountingOnDisk: true,
    config: {
      listen: { hosts: ['127.0.0.1', '::1'], authPort: 0, acctPort: 0 },
      clients: [
        { name: 'v4', address: '127.0.0.1/32', secret: SECRET },
        { name: 'v6', address: '::1', secret: SECRET },
      ],
    },
  }));
  const auth = server.endpoints('auth');
  const acct = server.endpoints('acct');
  const find = (list: Endpoint[], address: string): Endpoint => {
    const found = list.find((endpoint) => endpoint.address === address);
    if (found === undefined) throw new Error(`no socket on ${address}`);
    return found;
  };
  auth4 = find(auth, '127.0.0.1');
  acct4 = find(acct, '127.0.0.1');
  auth6 = find(auth, '::1');
  client = await RadiusTestClient.open({ transport, clock, server: auth4, secret: SECRET });
});

afterAll(async () => {
  for (const extra of extraClients) await extra.close();
  await client.close();
  await closeServerFixtures();
});

const pap: AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: 'correct horse' },
];

describe('reference server over UDP on loopback', () => {
  it('binds ephemeral auth and acct ports on IPv4 and IPv6', () => {
    expect(auth4.port).toBeGreaterThan(0);
    expect(acct4.port).toBeGreaterThan(0);
    expect(acct4.port).not.toBe(auth4.port);
    expect(auth6.port).toBeGreaterThan(0);
  });

  it('answers PAP accept and reject with verifying replies', async () => {
    const accept = await client.exchange(client.accessRequest(pap), TIMEOUT_MS);
    expect(accept?.packet.code).toBe(PacketCode.AccessAccept);
    expect(accept?.verified.ok).toBe(true);
    expect(accept?.messageAuthenticatorFirst).toBe(true);
    const reject = await client.exchange(
      client.accessRequest([
        { name: 'User-Name', value: 'alice' },
        { name: 'User-Password', value: 'wrong' },
      ]),
      TIMEOUT_MS,
    );
    expect(reject?.packet.code).toBe(PacketCode.AccessReject);
  });

  it('answers MS-CHAPv2 with an MS-CHAP2-Success the peer verifies', async () => {
    const authChallenge = Buffer.alloc(16, 0x11);
    const peerChallenge = Buffer.alloc(16, 0x22);
    const ntHash = ntPasswordHash('correct horse');
    const ntResponse = generateNtResponse(authChallenge, peerChallenge, 'alice', ntHash);
    const reply = await client.exchange(
      client.accessRequest([
        { name: 'User-Name', value: 'alice' },
        { name: 'MS-CHAP-Challenge', value: authChallenge },
        { name: 'MS-CHAP2-Response', value: buildMsChap2Response({ ident: 1, peerChallenge, ntResponse }) },
      ]),
      TIMEOUT_MS,
    );
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    const success = attributeValue(reply?.attributes ?? [], 'MS-CHAP2-Success');
    if (!Buffer.isBuffer(success)) throw new Error('no MS-CHAP2-Success');
    const parsed = parseMsChap2Success(success);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(
      checkAuthenticatorResponse(
        ntHash,
        ntResponse,
        peerChallenge,
        authChallenge,
        'alice',
        parsed.value.authenticatorResponse,
      ),
    ).toBe(true);
  });

  it('runs an EAP-MD5 conversation over two round trips', async () => {
    const eapAttrs = (eap: Buffer, state?: Buffer): AttributeInput[] => [
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eap },
      ...(state !== undefined ? [{ name: 'State', value: state }] : []),
    ];
    const first = await client.exchange(
      client.accessRequest(eapAttrs(eapIdentityResponse(0, 'alice'))),
      TIMEOUT_MS,
    );
    expect(first?.packet.code).toBe(PacketCode.AccessChallenge);
    const request = decodeEap(
      joinedValue(first?.packet.attributes ?? [], EAP_MESSAGE_TYPE) ?? Buffer.alloc(0),
    );
    const state = attributeValue(first?.attributes ?? [], 'State');
    if (!request.ok || request.value.code !== EapCode.Request || !Buffer.isBuffer(state))
      throw new Error('expected an EAP-Request and a State');
    const md5 = parseMd5TypeData(request.value.typeData);
    if (!md5.ok) throw new Error(md5.message);
    const response = buildMd5Response(request.value.identifier, 'correct horse', md5.value.value);
    const second = await client.exchange(client.accessRequest(eapAttrs(response, state)), TIMEOUT_MS);
    expect(second?.packet.code).toBe(PacketCode.AccessAccept);
    const success = decodeEap(
      joinedValue(second?.packet.attributes ?? [], EAP_MESSAGE_TYPE) ?? Buffer.alloc(0),
    );
    expect(success.ok && success.value.code).toBe(EapCode.Success);
  });

  it('answers Status-Server on both ports', async () => {
    const onAuth = await client.exchange(client.build(PacketCode.StatusServer, []), TIMEOUT_MS);
    const status = client.build(PacketCode.StatusServer, []);
    const pending = client.replyTo(status, TIMEOUT_MS);
    await client.send(status.bytes, acct4);
    const onAcct = await pending;
    expect(onAuth?.packet.code).toBe(PacketCode.AccessAccept);
    expect(onAcct?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(onAcct?.verified.ok).toBe(true);
  });

  it('stores accounting in SQLite before acknowledging it', async () => {
    const request = client.build(PacketCode.AccountingRequest, [
      { name: 'Acct-Status-Type', value: AcctStatusType.Start },
      { name: 'Acct-Session-Id', value: 'udp-session' },
      { name: 'User-Name', value: 'alice' },
    ]);
    const pending = client.replyTo(request, TIMEOUT_MS);
    await client.send(request.bytes, acct4);
    expect((await pending)?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(accounting.count({ sessionId: 'udp-session' })).toBe(1);
  });

  it('stores and acknowledges accounting on a clock that reads fractions of a millisecond', async () => {
    // Milliseconds since the epoch with microseconds, as a Clock built on performance.now() reads.
    class SubMillisecondClock extends SystemClock {
      override now(): number {
        return performance.timeOrigin + performance.now();
      }
    }
    const fine = new SubMillisecondClock();
    const started = await startReferenceServer({
      clock: fine,
      transport,
      users: [],
      accountingOnDisk: true,
      config: {
        listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
        clients: [{ name: 'v4', address: '127.0.0.1/32', secret: SECRET }],
      },
    });
    const [acct] = started.server.endpoints('acct');
    if (acct === undefined) throw new Error('no accounting socket');
    const nas = await RadiusTestClient.open({ transport, clock: fine, server: acct, secret: SECRET });
    extraClients.push(nas);
    const request = nas.build(PacketCode.AccountingRequest, [
      { name: 'Acct-Status-Type', value: AcctStatusType.Start },
      { name: 'Acct-Session-Id', value: 'sub-ms-session' },
    ]);
    const sentAt = Math.floor(fine.now());
    const reply = await nas.exchange(request, TIMEOUT_MS);
    expect(reply?.packet.code).toBe(PacketCode.AccountingResponse);
    const [row] = started.accounting.list({ sessionId: 'sub-ms-session' });
    expect(Number.isSafeInteger(row?.receivedAtMs)).toBe(true);
    expect(row?.receivedAtMs).toBeGreaterThanOrEqual(sentAt);
  });

  it('drops a malformed datagram and answers the next good one', async () => {
    const before = server.stats().dropped['message-authenticator-invalid'] ?? 0;
    const good = client.accessRequest(pap);
    await client.send(applyMutation(good.bytes, { kind: 'flip-message-authenticator-bit' }));
    const reply = await client.exchange(good, TIMEOUT_MS);
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(client.repliesTo(good)).toHaveLength(1);
    expect(server.stats().dropped['message-authenticator-invalid']).toBe(before + 1);
  });

  it('drops datagrams from an address that is not a client (127.0.0.2)', async () => {
    const stranger = await RadiusTestClient.open({
      transport,
      clock,
      server: auth4,
      secret: SECRET,
      address: '127.0.0.2',
    });
    extraClients.push(stranger);
    const before = server.stats().dropped['unknown-client'] ?? 0;
    await stranger.send(stranger.accessRequest(pap).bytes);
    // A reply to a known client proves the stranger's datagram, sent first, was handled.
    expect((await client.exchange(client.accessRequest(pap), TIMEOUT_MS))?.packet.code).toBe(
      PacketCode.AccessAccept,
    );
    expect(server.stats().dropped['unknown-client']).toBe(before + 1);
    // The stranger's socket is another one: a marker sent to it now queues behind anything the server
    // sent it, so once the marker is in, the marker alone means no reply.
    const marker = Buffer.from('radmfa-test marker');
    await client.send(marker, stranger.local);
    await vi.waitFor(() => expect(stranger.received.some((d) => d.bytes.equals(marker))).toBe(true));
    expect(stranger.received.map((d) => d.bytes.toString())).toEqual([marker.toString()]);
  });

  it('serves an IPv6 client on ::1', async () => {
    const v6 = await RadiusTestClient.open({
      transport,
      clock,
      server: auth6,
      secret: SECRET,
      address: '::1',
    });
    extraClients.push(v6);
    const reply = await v6.exchange(v6.accessRequest(pap), TIMEOUT_MS);
    expect(reply?.packet.code).toBe(PacketCode.AccessAccept);
    expect(reply?.from.address).toBe('::1');
  });
});
