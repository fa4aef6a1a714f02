// Source sockets of the NAS. Each socket has its own Identifier space (RFC 2865 3: the Identifier
// and the source port together tell requests apart); when every Identifier of every open socket is
// outstanding, another socket is opened, as busy NASes and radclient -p do.
import type { BindOptions, DatagramSocket, Endpoint, Transport } from '../../runtime/transport.ts';
import { NasError } from './errors.ts';
import { IdentifierAllocator } from './identifiers.ts';

export type ReplyHandler = (data: Buffer, from: Endpoint) => void;

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
  readonly handlers: Map<number, ReplyHandler>;
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
      for (const state of this.sockets) {
        const identifier = state.identifiers.allocate();
        if (identifier !== undefined) {
          state.handlers.set(identifier, handler);
          return { socket: state, identifier };
        }
      }
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

  release(lease: Lease): void {
    const state = this.sockets[lease.socket.index];
    if (state === undefined) return;
    if (state.identifiers.release(lease.identifier)) state.handlers.delete(lease.identifier);
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
      handlers: new Map(),
    };
    socket.onMessage((data, from) => {
      const identifier = data.length >= 2 ? data[1] : undefined;
      const handler = identifier === undefined ? undefined : state.handlers.get(identifier);
      if (handler === undefined) this.options.onUnmatched(state, data, from);
      else handler(data, from);
    });
    this.sockets.push(state);
  }
}
