import { afterEach, describe, expect, it } from 'vitest';
import { eapIdentityResponse } from '../../../protocol/auth/index.ts';
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  PacketCode,
  applyMutation,
  verifyResponse,
  type AttributeInput,
  type BuiltPacket,
  type Mutation,
} from '../../../protocol/index.ts';
import type { Endpoint } from '../../../runtime/transport.ts';
import { AcctStatusType } from '../../../reference/accounting/index.ts';
import { AccountingStoreError } from '../../../reference/accounting/errors.ts';
import type { DropReason } from '../../../reference/events.ts';
import { RadiusTestClient, settle, type RadiusReply } from '../../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startServerFixture, type ServerFixture } from './fixture.ts';

const STRICT_SECRET = 'strict-secret';

afterEach(closeServerFixtures);

interface Fixture extends ServerFixture {
  /** Sends and waits for the reply; undefined when the server stays silent. */
  ask(built: BuiltPacket, to?: Endpoint, via?: RadiusTestClient): Promise<RadiusReply | undefined>;
  /** Sends raw bytes and lets the network settle; returns how many datagrams came back. */
  sendRaw(bytes: Buffer, to?: Endpoint, via?: RadiusTestClient): Promise<number>;
}

async function start(): Promise<Fixture> {
  const f = await startServerFixture({
    accountingOnDisk: true,
    config: {
      clients: [
        { name: 'vpn', address: '127.0.0.1', secret: SECRET },
        { name: 'strict', address: '127.0.0.2', secret: STRICT_SECRET, requireMessageAuthenticator: true },
      ],
    },
  });
  const { clock, client, auth } = f;
  return {
    ...f,
    async ask(built, to = auth, via = client) {
      const reply = via.replyTo(built, 5_000);
      await via.send(built.bytes, to);
      return settle(clock, reply);
    },
    async sendRaw(bytes, to = auth, via = client) {
      const before = via.received.length;
      await via.send(bytes, to);
      await clock.advance(5_000);
      return via.received.length - before;
    },
  };
}

const pap: AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: 'pw' },
];

function acctRequest(
  f: Fixture,
  statusType: number,
  extra: readonly AttributeInput[] = [],
  client = f.client,
): BuiltPacket {
  return client.build(PacketCode.AccountingRequest, [
    { name: 'Acct-Status-Type', value: statusType },
    { name: 'Acct-Session-Id', value: 'session-1' },
    { name: 'User-Name', value: 'alice' },
    { name: 'NAS-IP-Address', value: '127.0.0.1' },
    ...extra,
  ]);
}

