// The batching UDP transport (native/udp-batch + runtime/batch-udp.ts) on real loopback sockets,
// against node:dgram peers: what one tick posts leaves in one sendmmsg and arrives whole and in
// order; a burst of replies comes back in fewer callbacks than datagrams; close releases the fd;
// errors carry errno names; and without the addon, `auto` falls back to dgram and `batch` refuses.
// The addon is built by `npm run build:native`; without it the native cases skip, saying so.
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { nullReply } from '../../bench/null-responder.ts';
import { runClosedLoop } from '../../bench/udp-load.ts';
import { PacketCode } from '../../protocol/index.ts';
import {
  BatchUdpTransport,
  BatchUdpUnavailableError,
  type BatchUdpOptions,
  createUdpTransport,
  formatIpv6,
  loadBatchUdp,
} from '../../runtime/batch-udp.ts';
import { SystemClock, type Clock } from '../../runtime/clock.ts';
import type { DatagramSocket, Endpoint } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';

const addon = loadBatchUdp();
const BUFFER = 4 * 1024 * 1024;

const open: DatagramSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
});

function batchTransport(): BatchUdpTransport {
  if (!addon.available) throw new Error(addon.detail);
  return new BatchUdpTransport(addon.binding);
}

async function bindBatch(address = '127.0.0.1', options: BatchUdpOptions = {}) {
  if (!addon.available) throw new Error(addon.detail);
  const socket = await new BatchUdpTransport(addon.binding, options).bind({
    address,
    port: 0,
    recvBufferSize: BUFFER,
    sendBufferSize: BUFFER,
  });
  open.push(socket);
  return socket;
}

async function bindDgram(address = '127.0.0.1'): Promise<DatagramSocket> {
  const socket = await new UdpTransport().bind({ address, port: 0, recvBufferSize: BUFFER });
  open.push(socket);
  return socket;
}

/** Resolves once `count` datagrams have arrived at `socket`, with them and their sources. */
function collect(socket: DatagramSocket, count: number) {
  const received: { data: Buffer; from: Endpoint }[] = [];
  const done = new Promise<typeof received>((resolve) => {
    socket.onMessage((data, from) => {
      received.push({ data: Buffer.from(data), from });
      if (received.length === count) resolve(received);
    });
  });
  return done;
}

/** Resolves once `condition` holds, checking every few milliseconds (at most 10 s). */
async function waitFor(condition: () => boolean, clock: Clock): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}

/** Datagram i: its index in the first two bytes, then a length and a fill that vary with i. */
function datagram(i: number): Buffer {
  const data = Buffer.alloc(2 + (i % 97) + 1, i & 0xff);
  data.writeUInt16BE(i, 0);
  return data;
}

const nativeTitle = addon.available
  ? 'BatchUdpTransport (native addon)'
  : `BatchUdpTransport (native addon) SKIPPED: ${addon.detail}`;

