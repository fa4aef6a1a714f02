// A UDP transport that crosses into C once per batch of datagrams (native/udp-batch: sendmmsg and
// recvmmsg on Linux), for load generation where Node's dgram costs a JS->C++ call, a SendWrap and
// a sendmsg per datagram sent and a recvmsg plus a callback per datagram received.
//
// Datagrams posted in one tick go out in one sendmmsg: post() copies each into a staging Buffer and
// the batch is flushed when the tick's synchronous work ends (a microtask), when a received batch
// has been handed out, or when the staging Buffer is full. A received batch is one call from C;
// handlers then run in a plain loop. The addon is optional: it is built by `npm run build:native`
// and, when it is absent or cannot load, loadBatchUdp() says why and createUdpTransport('auto')
// falls back to node:dgram.
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bufferToIpv6 } from '../protocol/ip.ts';
import type { BindOptions, DatagramHandler, DatagramSocket, Endpoint, Transport } from './transport.ts';
import { UdpTransport } from './udp-transport.ts';

/** `dgram`: node:dgram; `batch`: the native addon or an error; `auto`: the addon when it loads. */
export type UdpMode = 'dgram' | 'batch' | 'auto';
export const UDP_MODES: readonly UdpMode[] = ['dgram', 'batch', 'auto'];

export type BatchUnavailableReason = 'not-linux' | 'not-built' | 'load-failed' | 'disabled';

const REASON_TEXT: Record<BatchUnavailableReason, string> = {
  'not-linux': 'sendmmsg/recvmmsg are Linux-only',
  'not-built': 'the addon is not built: run `npm run build:native`',
  'load-failed': 'the addon did not load (built for another platform, or not a valid module)',
  disabled: 'disabled by the loader options',
};

/** The opaque socket handle of the addon. */
type NativeHandle = { readonly __brand: 'BatchUdpHandle' };

interface NativeBinding {
  readonly metaWords: number;
  open(
    family: 4 | 6,
    address: string,
    port: number,
    recvBufferSize: number,
    sendBufferSize: number,
    recvBuffer: Buffer,
    meta: Uint32Array,
    slotSize: number,
    onBatch: (count: number) => void,
    coalesceUs: number,
  ): NativeHandle;
  sendBatch(
    handle: NativeHandle,
    data: Buffer,
    lengths: Uint32Array,
    count: number,
    address: string,
    port: number,
  ): number;
  local(handle: NativeHandle): [string, number];
  fd(handle: NativeHandle): number;
  ticking(handle: NativeHandle): boolean;
  close(handle: NativeHandle): void;
}

export type BatchAvailability =
  | { readonly available: true; readonly path: string; readonly binding: NativeBinding }
  | {
      readonly available: false;
      readonly reason: BatchUnavailableReason;
      /** The reason in words, with the loader's error when there was one. */
      readonly detail: string;
    };

export interface BatchLoaderOptions {
  /** The .node file; default native/udp-batch/build/Release/udp_batch.node in this repository. */
  readonly path?: string;
  /** Report the addon unavailable without looking for it (tests of the fallback). */
  readonly disabled?: boolean;
  /** The platform to assume; default process.platform. */
  readonly platform?: NodeJS.Platform;
}

export const DEFAULT_ADDON_PATH = fileURLToPath(
  new URL('../native/udp-batch/build/Release/udp_batch.node', import.meta.url),
);

const requireNative = createRequire(import.meta.url);
const loaded = new Map<string, BatchAvailability>();

function unavailable(reason: BatchUnavailableReason, cause?: unknown): BatchAvailability {
  const detail =
    cause instanceof Error ? `${REASON_TEXT[reason]}: ${cause.message.split('\n')[0]}` : REASON_TEXT[reason];
  return { available: false, reason, detail };
}

function isBinding(value: unknown): value is NativeBinding {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.open === 'function' &&
    typeof v.sendBatch === 'function' &&
    typeof v.close === 'function' &&
    typeof v.metaWords === 'number'
  );
}