describe('replies', () => {
  it('every Access reply carries Message-Authenticator first and verifies', async () => {
    const f = await start();
    const accept = await f.ask(f.client.accessRequest(pap));
    const reject = await f.ask(
      f.client.accessRequest([
        { name: 'User-Name', value: 'alice' },
        { name: 'User-Password', value: 'nope' },
      ]),
    );
    const challenge = await f.ask(
      f.client.accessRequest([
        { name: 'User-Name', value: 'alice' },
        { name: 'EAP-Message', value: eapIdentityResponse(0, 'alice') },
      ]),
    );
    const codes = [accept, reject, challenge].map((reply) => reply?.packet.code);
    expect(codes).toEqual([PacketCode.AccessAccept, PacketCode.AccessReject, PacketCode.AccessChallenge]);
    for (const reply of [accept, reject, challenge]) {
      expect(reply?.messageAuthenticatorFirst).toBe(true);
      expect(reply?.verified).toEqual({ ok: true, value: undefined });
    }
  });

  it('Proxy-State attributes are echoed in order, in Access and Accounting replies (RFC 2865 5.33)', async () => {
    const f = await start();
    const proxyStates = [
      { type: PROXY_STATE_TYPE, value: Buffer.from('first-proxy') },
      { type: PROXY_STATE_TYPE, value: Buffer.from('second-proxy') },
    ];
    const access = await f.ask(f.client.accessRequest(pap, { rawAttributes: proxyStates }));
    expect(access?.packet.code).toBe(PacketCode.AccessAccept);
    expect(access?.packet.attributes.filter((attr) => attr.type === PROXY_STATE_TYPE)).toEqual(proxyStates);
    expect(access?.verified.ok).toBe(true);

    const built = f.client.build(
      PacketCode.AccountingRequest,
      [
        { name: 'Acct-Status-Type', value: AcctStatusType.Start },
        { name: 'Acct-Session-Id', value: 'proxied' },
      ],
      { rawAttributes: proxyStates },
    );
    const acct = await f.ask(built, f.acct);
    expect(acct?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(acct?.packet.attributes.filter((attr) => attr.type === PROXY_STATE_TYPE)).toEqual(proxyStates);
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('is answered with Access-Accept on the auth port and Accounting-Response on the acct port', async () => {
    const f = await start();
    const onAuth = await f.ask(f.client.build(PacketCode.StatusServer, []), f.auth);
    const onAcct = await f.ask(f.client.build(PacketCode.StatusServer, []), f.acct);
    expect(onAuth?.packet.code).toBe(PacketCode.AccessAccept);
    expect(onAcct?.packet.code).toBe(PacketCode.AccountingResponse);
    for (const reply of [onAuth, onAcct]) {
      expect(reply?.verified.ok).toBe(true);
      expect(reply?.messageAuthenticatorFirst).toBe(true);
    }
    expect(f.server.stats().statusServer).toBe(2);
    expect(f.statusEvents.map((event) => event.port)).toEqual(['auth', 'acct']);
    // RFC 5997 3: never subject to duplicate detection.
    expect(f.server.stats().duplicates.new).toBe(0);
  });

  it('without Message-Authenticator is dropped (RFC 5997 3)', async () => {
    const f = await start();
    const bare = f.client.build(PacketCode.StatusServer, [], { messageAuthenticator: false });
    expect(await f.sendRaw(bare.bytes)).toBe(0);
    expect(f.server.stats().dropped['message-authenticator-missing']).toBe(1);
  });
});

describe('drops', () => {
  // Each Mutation kind applied to a signed PAP Access-Request, and the reason it must be dropped for.
  const cases: readonly { name: string; mutation: Mutation; reason: DropReason }[] = [
    { name: 'truncated below the header', mutation: { kind: 'truncate', length: 12 }, reason: 'too-short' },
    { name: 'truncated datagram', mutation: { kind: 'truncate', length: 40 }, reason: 'length-mismatch' },
    { name: 'Length above 4096', mutation: { kind: 'set-length-field', length: 5000 }, reason: 'too-long' },
    {
      name: 'Length below 20',
      mutation: { kind: 'set-length-field', length: 10 },
      reason: 'length-mismatch',
    },
    { name: 'undefined code', mutation: { kind: 'set-code', code: 99 }, reason: 'unknown-code' },
    {
      name: 'reply code sent to a server',
      mutation: { kind: 'set-code', code: 2 },
      reason: 'unexpected-code',
    },
    {
      name: 'attribute Length 1',
      mutation: { kind: 'set-attribute-length', index: 1, length: 1 },
      reason: 'attribute-length-invalid',
    },
    {
      name: 'attribute running past the packet',
      mutation: { kind: 'set-attribute-length', index: 1, length: 250 },
      reason: 'attribute-truncated',
    },
    {
      name: 'flipped Request Authenticator',
      mutation: { kind: 'flip-authenticator-bit' },
      reason: 'message-authenticator-invalid',
    },
    {
      name: 'flipped Message-Authenticator',
      mutation: { kind: 'flip-message-authenticator-bit' },
      reason: 'message-authenticator-invalid',
    },
    {
      name: 'second Message-Authenticator',
      mutation: { kind: 'raw-attribute', type: MESSAGE_AUTHENTICATOR_TYPE, value: Buffer.alloc(16) },
      reason: 'message-authenticator-duplicated',
    },
    {
      name: 'attribute appended after signing',
      mutation: { kind: 'raw-attribute', type: 18, value: Buffer.from('late') },
      reason: 'message-authenticator-invalid',
    },
  ];

  it.each(cases)('$name: dropped as $reason, counted, and the server answers afterwards', async (c) => {
    const f = await start();
    const good = f.client.accessRequest(pap);
    expect(await f.sendRaw(applyMutation(good.bytes, c.mutation))).toBe(0);
    expect(f.server.stats().dropped).toEqual({ [c.reason]: 1 });
    expect(f.dropped.map((event) => event.reason)).toEqual([c.reason]);
    // Malformed packets never reach the duplicate cache.
    expect(f.server.stats().duplicates.new).toBe(0);
    // The same Identifier and authenticator, intact, are processed: nothing was remembered.
    expect((await f.ask(good))?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it('a Message-Authenticator of the wrong length is dropped', async () => {
    const f = await start();
    const built = f.client.accessRequest(pap, { messageAuthenticator: false });
    const bad = applyMutation(built.bytes, {
      kind: 'raw-attribute',
      type: MESSAGE_AUTHENTICATOR_TYPE,
      value: Buffer.alloc(4),
    });
    expect(await f.sendRaw(bad)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'message-authenticator-length': 1 });
  });

  it('garbage after the Length field is padding: ignored, and the request answered (RFC 2865 3)', async () => {
    const f = await start();
    const good = f.client.accessRequest(pap);
    const padded = applyMutation(good.bytes, { kind: 'append-garbage', octets: 9 });
    const reply = f.client.replyTo(good, 5_000);
    await f.client.send(padded);
    expect((await settle(f.clock, reply))?.packet.code).toBe(PacketCode.AccessAccept);
    expect(f.server.stats().dropped).toEqual({});
  });

  it('unknown clients are dropped without an answer, known ones still served', async () => {
    const f = await start();
    const stranger = await f.clientAt('192.0.2.9');
    expect(await f.sendRaw(stranger.accessRequest(pap).bytes, f.auth, stranger)).toBe(0);
    expect(await f.sendRaw(acctRequest(f, AcctStatusType.Start, [], stranger).bytes, f.acct, stranger)).toBe(
      0,
    );
    expect(f.server.stats().dropped).toEqual({ 'unknown-client': 2 });
    expect(f.dropped[0]).toMatchObject({ reason: 'unknown-client', from: stranger.local });
    expect(f.accounting.count()).toBe(0);
    expect((await f.ask(f.client.accessRequest(pap)))?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it('a wrong shared secret is dropped (Message-Authenticator, accounting Request Authenticator)', async () => {
    const f = await start();
    const wrong = await f.clientAt('127.0.0.1', 'not-the-secret').catch(() => undefined);
    // 127.0.0.1 has a port already; the same address binds another ephemeral one.
    if (wrong === undefined) throw new Error('could not bind a second client');
    expect(await f.sendRaw(wrong.accessRequest(pap).bytes, f.auth, wrong)).toBe(0);
    expect(await f.sendRaw(acctRequest(f, AcctStatusType.Start, [], wrong).bytes, f.acct, wrong)).toBe(0);
    expect(f.server.stats().dropped).toEqual({
      'message-authenticator-invalid': 1,
      'authenticator-invalid': 1,
    });
    expect(f.accounting.count()).toBe(0);
    expect((await f.ask(f.client.accessRequest(pap)))?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it('requireMessageAuthenticator drops requests without it, from that client only', async () => {
    const f = await start();
    const strict = await f.clientAt('127.0.0.2', STRICT_SECRET);
    const bare = strict.accessRequest(pap, { messageAuthenticator: false });
    expect(await f.sendRaw(bare.bytes, f.auth, strict)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
    expect(f.dropped[0]).toMatchObject({ client: 'strict', reason: 'message-authenticator-missing' });
    // Stripping it from a signed request is the same thing.
    const stripped = applyMutation(strict.accessRequest(pap).bytes, { kind: 'strip-message-authenticator' });
    expect(await f.sendRaw(stripped, f.auth, strict)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'message-authenticator-missing': 2 });

    expect((await f.ask(strict.accessRequest(pap), f.auth, strict))?.packet.code).toBe(
      PacketCode.AccessAccept,
    );
    // The lenient client may still omit it (PAP is then protected by the password hiding only).
    const lenient = await f.ask(f.client.accessRequest(pap, { messageAuthenticator: false }));
    expect(lenient?.packet.code).toBe(PacketCode.AccessAccept);
  });

  it('EAP without Message-Authenticator is dropped whatever the client policy (RFC 3579 3.3)', async () => {
    const f = await start();
    const eap: AttributeInput[] = [
      { name: 'User-Name', value: 'alice' },
      { name: 'EAP-Message', value: eapIdentityResponse(0, 'alice') },
    ];
    const bare = f.client.accessRequest(eap, { messageAuthenticator: false });
    expect(await f.sendRaw(bare.bytes)).toBe(0);
    const stripped = applyMutation(f.client.accessRequest(eap).bytes, {
      kind: 'strip-message-authenticator',
    });
    expect(await f.sendRaw(stripped)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'eap-without-message-authenticator': 2 });
    expect((await f.ask(f.client.accessRequest(eap)))?.packet.code).toBe(PacketCode.AccessChallenge);
  });

  it('requests on the wrong port are dropped as unexpected-code', async () => {
    const f = await start();
    expect(await f.sendRaw(f.client.accessRequest(pap).bytes, f.acct)).toBe(0);
    expect(await f.sendRaw(acctRequest(f, AcctStatusType.Start).bytes, f.auth)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'unexpected-code': 2 });
    expect(f.accounting.count()).toBe(0);
  });

  it('drops are reported in events with the same reasons as stats()', async () => {
    const f = await start();
    const good = f.client.accessRequest(pap);
    await f.sendRaw(applyMutation(good.bytes, { kind: 'truncate', length: 3 }));
    await f.sendRaw(applyMutation(good.bytes, { kind: 'flip-message-authenticator-bit' }));
    await f.sendRaw(applyMutation(good.bytes, { kind: 'flip-message-authenticator-bit' }));
    const fromEvents: Record<string, number> = {};
    for (const event of f.dropped) fromEvents[event.reason] = (fromEvents[event.reason] ?? 0) + 1;
    expect(fromEvents).toEqual(f.server.stats().dropped);
    expect(fromEvents).toEqual({ 'too-short': 1, 'message-authenticator-invalid': 2 });
    expect(f.server.stats().received).toBe(3);
  });
});

describe('accounting (RFC 2866)', () => {
  it('stores Start and Stop durably and acknowledges each', async () => {
    const f = await start();
    const startReq = acctRequest(f, AcctStatusType.Start, [{ name: 'Framed-IP-Address', value: '10.8.0.2' }]);
    const startReply = await f.ask(startReq, f.acct);
    expect(startReply?.packet.code).toBe(PacketCode.AccountingResponse);
    if (startReply === undefined) return;
    expect(
      verifyResponse(startReply.bytes, startReply.packet, startReq.packet.authenticator, SECRET).ok,
    ).toBe(true);
    const stopReq = acctRequest(f, AcctStatusType.Stop, [
      { name: 'Acct-Session-Time', value: 125 },
      { name: 'Acct-Input-Octets', value: 4096 },
      { name: 'Acct-Output-Octets', value: 8192 },
      { name: 'Acct-Terminate-Cause', value: 'User-Request' },
    ]);
    expect((await f.ask(stopReq, f.acct))?.packet.code).toBe(PacketCode.AccountingResponse);

    const rows = f.accounting.list();
    expect(rows.map((row) => row.statusType)).toEqual([AcctStatusType.Start, AcctStatusType.Stop]);
    expect(rows[0]).toMatchObject({
      sessionId: 'session-1',
      userName: 'alice',
      nasIpAddress: '127.0.0.1',
      framedIpAddress: '10.8.0.2',
      clientAddress: '127.0.0.1',
      clientPort: f.client.local.port,
      receivedAtMs: f.clock.now(),
    });
    expect(rows[1]).toMatchObject({
      sessionTimeS: 125,
      inputOctets: 4096,
      outputOctets: 8192,
      terminateCause: 1,
    });
    expect(f.server.stats().accounting).toEqual({ stored: 2, duplicate: 0, failed: 0 });
    expect(f.accountingEvents.map((event) => [event.statusType, event.stored])).toEqual([
      [AcctStatusType.Start, true],
      [AcctStatusType.Stop, true],
    ]);
  });

  it('a request arriving between two whole milliseconds is stored and acknowledged', async () => {
    const f = await start();
    // Virtual time moves by fractions of a millisecond (a user typing a code for 1.75 s, a jittered
    // delay); Date.now() never does, so only a whole-millisecond store would hide this.
    await f.clock.advance(1_750.25);
    const reply = await f.ask(acctRequest(f, AcctStatusType.Start), f.acct);
    expect(reply?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(f.server.stats().accounting).toEqual({ stored: 1, duplicate: 0, failed: 0 });
    expect(f.accounting.list()[0]?.receivedAtMs).toBe(Math.floor(f.clock.now()));
  });

  it('a retransmission (same bytes) is stored once and acknowledged again', async () => {
    const f = await start();
    const req = acctRequest(f, AcctStatusType.Start);
    const first = await f.ask(req, f.acct);
    expect(first?.packet.code).toBe(PacketCode.AccountingResponse);
    // The NAS lost the Accounting-Response and retransmits one second later.
    await f.clock.advance(1_000);
    const before = f.client.repliesTo(req).length;
    await f.client.send(req.bytes, f.acct);
    await f.clock.advance(100);
    const replies = f.client.repliesTo(req);
    expect(replies.length).toBe(before + 1);
    expect(replies.at(-1)?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(f.accounting.count()).toBe(1);
  });

  it('the same event re-sent as a new packet (new Acct-Delay-Time) is stored once and acknowledged', async () => {
    const f = await start();
    expect((await f.ask(acctRequest(f, AcctStatusType.Start), f.acct))?.packet.code).toBe(
      PacketCode.AccountingResponse,
    );
    const resent = acctRequest(f, AcctStatusType.Start, [{ name: 'Acct-Delay-Time', value: 5 }]);
    expect((await f.ask(resent, f.acct))?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(f.accounting.count()).toBe(1);
    expect(f.server.stats().accounting).toEqual({ stored: 1, duplicate: 1, failed: 0 });
  });

  it('a bad Request Authenticator is dropped and nothing is stored', async () => {
    const f = await start();
    const req = acctRequest(f, AcctStatusType.Start);
    expect(await f.sendRaw(applyMutation(req.bytes, { kind: 'flip-authenticator-bit' }), f.acct)).toBe(0);
    expect(f.server.stats().dropped).toEqual({ 'authenticator-invalid': 1 });
    expect(f.accounting.count()).toBe(0);
    expect((await f.ask(req, f.acct))?.packet.code).toBe(PacketCode.AccountingResponse);
    expect(f.accounting.count()).toBe(1);
  });

  it('a store that cannot write means no acknowledgement (the NAS will retransmit)', async () => {
    const f = await start();
    f.accounting.close();
    expect(await f.sendRaw(acctRequest(f, AcctStatusType.Start).bytes, f.acct)).toBe(0);
    expect(f.server.stats().accounting).toEqual({ stored: 0, duplicate: 0, failed: 1 });
  });

  it('a record the store refuses is not acknowledged, and the error says refused, not store failed', async () => {
    const f = await start();
    f.accounting.recordBatch = (records) =>
      records.map(
        () =>
          new AccountingStoreError(
            'RADMFA_ACCOUNTING_RECORD_INVALID',
            'receivedAtMs: not whole',
            'receivedAtMs',
          ),
      );
    expect(await f.sendRaw(acctRequest(f, AcctStatusType.Start).bytes, f.acct)).toBe(0);
    expect(f.server.stats().accounting).toEqual({ stored: 0, duplicate: 0, failed: 1 });
    expect(f.errors.map((e) => e.message)).toEqual([
      'accounting record refused, request not acknowledged: receivedAtMs: not whole',
    ]);
  });

  it('an Accounting-Request without Acct-Status-Type is not acknowledged', async () => {
    const f = await start();
    const req = f.client.build(PacketCode.AccountingRequest, [{ name: 'Acct-Session-Id', value: 'x' }]);
    expect(await f.sendRaw(req.bytes, f.acct)).toBe(0);
    expect(f.accounting.count()).toBe(0);
    expect(f.dropped).toHaveLength(1);
  });
});