describe.skipIf(!addon.available)(nativeTitle, () => {
  it('sends what one tick posts in one sendmmsg, arriving intact and in order at a dgram server', async () => {
    const server = await bindDgram();
    const client = await bindBatch();
    const count = 300; // more than one sendmmsg chunk (256) inside the addon
    const arrived = collect(server, count);
    for (let i = 0; i < count; i++) client.post?.(datagram(i), server.local);
    const received = await arrived;
    expect(received.map((r) => r.data.readUInt16BE(0))).toEqual([...Array(count).keys()]);
    for (const [i, r] of received.entries()) expect(r.data.equals(datagram(i))).toBe(true);
    expect(received.every((r) => r.from.port === client.local.port)).toBe(true);
    expect(client.stats()).toMatchObject({ batchesSent: 1, datagramsSent: count, datagramsDropped: 0 });
  });

  it('gets every reply of a burst back, in fewer callbacks than datagrams, with the server as source', async () => {
    const server = await bindDgram();
    server.onMessage((data, from) => server.post?.(data, from));
    const client = await bindBatch();
    const count = 200;
    const arrived = collect(client, count);
    for (let i = 0; i < count; i++) client.post?.(datagram(i), server.local);
    const received = await arrived;
    expect(received.map((r) => r.data.readUInt16BE(0)).sort((a, b) => a - b)).toEqual([
      ...Array(count).keys(),
    ]);
    for (const r of received) expect(r.data.equals(datagram(r.data.readUInt16BE(0)))).toBe(true);
    expect(received.every((r) => r.from.address === '127.0.0.1' && r.from.port === server.local.port)).toBe(
      true,
    );
    const stats = client.stats();
    expect(stats.datagramsReceived).toBe(count);
    expect(stats.batchesReceived).toBeLessThan(count);
  });

  it('keeps each delivered datagram valid after later batches reuse the receive buffer', async () => {
    const server = await bindDgram();
    const client = await bindBatch();
    const kept: Buffer[] = [];
    const done = new Promise<void>((resolve) =>
      client.onMessage((data) => {
        kept.push(data); // kept as given, not copied
        if (kept.length === 2) resolve();
      }),
    );
    await server.send(Buffer.from('first'), client.local);
    await server.send(Buffer.from('second'), client.local);
    await done;
    expect(kept.map((k) => k.toString())).toEqual(['first', 'second']);
  });

  it('works over IPv6 loopback and reports the source as ::1', async () => {
    const server = await bindDgram('::1');
    server.onMessage((data, from) => server.post?.(data, from));
    const client = await bindBatch('::1');
    expect(client.local.address).toBe('::1');
    const arrived = collect(client, 3);
    for (let i = 0; i < 3; i++) client.post?.(datagram(i), server.local);
    const received = await arrived;
    expect(received.map((r) => r.from)).toEqual(Array(3).fill({ address: '::1', port: server.local.port }));
  });

  it('send() reports its outcome and keeps order after what was posted before it', async () => {
    const server = await bindDgram();
    const client = await bindBatch();
    const arrived = collect(server, 2);
    client.post?.(Buffer.from('posted'), server.local);
    await client.send(Buffer.from('sent'), server.local);
    expect((await arrived).map((r) => r.data.toString())).toEqual(['posted', 'sent']);
  });

  it('close releases the file descriptor, and a closed socket refuses to send', async () => {
    const client = await bindBatch();
    const fd = client.fd;
    expect(fd).toBeGreaterThanOrEqual(0);
    const before = readlinkSync(`/proc/self/fd/${fd}`);
    expect(before).toMatch(/^socket:\[\d+\]$/);
    await client.close();
    expect(client.fd).toBe(-1);
    let after: string | undefined;
    try {
      after = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      after = undefined; // the number is free
    }
    // Either free, or reused by another descriptor: never still our socket.
    expect(after).not.toBe(before);
    await expect(client.send(Buffer.from('x'), { address: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      code: 'EBADF',
    });
    await client.close(); // twice is harmless
  });

  it('with receive coalescing, gathers a paced stream into few batches, then wakes on arrival again', async () => {
    const server = await bindDgram();
    // A 100 ms window against datagrams 1 ms apart: without coalescing each one is a wake-up.
    const client = await bindBatch('127.0.0.1', { coalesceUs: 100_000 });
    const count = 10;
    const arrived = collect(client, count);
    const clock = new SystemClock();
    let paced = 0;
    const pace = (): void => {
      server.post?.(datagram(paced++), client.local);
      if (paced < count) clock.setTimeout(pace, 1);
    };
    pace();
    expect((await arrived).map((r) => r.data.readUInt16BE(0))).toEqual([...Array(count).keys()]);
    // The first wakes the socket at once; the timer reads gather the rest.
    expect(client.stats().batchesReceived).toBeLessThanOrEqual(4);
    // A timer read that finds nothing hands the socket back to arrival wake-ups.
    await waitFor(() => client.wakesOn === 'arrival', clock);
    const later = collect(client, 1);
    await server.send(Buffer.from('after the pause'), client.local);
    expect((await later)[0]?.data.toString()).toBe('after the pause');
  });

  it('tells handlers how long a datagram waited unread, from the kernel receive time', async () => {
    const sender = await bindBatch();
    // A 100 ms window: the first datagram wakes the socket at once; one sent while it is handled
    // waits for the timer's read.
    const client = await bindBatch('127.0.0.1', { coalesceUs: 100_000 });
    const seen: { queuedMs: number | undefined; handledAt: number }[] = [];
    let sentFrom = 0;
    let sentBy = 0;
    const second = new Promise<void>((resolve) => {
      client.onMessage((_data, _from, queuedMs) => {
        seen.push({ queuedMs, handledAt: performance.now() });
        if (seen.length > 1) {
          resolve();
          return;
        }
        // sendmmsg on loopback queues the datagram at the receiver before it returns.
        sentFrom = performance.now();
        void sender.send(Buffer.from('second'), client.local);
        sentBy = performance.now();
      });
    });
    await sender.send(Buffer.from('first'), client.local);
    await second;
    const late = seen[1];
    expect(late?.queuedMs).toBeGreaterThan(0);
    const arrivedAt = (late?.handledAt ?? 0) - (late?.queuedMs ?? 0);
    // Its arrival, as the wait puts it, is when it was sent (give or take the clocks' jitter), and
    // most of the time between the send and the handler was the wait for the timer's read.
    expect(arrivedAt).toBeGreaterThanOrEqual(sentFrom - 1);
    expect(arrivedAt - sentBy).toBeLessThan(((late?.handledAt ?? 0) - sentBy) / 2);
  });

  it('without receive coalescing, the same paced stream is one wake-up per datagram', async () => {
    const server = await bindDgram();
    const client = await bindBatch('127.0.0.1');
    const count = 10;
    const arrived = collect(client, count);
    const clock = new SystemClock();
    for (let i = 0; i < count; i++) {
      server.post?.(datagram(i), client.local);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 1));
    }
    await arrived;
    expect(client.stats().batchesReceived).toBeGreaterThan(4);
    expect(client.wakesOn).toBe('arrival');
  });

  it('with receive coalescing, close releases the timer descriptor as well', async () => {
    const timerfds = (): number =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[timerfd]';
        } catch {
          return false;
        }
      }).length;
    const before = timerfds();
    const client = await bindBatch('127.0.0.1', { coalesceUs: 500 });
    expect(timerfds()).toBe(before + 1);
    await client.close();
    expect(timerfds()).toBe(before);
  });

  it('surfaces a bind error as a JavaScript error named by its errno', async () => {
    const taken = await bindDgram();
    await expect(
      batchTransport().bind({ address: '127.0.0.1', port: taken.local.port }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    await expect(batchTransport().bind({ address: 'localhost', port: 0 })).rejects.toThrow(/IP literal/);
  });

  it('carries the lean NAS path: every request of a closed loop verified, over a batch socket', async () => {
    const secret = 'batch-secret';
    const server = await bindDgram();
    server.onMessage((data, from) => {
      const reply = nullReply(data, secret);
      if (reply !== undefined) server.post?.(reply, from);
    });
    const result = await runClosedLoop({
      target: server.local,
      secret,
      code: PacketCode.AccessRequest,
      variants: [[{ name: 'User-Name', value: 'alice' }]],
      expectedCode: PacketCode.AccessAccept,
      concurrency: 64,
      count: 2_000,
      maxDurationMs: 20_000,
      requestTimeoutMs: 5_000,
      recvBufferSize: BUFFER,
      udp: 'batch',
    });
    expect(result.counts).toMatchObject({ sent: 2_000, ok: 2_000, invalid: 0, timeouts: 0, unfinished: 0 });
  });
});