/** Loads the addon once per path; never throws. */
export function loadBatchUdp(options: BatchLoaderOptions = {}): BatchAvailability {
  if (options.disabled === true) return unavailable('disabled');
  if ((options.platform ?? process.platform) !== 'linux') return unavailable('not-linux');
  const path = options.path ?? DEFAULT_ADDON_PATH;
  const cached = loaded.get(path);
  if (cached !== undefined) return cached;
  let result: BatchAvailability;
  try {
    const binding: unknown = requireNative(path);
    result = isBinding(binding)
      ? { available: true, path, binding }
      : unavailable('load-failed', new Error('the module does not export the batch UDP functions'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    result = unavailable(code === 'MODULE_NOT_FOUND' ? 'not-built' : 'load-failed', error);
  }
  loaded.set(path, result);
  return result;
}

export interface BatchSocketStats {
  /** sendmmsg calls made. */
  readonly batchesSent: number;
  readonly datagramsSent: number;
  /** Datagrams the kernel did not take (full send buffer) or that a send error lost. */
  readonly datagramsDropped: number;
  /** Callbacks from C, each with one recvmmsg's datagrams. */
  readonly batchesReceived: number;
  readonly datagramsReceived: number;
  /** Datagrams longer than a receive slot, delivered cut to the slot size. */
  readonly truncated: number;
}

/** Per socket: recvSlots x slotSize received bytes (256 KiB) plus stagingBytes (64 KiB) by default. */
export interface BatchUdpOptions {
  /** Datagrams one recvmmsg can take (1..1024). Default 64. */
  readonly recvSlots?: number;
  /** Largest datagram received whole. Default 4096 (RFC 2865 3: the RADIUS maximum). */
  readonly slotSize?: number;
  /** Bytes of datagrams staged before a flush is forced. Default 64 KiB. */
  readonly stagingBytes?: number;
  /**
   * Receive coalescing, microseconds (0..100,000; default 0, off). While datagrams keep arriving,
   * the socket is read every coalesceUs instead of on every arrival, so each wake-up takes a bigger
   * batch; a read that finds nothing goes back to waking on arrival. A datagram can wait up to this
   * long before its handler runs: handlers get the wait (`queuedMs`, from the kernel's receive
   * timestamp) so that what they time does not grow by it.
   */
  readonly coalesceUs?: number;
}

/** The meta word with the microseconds a datagram waited in the receive queue (udp_batch.c). */
const QUEUED_WORD = 8;
/** Its value when the kernel gave no receive timestamp. */
const QUEUED_UNKNOWN = 0xffffffff;

/** sendmmsg takes at most UIO_MAXIOV (1024) messages; the addon splits bigger batches itself. */
const MAX_STAGED = 1024;

/** Four host-order words as the address's 16 octets, read by the protocol layer's formatter. */
const ipv6Octets = Buffer.alloc(16);

/** RFC 5952 text of an IPv6 address from four host-order words: the form Node's dgram reports. */
export function formatIpv6(words: ArrayLike<number>): string {
  for (let w = 0; w < 4; w++) ipv6Octets.writeUInt32BE((words[w] ?? 0) >>> 0, w * 4);
  return bufferToIpv6(ipv6Octets);
}

class BatchUdpSocket implements DatagramSocket {
  private handler: DatagramHandler = () => {};
  private readonly handle: NativeHandle;
  readonly local: Endpoint;
  private readonly recvBuffer: Buffer;
  private readonly meta: Uint32Array;
  private readonly metaWords: number;
  private readonly staging: Buffer;
  private readonly lengths = new Uint32Array(MAX_STAGED);
  private staged = 0;
  private stagedBytes = 0;
  private stagedTo: Endpoint | undefined;
  private flushQueued = false;
  private delivering = false;
  private closed = false;
  /** The source of the last datagram received, reused while the next ones come from it too. */
  private lastFrom: Endpoint = { address: '', port: 0 };
  private lastFamily = 0;
  private readonly lastWords = new Uint32Array(4);
  private readonly counts = {
    batchesSent: 0,
    datagramsSent: 0,
    datagramsDropped: 0,
    batchesReceived: 0,
    datagramsReceived: 0,
    truncated: 0,
  };
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  constructor(
    private readonly binding: NativeBinding,
    bind: BindOptions,
    options: BatchUdpOptions,
  ) {
    const slots = options.recvSlots ?? 64;
    const slotSize = options.slotSize ?? 4096;
    this.metaWords = binding.metaWords;
    this.recvBuffer = Buffer.allocUnsafeSlow(slots * slotSize);
    this.meta = new Uint32Array(slots * this.metaWords);
    this.staging = Buffer.allocUnsafeSlow(options.stagingBytes ?? 64 * 1024);
    this.handle = binding.open(
      isIPv6(bind.address) ? 6 : 4,
      bind.address,
      bind.port,
      bind.recvBufferSize ?? 0,
      bind.sendBufferSize ?? 0,
      this.recvBuffer,
      this.meta,
      slotSize,
      (count) => this.onBatch(count),
      options.coalesceUs ?? 0,
    );
    const [address, port] = binding.local(this.handle);
    this.local = { address, port };
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number {
    return this.binding.fd(this.handle);
  }

  /** What wakes the receive side: each arrival, or (coalescing while traffic flows) the timer. */
  get wakesOn(): 'arrival' | 'timer' {
    return this.binding.ticking(this.handle) ? 'timer' : 'arrival';
  }

  stats(): BatchSocketStats {
    return { ...this.counts };
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    // A send that reports its outcome goes out now, after what was staged before it (order kept).
    this.flush();
    if (this.closed) return Promise.reject(closedError());
    try {
      this.lengths[0] = data.length;
      const sent = this.binding.sendBatch(this.handle, data, this.lengths, 1, to.address, to.port);
      this.counts.batchesSent++;
      if (sent === 1) {
        this.counts.datagramsSent++;
        return Promise.resolve();
      }
      this.counts.datagramsDropped++;
      return Promise.reject(
        Object.assign(new Error('sendmmsg: the send buffer is full'), { code: 'EAGAIN' }),
      );
    } catch (error) {
      this.counts.datagramsDropped++;
      return Promise.reject(asError(error));
    }
  }

  post(data: Buffer, to: Endpoint): void {
    if (this.closed) return;
    const length = data.length;
    if (this.stagedTo !== undefined && this.stagedTo !== to && !sameEndpoint(this.stagedTo, to)) this.flush();
    if (this.staged === MAX_STAGED || this.stagedBytes + length > this.staging.length) this.flush();
    if (length > this.staging.length) {
      this.send(data, to).catch(() => undefined);
      return;
    }
    this.staging.set(data, this.stagedBytes);
    this.lengths[this.staged++] = length;
    this.stagedBytes += length;
    this.stagedTo = to;
    // Inside a received batch the flush follows the handlers; elsewhere it follows this tick.
    if (!this.flushQueued && !this.delivering) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Sends what post() staged, in one sendmmsg. */
  flush(): void {
    const count = this.staged;
    const to = this.stagedTo;
    if (count === 0 || to === undefined) return;
    this.staged = 0;
    this.stagedBytes = 0;
    this.stagedTo = undefined;
    if (this.closed) return;
    this.counts.batchesSent++;
    let sent = 0;
    try {
      sent = this.binding.sendBatch(this.handle, this.staging, this.lengths, count, to.address, to.port);
    } catch {
      // post() is fire-and-forget: a send error is lost traffic, as with dgram's post.
    }
    this.counts.datagramsSent += sent;
    this.counts.datagramsDropped += count - sent;
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.binding.close(this.handle);
    }
    return Promise.resolve();
  }

  private onBatch(count: number): void {
    const meta = this.meta;
    const words = this.metaWords;
    const lastAt = (count - 1) * words;
    const total = (meta[lastAt] as number) + (meta[lastAt + 1] as number);
    // One copy per batch: handlers may keep their datagram, and the receive buffer is reused.
    const copy = Buffer.allocUnsafe(total);
    this.recvBuffer.copy(copy, 0, 0, total);
    this.counts.batchesReceived++;
    this.counts.datagramsReceived += count;
    // An addon built before the queue-time word (8 words a datagram) reports no waits.
    const timed = words > QUEUED_WORD;
    this.delivering = true;
    try {
      for (let i = 0, at = 0; i < count; i++, at += words) {
        const offset = meta[at] as number;
        if ((meta[at + 3] as number) > 255) this.counts.truncated++;
        const queuedUs = timed ? (meta[at + QUEUED_WORD] as number) : QUEUED_UNKNOWN;
        this.handler(
          copy.subarray(offset, offset + (meta[at + 1] as number)),
          this.sourceOf(at),
          queuedUs === QUEUED_UNKNOWN ? 0 : queuedUs / 1000,
        );
        if (this.closed) return;
      }
    } finally {
      this.delivering = false;
      this.flush();
    }
  }

  private sourceOf(at: number): Endpoint {
    const meta = this.meta;
    const port = meta[at + 2] as number;
    const family = (meta[at + 3] as number) & 255;
    const last = this.lastWords;
    if (
      port === this.lastFrom.port &&
      family === this.lastFamily &&
      meta[at + 4] === last[0] &&
      (family === 4 || (meta[at + 5] === last[1] && meta[at + 6] === last[2] && meta[at + 7] === last[3]))
    ) {
      return this.lastFrom;
    }
    for (let w = 0; w < 4; w++) last[w] = meta[at + 4 + w] as number;
    const a = last[0] as number;
    const address =
      family === 6 ? formatIpv6(last) : `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    this.lastFamily = family;
    this.lastFrom = { address, port };
    return this.lastFrom;
  }
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.address === b.address;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function closedError(): Error {
  return Object.assign(new Error('sendmmsg: the socket is closed'), { code: 'EBADF' });
}

/** A batch socket: a DatagramSocket plus what tests and benchmarks read off it. */
export interface BatchDatagramSocket extends DatagramSocket {
  /** The descriptor, or -1 once closed. */
  readonly fd: number;
  readonly wakesOn: 'arrival' | 'timer';
  stats(): BatchSocketStats;
}

/** Sockets on the native addon; construct with an available loadBatchUdp() result. */
export class BatchUdpTransport implements Transport {
  constructor(
    private readonly binding: NativeBinding,
    private readonly options: BatchUdpOptions = {},
  ) {}

  bind(options: BindOptions): Promise<BatchDatagramSocket> {
    try {
      return Promise.resolve(new BatchUdpSocket(this.binding, options, this.options));
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }
}

export interface UdpTransportChoice {
  readonly transport: Transport;
  /** What the transport is. */
  readonly udp: 'dgram' | 'batch';
  /** Why `auto` fell back to dgram; undefined when it did not. */
  readonly fallback?: { readonly reason: BatchUnavailableReason; readonly detail: string };
}

export class BatchUdpUnavailableError extends Error {
  readonly code = 'RADMFA_BATCH_UDP_UNAVAILABLE';
  constructor(
    readonly reason: BatchUnavailableReason,
    detail: string,
  ) {
    super(`--udp batch: ${detail}; or use --udp auto (falls back to node:dgram) or --udp dgram`);
  }
}

/** The transport for a UDP mode: `auto` falls back to dgram silently (the reason is returned). */
export function createUdpTransport(
  mode: UdpMode,
  loader: BatchLoaderOptions = {},
  batch: BatchUdpOptions = {},
): UdpTransportChoice {
  if (mode === 'dgram') return { transport: new UdpTransport(), udp: 'dgram' };
  const addon = loadBatchUdp(loader);
  if (addon.available) return { transport: new BatchUdpTransport(addon.binding, batch), udp: 'batch' };
  if (mode === 'batch') throw new BatchUdpUnavailableError(addon.reason, addon.detail);
  return {
    transport: new UdpTransport(),
    udp: 'dgram',
    fallback: { reason: addon.reason, detail: addon.detail },
  };
}
