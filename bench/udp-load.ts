// A closed-loop UDP load generator: a fixed number of requests outstanding, the next one sent as
// soon as one is answered (or times out), bounded by a request count AND a wall-clock deadline.
//
// It drives raw dgram sockets with radmfa's codec rather than the simulated NAS (createNas): the
// NAS simulator carries retransmission schedules, failover, per-exchange trace records and promise
// chains per request, all of which cost CPU on a machine where the load generator shares two cores
// with the server under test. A benchmark wants the client to be as cheap as possible and the same
// for every server; retransmission is off, so a lost request shows up as a timeout, not as latency.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import { packetCodeLabel, type Secret } from '../protocol/index.ts';
import { SystemClock, type Clock, type TimerHandle } from '../runtime/clock.ts';
import type { Endpoint } from '../runtime/transport.ts';
import { replyVerifies } from './request-factory.ts';

/** One request ready to send: its bytes and the Request Authenticator the reply is verified with. */
export interface LoadRequest {
  readonly bytes: Buffer;
  readonly authenticator: Buffer;
}

export interface LoadOptions {
  readonly target: Endpoint;
  readonly secret: Secret;
  /** Builds request number `sequence` with the given Identifier (fresh authenticator every time). */
  readonly makeRequest: (identifier: number, sequence: number) => LoadRequest;
  /** The reply code that counts as success (Access-Accept for both benchmarks). */
  readonly expectedCode: number;
  readonly concurrency: number;
  readonly count: number;
  readonly maxDurationMs: number;
  readonly requestTimeoutMs: number;
  /** SO_RCVBUF of the client sockets; the 208 KB default overflows above ~150 outstanding. */
  readonly recvBufferSize: number;
  /** Check Response Authenticator and Message-Authenticator of every reply (default true). */
  readonly verifyReplies?: boolean;
  readonly clock?: Clock;
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface LoadCounts {
  readonly sent: number;
  /** Replies with the expected code that verified. */
  readonly ok: number;
  /** Verified replies with another code, by code label. */
  readonly otherCodes: Readonly<Record<string, number>>;
  /** Datagrams that did not decode, did not verify, or matched no outstanding request. */
  readonly invalid: number;
  readonly timeouts: number;
  /** Still outstanding when the deadline stopped the run. */
  readonly unfinished: number;
  readonly sendErrors: number;
}

export interface LoadResult {
  readonly counts: LoadCounts;
  /** From the first send to the last completion (answer or timeout). */
  readonly elapsedMs: number;
  /** Verified replies (any code) per second over elapsedMs. */
  readonly answeredPerSec: number;
  readonly deadlineHit: boolean;
  readonly latency: LatencySummary;
  /** Latency of every verified reply in microseconds; merge several runs with `add`. */
  readonly histogram: Histogram;
}

/** Microsecond histogram up to one minute, 3 significant digits (HdrHistogram's usual setting). */
export function newLatencyHistogram(): Histogram {
  return buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

export function summariseLatency(histogram: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  if (histogram.totalCount === 0) return { p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, meanMs: NaN };
  return {
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p95Ms: ms(histogram.getValueAtPercentile(95)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
    meanMs: ms(histogram.mean),
  };
}

interface Pending {
  readonly sentAt: number;
  readonly authenticator: Buffer;
}

/** One client socket with its own 256 Identifiers (RFC 2865 3: Identifier is per source port). */
interface Lane {
  readonly socket: Socket;
  readonly pending: (Pending | undefined)[];
  /** Free Identifiers, oldest-freed first, so a late reply rarely meets a reused Identifier. */
  readonly free: number[];
  inFlight: number;
}

/** Identifiers kept free per socket so a reused one is rarely still awaited by a late reply. */
const IDENTIFIER_HEADROOM = 56;
const IDENTIFIERS_PER_SOCKET = 256 - IDENTIFIER_HEADROOM;

export function socketsFor(concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / IDENTIFIERS_PER_SOCKET));
}

function openLane(target: Endpoint, recvBufferSize: number): Promise<Lane> {
  const socket = createSocket({
    type: target.address.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize,
    sendBufferSize: recvBufferSize,
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: target.address.includes(':') ? '::1' : '127.0.0.1', port: 0 }, () => {
      // A connected socket: the kernel drops datagrams from anyone but the target, and send() skips
      // the address lookup.
      socket.connect(target.port, target.address, () => {
        socket.off('error', reject);
        resolve({
          socket,
          pending: new Array<Pending | undefined>(256).fill(undefined),
          free: Array.from({ length: 256 }, (_, i) => i),
          inFlight: 0,
        });
      });
    });
  });
}

function closeLane(lane: Lane): Promise<void> {
  return new Promise((resolve) => lane.socket.close(() => resolve()));
}

