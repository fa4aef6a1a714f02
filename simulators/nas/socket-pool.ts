// Source sockets of the NAS. Each socket has its own Identifier space (RFC 2865 3: the Identifier
// and the source port together tell requests apart); when every Identifier of every open socket is
// outstanding, another socket is opened, as busy NASes and radclient -p do.
import type { BindOptions, DatagramSocket, Endpoint, Transport } from '../../runtime/transport.ts';
import { NasError } from './errors.ts';
import { IDENTIFIER_SPACE, IdentifierAllocator } from './identifiers.ts';

/**
 * `socket` is the pool socket the datagram arrived on (one handler can then serve many leases);
 * `queuedMs` is the transport's DatagramHandler argument (the time the datagram waited unread).
 */
export type ReplyHandler = (data: Buffer, from: Endpoint, socket: PooledSocket, queuedMs?: number) => void;

export interface PooledSocket {
  /** 0 for the first socket opened, then 1, 2... */
  readonly index: number;
  readonly socket: DatagramSocket;
  readonly identifiers: IdentifierAllocator;
}

/** One outstanding Identifier on one socket, with the handler its replies go to. */
export interface Lease {
  readonly socket: PooledSocket;
  readonly identifier: number;
}

export interface SocketPoolOptions {
  readonly transport: Transport;
  readonly bind: BindOptions;
  /** Upper bound on sockets, hence on outstanding requests (256 each). */
  readonly maxSockets: number;
  /** A datagram whose Identifier is not outstanding on the socket it arrived on (late or stray). */
  readonly onUnmatched: (socket: PooledSocket, data: Buffer, from: Endpoint) => void;
}

interface SocketState extends PooledSocket {
  /** By Identifier; undefined when it is not outstanding. */
  readonly handlers: (ReplyHandler | undefined)[];
}

export class SocketPool {
  private readonly sockets: SocketState[] = [];
  private binding: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SocketPoolOptions) {}

  get socketCount(): number {
    return this.sockets.length;
  }

  get outstandingCount(): number {
    return this.sockets.reduce((sum, s) => sum + s.identifiers.outstandingCount, 0);
  }

  /** The local endpoints of the open sockets, in the order they were opened. */
  get localEndpoints(): Endpoint[] {
    return this.sockets.map((s) => s.socket.local);
  }

  /**
   * An Identifier not outstanding on its socket, from the first socket that has one free; a new
   * socket when none has. Replies carrying that Identifier go to `handler` until release().
   */
  async acquire(handler: ReplyHandler): Promise<Lease> {
    // Each pass either leases, waits for a bind in progress, or binds: bounded by the socket cap.
    for (let pass = 0; pass <= this.options.maxSockets * 2 + 2; pass++) {
      if (this.closed) throw new NasError('RADMFA_NAS_CLOSED', 'the NAS is closed');
      const lease = this.tryAcquire(handler);
      if (lease !== undefined) return lease;
      if (this.binding !== undefined) {
        await this.binding;
        continue;
      }
      if (this.sockets.length >= this.options.maxSockets) break;
      this.binding = this.openSocket().finally(() => {
        this.binding = undefined;
      });
      await this.binding;
    }
    throw new NasError(
      'RADMFA_NAS_IDENTIFIERS_EXHAUSTED',
      `all 256 Identifiers of ${this.sockets.length} sockets are outstanding; raise maxSockets or send fewer requests at once`,
    );
  }

  /**
   * acquire() without opening a socket or waiting: a lease from a socket already open, or undefined
   * when every Identifier of every open socket is outstanding (or the pool is closed). For the lean
   * load path, which opens its sockets up front with open().
   */
  tryAcquire(handler: ReplyHandler): Lease | undefined {
    if (this.closed) return undefined;
    for (const state of this.sockets) {
      const identifier = state.identifiers.allocate();
      if (identifier !== undefined) {
        state.handlers[identifier] = handler;
        return { socket: state, identifier };
      }
    }
    return undefined;
  }

  /** Opens sockets until `count` are open (at most maxSockets): capacity for 256 requests each. */
  async open(count: number): Promise<void> {
    const target = Math.min(count, this.options.maxSockets);
    for (let pass = 0; pass <= this.options.maxSockets * 2 + 2 && this.sockets.length < target; pass++) {
      if (this.closed) throw new NasError('RADMFA_NAS_CLOSED', 'the NAS is closed');
      if (this.binding === undefined) {
        this.binding = this.openSocket().finally(() => {
          this.binding = undefined;
        });
      }
      await this.binding;
    }
  }

  /** Releases a lease by socket index and Identifier (no Lease object needed). */
  releaseIdentifier(socketIndex: number, identifier: number): void {
    const state = this.sockets[socketIndex];
    if (state === undefined) return;
    if (state.identifiers.release(identifier)) state.handlers[identifier] = undefined;
  }

  release(lease: Lease): void {
    this.releaseIdentifier(lease.socket.index, lease.identifier);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.binding !== undefined) await this.binding.catch(() => undefined);
    await Promise.all(this.sockets.map((s) => s.socket.close()));
  }

  private async openSocket(): Promise<void> {
    const socket = await this.options.transport.bind(this.options.bind);
    if (this.closed) {
      await socket.close();
      return;
    }
    const state: SocketState = {
      index: this.sockets.length,
      socket,
      identifiers: new IdentifierAllocator(),
      handlers: new Array<ReplyHandler | undefined>(IDENTIFIER_SPACE).fill(undefined),
    };
    socket.onMessage((data, from, queuedMs) => {
      const handler = data.length >= 2 ? state.handlers[data[1] as number] : undefined;
      if (handler === undefined) this.options.onUnmatched(state, data, from);
      else handler(data, from, state, queuedMs);
    });
    this.sockets.push(state);
  }
}
