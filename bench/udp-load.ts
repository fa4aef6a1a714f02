// A closed-loop UDP load: a fixed number of requests outstanding, the next one sent as soon as one
// is answered (or times out), bounded by a request count AND a wall-clock deadline.
//
// The requests go through the simulated NAS's lean path (simulators/nas/lean.ts): its socket pool
// and Identifier allocator, request templates and reply checks from protocol/, every reply
// verified. Retransmission is off (a fixed policy with no retries), so a lost request shows up as a
// timeout, not as latency. This file only drives the loop and counts; when scenarios/load's
// constant-vus executor lands it can take this loop's place.
import { performance } from 'node:perf_hooks';
import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import { packetCodeLabel, type AttributeInput, type Secret } from '../protocol/index.ts';
import { SystemClock, type Clock, type TimerHandle } from '../runtime/clock.ts';
import type { Endpoint, Transport } from '../runtime/transport.ts';
import { createUdpTransport, type UdpMode } from '../runtime/batch-udp.ts';
import { createNas, type LeanStatus, type Nas } from '../simulators/nas/index.ts';

export interface LoadOptions {
  readonly target: Endpoint;
  readonly secret: Secret;
  /** Request code (Access-Request, Status-Server, Accounting-Request). */
  readonly code: number;
  /** One attribute list per distinct request; requests cycle through them. */
  readonly variants: readonly (readonly AttributeInput[])[];
  /** The reply code that counts as success. */
  readonly expectedCode: number;
  readonly concurrency: number;
  readonly count: number;
  readonly maxDurationMs: number;
  readonly requestTimeoutMs: number;
  /** SO_RCVBUF of the client sockets; the 208 KB default overflows above ~150 outstanding. */
  readonly recvBufferSize: number;
  /** node:dgram, the batching addon (runtime/batch-udp.ts), or the addon when built. Default dgram. */
  readonly udp?: UdpMode;
  /** The addon's receive coalescing (BatchUdpOptions.coalesceUs); 0, the default, is off. */
  readonly udpCoalesceUs?: number;
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
  /** Datagrams that did not verify, did not answer, or matched no outstanding request. */
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
  /** CPU time of this process over the run (user + system), microseconds. */
  readonly cpuMicros: number;
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

/** Identifiers kept free per socket so a reused one is rarely still awaited by a late reply. */
const IDENTIFIER_HEADROOM = 56;
const IDENTIFIERS_PER_SOCKET = 256 - IDENTIFIER_HEADROOM;

export function socketsFor(concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / IDENTIFIERS_PER_SOCKET));
}

function udpTransport(options: { readonly udp?: UdpMode; readonly udpCoalesceUs?: number }): Transport {
  return createUdpTransport(options.udp ?? 'dgram', {}, { coalesceUs: options.udpCoalesceUs ?? 0 }).transport;
}

/** A NAS for load: no NAS attributes of its own, no traces, no retransmission, fine RTTs. */
export function loadNas(options: LoadOptions): Nas {
  return createNas({
    transport: udpTransport(options),
    clock: options.clock ?? new SystemClock(),
    now: () => performance.now(),
    servers: [{ host: options.target.address, port: options.target.port, secret: options.secret }],
    policy: { kind: 'fixed', timeoutMs: options.requestTimeoutMs, retries: 0 },
    maxSockets: Math.max(1, Math.min(256, socketsFor(options.concurrency))),
    recvBufferSize: options.recvBufferSize,
    sendBufferSize: options.recvBufferSize,
    nasIdentifier: null,
    nasPortType: null,
    trace: false,
  });
}

/** The mutable tally of one run; the loop reads and updates it, the result is read off it. */
class Tally {
  sent = 0;
  ok = 0;
  timeouts = 0;
  unfinished = 0;
  outstanding = 0;
  readonly otherCodes: Record<string, number> = {};
  readonly histogram = newLatencyHistogram();
  lastCompletion = 0;

  record(status: LeanStatus, code: number, rttMs: number, expectedCode: number): void {
    this.outstanding--;
    if (status === 'closed') {
      this.unfinished++;
      return;
    }
    this.lastCompletion = performance.now();
    if (status === 'timeout') {
      this.timeouts++;
      return;
    }
    if (code === expectedCode) this.ok++;
    else {
      const label = packetCodeLabel(code);
      this.otherCodes[label] = (this.otherCodes[label] ?? 0) + 1;
    }
    this.histogram.recordValue(Math.max(1, Math.round(rttMs * 1000)));
  }
}

