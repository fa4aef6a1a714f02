// A Transport wrapper that records every datagram a case's NAS sockets send and receive, so the
// engine can re-send an exact datagram from the socket it left (a duplicate only counts as one when
// it comes from the same address and port), count the replies to it, and tell the server's events
// for this case's sockets apart from other traffic.
import type { Clock } from '../../runtime/clock.ts';
import type {
  BindOptions,
  DatagramHandler,
  DatagramSocket,
  Endpoint,
  Transport,
} from '../../runtime/transport.ts';

export interface TappedDatagram {
  readonly at: number;
  readonly direction: 'out' | 'in';
  /** The case's socket. */
  readonly local: Endpoint;
  /** The server. */
  readonly peer: Endpoint;
  readonly data: Buffer;
}

export const endpointKey = (endpoint: Endpoint): string => `${endpoint.address}:${endpoint.port}`;

export class TapTransport implements Transport {
  readonly datagrams: TappedDatagram[] = [];
  readonly sockets = new Map<string, DatagramSocket>();

  constructor(
    private readonly inner: Transport,
    private readonly clock: Clock,
  ) {}

  async bind(options: BindOptions): Promise<DatagramSocket> {
    const socket = await this.inner.bind(options);
    const tapped: DatagramSocket = {
      local: socket.local,
      send: (data, to) => {
        this.datagrams.push({
          at: this.clock.now(),
          direction: 'out',
          local: socket.local,
          peer: to,
          data: Buffer.from(data),
        });
        return socket.send(data, to);
      },
      onMessage: (handler: DatagramHandler) => {
        socket.onMessage((data, from) => {
          this.datagrams.push({
            at: this.clock.now(),
            direction: 'in',
            local: socket.local,
            peer: from,
            data: Buffer.from(data),
          });
          handler(data, from);
        });
      },
      close: () => socket.close(),
    };
    // A socket nobody listens on still records what reaches it.
    tapped.onMessage(() => undefined);
    this.sockets.set(endpointKey(socket.local), tapped);
    return tapped;
  }

  /** Every local endpoint the case bound (its NAS and raw sockets). */
  localKeys(): Set<string> {
    return new Set(this.sockets.keys());
  }

  /** Datagrams that came back to `local` with this Identifier, in order. */
  repliesTo(local: Endpoint, identifier: number): TappedDatagram[] {
    const key = endpointKey(local);
    return this.datagrams.filter(
      (d) =>
        d.direction === 'in' &&
        endpointKey(d.local) === key &&
        d.data.length >= 2 &&
        d.data[1] === identifier,
    );
  }
}

/**
 * Binds through another transport and remembers what it bound: the sockets of one step's NAS, so
 * the server's events for that step (its `serverReason`) are told apart from the other steps'.
 */
export class BindRecorder implements Transport {
  readonly locals = new Set<string>();

  constructor(private readonly inner: Transport) {}

  async bind(options: BindOptions): Promise<DatagramSocket> {
    const socket = await this.inner.bind(options);
    this.locals.add(endpointKey(socket.local));
    return socket;
  }
}