/** Runs one closed loop to completion (count reached, or deadline) and closes its sockets. */
export async function runClosedLoop(options: LoadOptions): Promise<LoadResult> {
  const clock = options.clock ?? new SystemClock();
  const verify = options.verifyReplies ?? true;
  const laneCount = socketsFor(options.concurrency);
  const lanes: Lane[] = [];
  try {
    for (let i = 0; i < laneCount; i++) lanes.push(await openLane(options.target, options.recvBufferSize));
  } catch (error) {
    await Promise.all(lanes.map(closeLane));
    throw error;
  }
  const perLaneLimit = Math.ceil(options.concurrency / laneCount);
  const histogram = newLatencyHistogram();
  let sent = 0;
  let ok = 0;
  let invalid = 0;
  let timeouts = 0;
  let sendErrors = 0;
  let outstanding = 0;
  const otherCodes: Record<string, number> = {};
  const startedAt = performance.now();
  const deadline = startedAt + options.maxDurationMs;
  let lastCompletion = startedAt;
  let deadlineHit = false;
  let finished = false;
  let nextLane = 0;
  let sweepTimer: TimerHandle | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (sweepTimer !== undefined) clock.clearTimeout(sweepTimer);
    resolveDone();
  };

  const maybeFinish = (): void => {
    if (outstanding === 0 && (sent >= options.count || deadlineHit)) finish();
  };

  const sendOne = (): void => {
    if (finished || sent >= options.count) return;
    if (performance.now() >= deadline) {
      deadlineHit = true;
      return;
    }
    let lane: Lane | undefined;
    for (let tries = 0; tries < lanes.length; tries++) {
      const candidate = lanes[nextLane];
      nextLane = (nextLane + 1) % lanes.length;
      if (candidate !== undefined && candidate.inFlight < perLaneLimit && candidate.free.length > 0) {
        lane = candidate;
        break;
      }
    }
    if (lane === undefined) return;
    const identifier = lane.free.shift();
    if (identifier === undefined) return;
    const request = options.makeRequest(identifier, sent);
    sent++;
    outstanding++;
    lane.inFlight++;
    lane.pending[identifier] = { sentAt: performance.now(), authenticator: request.authenticator };
    lane.socket.send(request.bytes);
  };

  const complete = (lane: Lane, identifier: number, now: number): void => {
    lane.pending[identifier] = undefined;
    lane.free.push(identifier);
    lane.inFlight--;
    outstanding--;
    lastCompletion = now;
    sendOne();
    maybeFinish();
  };

  for (const lane of lanes) {
    lane.socket.on('error', () => {
      sendErrors++;
    });
    lane.socket.on('message', (data: Buffer) => {
      const now = performance.now();
      const identifier = data.length >= 2 ? data[1] : undefined;
      const pending = identifier === undefined ? undefined : lane.pending[identifier];
      if (identifier === undefined || pending === undefined) {
        invalid++;
        return;
      }
      if (verify) {
        if (!replyVerifies(data, pending.authenticator, options.secret)) {
          // Possibly a late reply to an earlier holder of this Identifier: keep waiting.
          invalid++;
          return;
        }
      }
      const code = data[0] ?? 0;
      if (code === options.expectedCode) ok++;
      else {
        const label = packetCodeLabel(code);
        otherCodes[label] = (otherCodes[label] ?? 0) + 1;
      }
      histogram.recordValue(Math.max(1, Math.round((now - pending.sentAt) * 1000)));
      complete(lane, identifier, now);
    });
  }

  // Timeouts and the deadline are checked by one periodic sweep, not a timer per request.
  const sweepEveryMs = Math.max(10, Math.min(250, options.requestTimeoutMs / 4));
  const sweep = (): void => {
    if (finished) return;
    const now = performance.now();
    for (const lane of lanes) {
      lane.pending.forEach((pending, identifier) => {
        if (pending !== undefined && now - pending.sentAt >= options.requestTimeoutMs) {
          timeouts++;
          complete(lane, identifier, now);
        }
      });
    }
    if (now >= deadline) {
      deadlineHit = true;
      finish();
      return;
    }
    if (!finished) sweepTimer = clock.setTimeout(sweep, sweepEveryMs);
  };
  sweepTimer = clock.setTimeout(sweep, sweepEveryMs);

  for (let i = 0; i < Math.min(options.concurrency, options.count); i++) sendOne();
  maybeFinish();
  await done;

  let unfinished = 0;
  for (const lane of lanes) unfinished += lane.inFlight;
  await Promise.all(lanes.map(closeLane));
  const elapsedMs = Math.max(0.001, lastCompletion - startedAt);
  const answered = histogram.totalCount;
  return {
    counts: { sent, ok, otherCodes, invalid, timeouts, unfinished, sendErrors },
    elapsedMs: Math.round(elapsedMs * 10) / 10,
    answeredPerSec: Math.round((answered / elapsedMs) * 1000),
    deadlineHit,
    latency: summariseLatency(histogram),
    histogram,
  };
}
