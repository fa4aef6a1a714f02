// The load generator against a tiny in-test responder on a loopback port 0: every request is
// counted exactly once, as answered, wrong code, timeout or unfinished.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode, buildResponse, decodePacket } from '../../protocol/index.ts';
import { runClosedLoop, socketsFor } from '../../bench/udp-load.ts';

const SECRET = 'load-secret';

/** Answers Status-Server with `code`, except the datagrams `drop` picks (by arrival number). */
async function responder(options: {
  code?: number;
  drop?: (arrival: number) => boolean;
  secret?: string;
}): Promise<{ socket: Socket; port: number; received: () => number }> {
  // Sized like the servers: the 208 KB default overflows above ~150 outstanding on loopback.
  const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
  let arrivals = 0;
  socket.on('message', (data, from) => {
    const arrival = arrivals++;
    if (options.drop?.(arrival) === true) return;
    const decoded = decodePacket(data);
    if (!decoded.ok) return;
    const reply = buildResponse({
      code: options.code ?? PacketCode.AccessAccept,
      request: decoded.value,
      attributes: [],
      secret: options.secret ?? SECRET,
    });
    socket.send(reply.bytes, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received: () => arrivals };
}

const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function load(port: number, overrides: Partial<Parameters<typeof runClosedLoop>[0]> = {}) {
  return runClosedLoop({
    target: { address: '127.0.0.1', port },
    secret: SECRET,
    code: PacketCode.StatusServer,
    variants: [[{ name: 'NAS-Identifier', value: 'load-test' }]],
    expectedCode: PacketCode.AccessAccept,
    concurrency: 8,
    count: 200,
    maxDurationMs: 10_000,
    requestTimeoutMs: 2_000,
    recvBufferSize: 1 << 20,
    ...overrides,
  });
}

describe('closed-loop UDP load', () => {
  it('sends exactly the count and records a latency for every verified answer', async () => {
    const server = await responder({});
    sockets.push(server.socket);
    const result = await load(server.port);
    expect(result.counts).toEqual({
      sent: 200,
      ok: 200,
      otherCodes: {},
      invalid: 0,
      timeouts: 0,
      unfinished: 0,
      sendErrors: 0,
    });
    expect(server.received()).toBe(200);
    expect(result.histogram.totalCount).toBe(200);
    expect(result.latency.p50Ms).toBeGreaterThan(0);
    expect(result.latency.p99Ms).toBeGreaterThanOrEqual(result.latency.p50Ms);
    expect(result.deadlineHit).toBe(false);
  });

  it('counts replies with another code apart from successes', async () => {
    const server = await responder({ code: PacketCode.AccessReject });
    sockets.push(server.socket);
    // Access-Reject answers an Access-Request (it does not answer Status-Server, RFC 5997 3).
    const result = await load(server.port, {
      count: 20,
      code: PacketCode.AccessRequest,
      variants: [
        [
          { name: 'User-Name', value: 'alice' },
          { name: 'User-Password', value: 'wrong' },
        ],
      ],
    });
    expect(result.counts.ok).toBe(0);
    expect(result.counts.otherCodes).toEqual({ 'Access-Reject': 20 });
  });

  it('counts replies signed with another secret as invalid, and their requests as timeouts', async () => {
    const server = await responder({ secret: 'wrong' });
    sockets.push(server.socket);
    const result = await load(server.port, { count: 6, concurrency: 3, requestTimeoutMs: 300 });
    expect(result.counts.invalid).toBe(6);
    expect(result.counts.timeouts).toBe(6);
    expect(result.histogram.totalCount).toBe(0);
  });

  it('counts each unanswered request as one timeout and keeps the loop going', async () => {
    const server = await responder({ drop: (arrival) => arrival % 4 === 3 });
    sockets.push(server.socket);
    const result = await load(server.port, { count: 20, concurrency: 4, requestTimeoutMs: 300 });
    expect(result.counts.sent).toBe(20);
    expect(result.counts.timeouts).toBe(5);
    expect(result.counts.ok).toBe(15);
  });

  it('stops at the deadline and reports what was still outstanding', async () => {
    const server = await responder({ drop: () => true });
    sockets.push(server.socket);
    const result = await load(server.port, {
      count: 1_000,
      concurrency: 4,
      requestTimeoutMs: 60_000,
      maxDurationMs: 50,
    });
    expect(result.deadlineHit).toBe(true);
    expect(result.counts.sent).toBe(4);
    expect(result.counts.unfinished).toBe(4);
    expect(result.counts.ok).toBe(0);
  });

  it('spreads more than one socket’s worth of outstanding requests over several sockets', async () => {
    expect(socketsFor(32)).toBe(1);
    expect(socketsFor(400)).toBe(2);
    const server = await responder({});
    sockets.push(server.socket);
    const result = await load(server.port, { count: 1_000, concurrency: 300 });
    expect(result.counts.ok).toBe(1_000);
  });
});