/** Runs one closed loop to completion (count reached, or deadline) and closes its sockets. */
export async function runClosedLoop(options: LoadOptions): Promise<LoadResult> {
  const clock = options.clock ?? new SystemClock();
  const nas = loadNas({ ...options, clock });
  const perSocket = Math.ceil(options.concurrency / socketsFor(options.concurrency));
  await nas.lean.open(Math.ceil(options.concurrency / perSocket) * 256);
  const template = nas.lean.template({
    code: options.code,
    variants: options.variants,
    nasAttributes: false,
  });
  const tally = new Tally();
  let stopped = false;
  let deadlineHit = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    resolveDone();
  };
  const sendOne = (): void => {
    if (stopped || tally.sent >= options.count) return;
    if (!nas.lean.send(template, tally.sent, onDone)) return;
    tally.sent++;
    tally.outstanding++;
  };
  // One callback for every request: no closure per request.
  function onDone(status: LeanStatus, code: number, rttMs: number): void {
    tally.record(status, code, rttMs, options.expectedCode);
    if (stopped) return;
    sendOne();
    if (tally.outstanding === 0 && tally.sent >= options.count) stop();
  }

  const startedAt = performance.now();
  tally.lastCompletion = startedAt;
  const cpuBefore = process.cpuUsage();
  const deadline: TimerHandle = clock.setTimeout(() => {
    deadlineHit = true;
    stop();
  }, options.maxDurationMs);
  for (let i = 0; i < Math.min(options.concurrency, options.count); i++) sendOne();
  if (tally.outstanding === 0) stop();
  await done;
  clock.clearTimeout(deadline);
  const cpu = process.cpuUsage(cpuBefore);
  const stats = nas.lean.stats();
  const unmatched = nas.stats().unmatchedReplies;
  // Closing ends what is still outstanding as `closed`: counted as unfinished.
  await nas.close();
  const elapsedMs = Math.max(0.001, tally.lastCompletion - startedAt);
  const answered = tally.histogram.totalCount;
  return {
    counts: {
      sent: tally.sent,
      ok: tally.ok,
      otherCodes: tally.otherCodes,
      invalid: stats.discarded + unmatched,
      timeouts: tally.timeouts,
      unfinished: tally.unfinished,
      sendErrors: stats.sendErrors,
    },
    elapsedMs: Math.round(elapsedMs * 10) / 10,
    answeredPerSec: Math.round((answered / elapsedMs) * 1000),
    deadlineHit,
    latency: summariseLatency(tally.histogram),
    histogram: tally.histogram,
    cpuMicros: cpu.user + cpu.system,
  };
}

export interface FloorOptions {
  readonly target: Endpoint;
  /** The datagram sent every time (a request built once: no per-request RADIUS work). */
  readonly datagram: Buffer;
  readonly concurrency: number;
  readonly count: number;
  readonly maxDurationMs: number;
  readonly recvBufferSize: number;
  readonly udp?: UdpMode;
  readonly udpCoalesceUs?: number;
  readonly clock?: Clock;
}

export interface FloorResult {
  readonly sent: number;
  /** Datagrams that came back (not decoded, not verified). */
  readonly received: number;
  readonly elapsedMs: number;
  readonly cpuMicros: number;
  readonly deadlineHit: boolean;
}

/**
 * What a Node client costs before any RADIUS work: the closed loop of runClosedLoop on the same
 * transport (runtime/udp-transport.ts, fire-and-forget sends), sending one fixed datagram and
 * counting whatever comes back, with no template, hash, slot or histogram. Against a server that
 * answers every datagram (the null responder) its CPU per request is the floor under the lean
 * path's: the share of a request the RADIUS work could never win back. A lost datagram costs one
 * outstanding slot; the deadline bounds the run.
 */
export async function runTransportFloor(options: FloorOptions): Promise<FloorResult> {
  const clock = options.clock ?? new SystemClock();
  const socket = await udpTransport(options).bind({
    address: options.target.address.includes(':') ? '::1' : '127.0.0.1',
    port: 0,
    recvBufferSize: options.recvBufferSize,
    sendBufferSize: options.recvBufferSize,
  });
  const post = (): void => {
    if (socket.post !== undefined) socket.post(options.datagram, options.target);
    else socket.send(options.datagram, options.target).catch(() => undefined);
  };
  let sent = 0;
  let received = 0;
  let deadlineHit = false;
  let lastAt = performance.now();
  const startedAt = lastAt;
  const cpuBefore = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  try {
    await new Promise<void>((resolve) => {
      const deadline = clock.setTimeout(() => {
        deadlineHit = true;
        resolve();
      }, options.maxDurationMs);
      const finish = (): void => {
        clock.clearTimeout(deadline);
        resolve();
      };
      socket.onMessage(() => {
        received++;
        lastAt = performance.now();
        if (sent < options.count) {
          sent++;
          post();
        } else if (received >= sent) finish();
      });
      const first = Math.min(options.concurrency, options.count);
      for (; sent < first;) {
        sent++;
        post();
      }
      if (first === 0) finish();
    });
    cpu = process.cpuUsage(cpuBefore);
  } finally {
    await socket.close();
  }
  return {
    sent,
    received,
    elapsedMs: Math.round(Math.max(0.001, lastAt - startedAt) * 10) / 10,
    cpuMicros: cpu.user + cpu.system,
    deadlineHit,
  };
}