describe('batch UDP fallback', () => {
  it('auto falls back to node:dgram when the addon is absent, and the fallback carries datagrams', async () => {
    const choice = createUdpTransport('auto', { disabled: true });
    expect(choice.udp).toBe('dgram');
    expect(choice.fallback?.reason).toBe('disabled');
    const server = await bindDgram();
    const client = await choice.transport.bind({ address: '127.0.0.1', port: 0 });
    open.push(client);
    const arrived = collect(server, 1);
    client.post?.(Buffer.from('over dgram'), server.local);
    expect((await arrived)[0]?.data.toString()).toBe('over dgram');
  });

  it('names why the addon is unavailable: not built, not Linux', () => {
    expect(loadBatchUdp({ path: '/nonexistent/udp_batch.node' })).toMatchObject({
      available: false,
      reason: 'not-built',
      detail: expect.stringMatching(/npm run build:native/) as unknown,
    });
    expect(loadBatchUdp({ platform: 'darwin' })).toMatchObject({ available: false, reason: 'not-linux' });
  });

  it('batch refuses to fall back, saying why and what to do', () => {
    expect(() => createUdpTransport('batch', { path: '/nonexistent/udp_batch.node' })).toThrow(
      BatchUdpUnavailableError,
    );
    expect(() => createUdpTransport('batch', { path: '/nonexistent/udp_batch.node' })).toThrow(
      /build:native.*--udp auto/,
    );
  });

  it('dgram is node:dgram even when the addon is built', () => {
    expect(createUdpTransport('dgram').udp).toBe('dgram');
  });
});

describe('formatIpv6', () => {
  it('writes RFC 5952 text, as node:dgram reports addresses', () => {
    expect(formatIpv6([0, 0, 0, 1])).toBe('::1');
    expect(formatIpv6([0, 0, 0, 0])).toBe('::');
    expect(formatIpv6([0x20010db8, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIpv6([0x20010db8, 0x00000001, 0x00010001, 0x00010001])).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6([0x20010000, 0, 0x00010000, 0x00000001])).toBe('2001::1:0:0:1');
    expect(formatIpv6([0xfe800000, 0, 0x02000000, 0x00000001])).toBe('fe80::200:0:0:1');
  });
});
