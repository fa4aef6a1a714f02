import type { Clock } from './clock.ts';
import type { BindOptions, DatagramHandler, DatagramSocket, Endpoint, Transport } from './transport.ts';

/**
 * What the network does with one datagram: the list of delays after which a copy is delivered.
 * `[]` drops it, `[0]` delivers it at once, `[5, 5]` duplicates it, unequal delays reorder traffic.
 */
export type DeliveryPlan = readonly number[];

export interface DatagramInFlight {
  readonly data: Buffer;
  readonly from: Endpoint;
  readonly to: Endpoint;
  /** 0-based count of datagrams sent on this network so far. */
  readonly sequence: number;
}

export type Impairment = (datagram: DatagramInFlight) => DeliveryPlan;

export interface ImpairmentOptions {
  /** Probability in [0, 1] that a datagram is lost. */
  readonly loss?: number;
  /** Fixed one-way delay in ms. */
  readonly delayMs?: number;
  /** Extra uniform random delay in [0, jitterMs), which reorders datagrams. */
  readonly jitterMs?: number;
  /** Probability in [0, 1] that a datagram is delivered twice. */
  readonly duplicate?: number;
  /** Seed of the deterministic random source, so a failing schedule can be replayed. */
  readonly seed?: number;
}

/** mulberry32: tiny, fast, and good enough to schedule simulated packet loss reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomImpairment(options: ImpairmentOptions): Impairment {
  const random = seededRandom(options.seed ?? 1);
  const loss = options.loss ?? 0;
  const delay = options.delayMs ?? 0;
  const jitter = options.jitterMs ?? 0;
  const duplicate = options.duplicate ?? 0;
  return () => {
    if (random() < loss) return [];
    const copies = random() < duplicate ? 2 : 1;
    const plan: number[] = [];
    // Whole milliseconds, as a real clock reads them: a fractional virtual time reaches timestamps
    // (accounting's receivedAtMs) that no SystemClock produces, and the store refuses them.
    for (let i = 0; i < copies; i++) plan.push(delay + (jitter > 0 ? Math.floor(random() * jitter) : 0));
    return plan;
  };
}

export const perfectNetwork: Impairment = () => [0];

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;

class MemorySocket implements DatagramSocket {
  private handler: DatagramHandler = () => {};
  closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly local: Endpoint,
  ) {}

  send(data: Buffer, to: Endpoint): Promise<void> {
    if (this.closed) return Promise.reject(new Error('memory transport: send on a closed socket'));
    this.network.route(Buffer.from(data), this.local, to);
    return Promise.resolve();
  }

  /** send() without its promise, for load paths; on a closed socket the datagram is lost. */
  post(data: Buffer, to: Endpoint): void {
    if (!this.closed) this.network.route(Buffer.from(data), this.local, to);
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  deliver(data: Buffer, from: Endpoint): void {
    if (!this.closed) this.handler(data, from);
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.unbind(this.local);
    return Promise.resolve();
  }
}

/**
 * An in-memory datagram network whose delays run on a Clock, so under a VirtualClock a whole
 * RADIUS exchange with timeouts and retransmissions takes no wall-clock time.
 */
export class MemoryNetwork implements Transport {
  /** Bound sockets by address, then port: no key string built per datagram. */
  private readonly sockets = new Map<string, Map<number, MemorySocket>>();
  private nextEphemeral = EPHEMERAL_FIRST;
  private sequence = 0;
  /** Datagrams sent, delivered and dropped, for assertions. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0 };

  constructor(
    private readonly clock: Clock,
    public impairment: Impairment = perfectNetwork,
  ) {}

  bind(options: BindOptions): Promise<DatagramSocket> {
    let port = options.port;
    if (port === 0) {
      // The IANA dynamic range, wrapping around like a kernel's, skipping ports still bound.
      const free = this.freeEphemeralPort(options.address);
      if (free === undefined) {
        return Promise.reject(new Error(`memory transport: no free ephemeral port on ${options.address}`));
      }
      port = free;
    }
    const local = { address: options.address, port };
    if (this.socketAt(local) !== undefined) {
      return Promise.reject(new Error(`memory transport: ${options.address}:${port} is already bound`));
    }
    const socket = new MemorySocket(this, local);
    let ports = this.sockets.get(local.address);
    if (ports === undefined) {
      ports = new Map();
      this.sockets.set(local.address, ports);
    }
    ports.set(port, socket);
    return Promise.resolve(socket);
  }

  private freeEphemeralPort(address: string): number | undefined {
    for (let tries = 0; tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port >= EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (this.socketAt({ address, port }) === undefined) return port;
    }
    return undefined;
  }

  unbind(local: Endpoint): void {
    const ports = this.sockets.get(local.address);
    if (ports === undefined) return;
    ports.delete(local.port);
    if (ports.size === 0) this.sockets.delete(local.address);
  }

  private socketAt(endpoint: Endpoint): MemorySocket | undefined {
    return this.sockets.get(endpoint.address)?.get(endpoint.port);
  }

  route(data: Buffer, from: Endpoint, to: Endpoint): void {
    this.stats.sent++;
    const sequence = this.sequence++;
    // The perfect network reads nothing of the datagram: skip describing it.
    if (this.impairment === perfectNetwork) {
      this.clock.setTimeout(() => this.arrive(data, from, to), 0);
      return;
    }
    const plan = this.impairment({ data, from, to, sequence });
    if (plan.length === 0) this.stats.dropped++;
    for (const delay of plan) this.clock.setTimeout(() => this.arrive(data, from, to), delay);
  }

  /** The socket bound at `to` when the datagram arrives (not when it was sent) receives it. */
  private arrive(data: Buffer, from: Endpoint, to: Endpoint): void {
    const target = this.socketAt(to);
    if (target === undefined) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    target.deliver(data, from);
  }
}
