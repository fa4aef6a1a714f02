// Packet capture without the NAS's help: a Transport wrapper around the reference server's sockets
// that records every datagram each NAS sends to it and every reply, stamped with the injected Clock.
// It sits below the server (reference/ stays unaware of it), so what is recorded is exactly what
// crossed the socket, duplicates and malformed datagrams included.
import type { Clock } from '../../runtime/clock.ts';
import type {
  BindOptions,
  DatagramHandler,
  DatagramSocket,
  Endpoint,
  Transport,
} from '../../runtime/transport.ts';

/** Which instance of the reference server saw it (the secondary exists with --secondary-port). */
export type ServerRole = 'primary' | 'secondary';

export interface CapturedDatagram {
  /** Clock time (ms). */
  readonly at: number;
  readonly server: ServerRole;
  /** `from-nas`: a request (or anything) the NAS sent; `to-nas`: the server's reply. */
  readonly direction: 'from-nas' | 'to-nas';
  /** The server's socket. */
  readonly local: Endpoint;
  /** The NAS's address and source port. */
  readonly nas: Endpoint;
  readonly data: Buffer;
}

/** Where captured datagrams go; a bounded list, so a day-long run cannot eat the memory. */
export class PacketCapture {
  readonly datagrams: CapturedDatagram[] = [];
  /** Datagrams not kept because the capture was full. */
  dropped = 0;
  private readonly listeners = new Set<(datagram: CapturedDatagram) => void>();

  constructor(readonly limit = 200_000) {}

  add(datagram: CapturedDatagram): void {
    if (this.datagrams.length >= this.limit) this.dropped++;
    else this.datagrams.push(datagram);
    for (const listener of this.listeners) listener(datagram);
  }

  /** Called for every datagram as it is captured (live progress, the SMS-code hint). */
  onDatagram(listener: (datagram: CapturedDatagram) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The server's Transport, recording every datagram through its sockets into `capture`. */
export class CaptureTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly clock: Clock,
    private readonly capture: PacketCapture,
    private readonly server: ServerRole,
  ) {}

  async bind(options: BindOptions): Promise<DatagramSocket> {
    const socket = await this.inner.bind(options);
    const record = (direction: CapturedDatagram['direction'], nas: Endpoint, data: Buffer): void =>
      this.capture.add({
        at: this.clock.now(),
        server: this.server,
        direction,
        local: socket.local,
        nas: { address: nas.address, port: nas.port },
        data: Buffer.from(data),
      });
    return {
      local: socket.local,
      send: (data, to) => {
        record('to-nas', to, data);
        return socket.send(data, to);
      },
      onMessage: (handler: DatagramHandler) => {
        socket.onMessage((data, from) => {
          record('from-nas', from, data);
          handler(data, from);
        });
      },
      close: () => socket.close(),
    };
  }
}
