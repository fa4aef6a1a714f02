// The Transport of one worker among listen.workers. Its public sockets answer on the server's
// ports: on Node 20 through the cluster module's shared handle (every worker reads the one socket,
// the kernel wakes whichever is waiting, so copies of one request can land on different workers);
// on Node >= 22.12 with fixed ports, through a socket of its own with SO_REUSEPORT (the kernel hashes
// the source, so a NAS socket always reaches the same worker). Either way each datagram goes to the
// worker route.ts names as its owner: handled here when that is this worker, otherwise forwarded
// as is, with its source, over loopback UDP to the owner, which answers from the public socket
// (the answer's source is the server's port, whichever worker sends it). The server above sees a
// plain Transport and keeps its duplicate cache and challenge store to itself.
import dgram from 'node:dgram';
import { timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type {
  BindOptions,
  DatagramHandler,
  DatagramSocket,
  Endpoint,
  Transport,
} from '../../runtime/transport.ts';
import { ownerOf, type RouteMode } from './route.ts';

/** Frame: token (16) | socket index (1) | port (2) | address length (1) | address | datagram. */
const TOKEN_LENGTH = 16;
const FRAME_HEADER = TOKEN_LENGTH + 4;

export interface WorkerTransportOptions {
  readonly index: number;
  readonly workers: number;
  /**
   * Shared by the workers of one server, unknown to anyone else: a forwarded frame must carry it,
   * so another local process cannot inject datagrams with a forged source through the forward port.
   */
  readonly token: Buffer;
  /** Node >= 22.12 and a fixed port: a socket per worker with SO_REUSEPORT. */
  readonly reusePort: boolean;
}

export interface ForwardStats {
  /** Datagrams this worker passed on to their owner, and received from the others. */
  readonly forwarded: number;
  readonly received: number;
  /** Frames refused on the forward port (wrong token, malformed, unknown socket). */
  readonly refused: number;
}

class PublicSocket implements DatagramSocket {
  handler: DatagramHandler = () => {};

  constructor(
    private readonly socket: dgram.Socket,
    readonly local: Endpoint,
  ) {}

  send(data: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, to.port, to.address, (err) => (err ? reject(err) : resolve()));
    });
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

export class WorkerTransport implements Transport {
  private readonly forward: dgram.Socket;
  private readonly sockets: PublicSocket[] = [];
  private peers: readonly number[] = [];
  private readonly counters = { forwarded: 0, received: 0, refused: 0 };

  private constructor(
    private readonly options: WorkerTransportOptions,
    forward: dgram.Socket,
    readonly forwardPort: number,
  ) {
    this.forward = forward;
    forward.on('message', (frame) => this.onFrame(frame));
    forward.on('error', () => {});
  }

  /** Opens the forward socket (loopback, a port of its own: `exclusive` keeps it out of the cluster). */
  static async open(options: WorkerTransportOptions): Promise<WorkerTransport> {
    const forward = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      forward.once('error', reject);
      forward.bind({ address: '127.0.0.1', port: 0, exclusive: true }, () => {
        forward.off('error', reject);
        resolve();
      });
    });
    return new WorkerTransport(options, forward, forward.address().port);
  }

  /** The forward ports of every worker, by index (this one's included). */
  setPeers(ports: readonly number[]): void {
    this.peers = ports;
  }

  stats(): ForwardStats {
    return { ...this.counters };
  }

  async bind(options: BindOptions): Promise<DatagramSocket> {
    const type = isIPv6(options.address) ? 'udp6' : 'udp4';
    const reusePort = this.options.reusePort && options.port !== 0;
    const socket = dgram.createSocket({
      type,
      ipv6Only: type === 'udp6',
      ...(options.recvBufferSize !== undefined ? { recvBufferSize: options.recvBufferSize } : {}),
      // Node >= 22.12 only; older versions ignore the key, and `reusePort` is false there.
      ...(reusePort ? ({ reusePort: true } as object) : {}),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // Not exclusive (Node 20): the cluster primary opens the socket once and every worker gets
      // its handle, in the order the workers bind (the same order in each).
      socket.bind({ address: options.address, port: options.port, exclusive: reusePort }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {});
    const address = socket.address();
    const wrapped = new PublicSocket(socket, { address: address.address, port: address.port });
    const index = this.sockets.length;
    this.sockets.push(wrapped);
    const mode: RouteMode = reusePort ? 'local' : 'hash';
    const { workers, index: self } = this.options;
    socket.on('message', (data, rinfo) => {
      const owner = ownerOf(data, rinfo, workers, self, mode);
      if (owner === self) wrapped.handler(data, { address: rinfo.address, port: rinfo.port });
      else this.pass(owner, index, data, rinfo);
    });
    return wrapped;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.forward.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private pass(owner: number, socketIndex: number, data: Buffer, from: dgram.RemoteInfo): void {
    const port = this.peers[owner];
    if (port === undefined) return;
    const address = Buffer.from(from.address, 'latin1');
    const frame = Buffer.allocUnsafe(FRAME_HEADER + address.length + data.length);
    this.options.token.copy(frame, 0);
    frame[TOKEN_LENGTH] = socketIndex;
    frame.writeUInt16BE(from.port, TOKEN_LENGTH + 1);
    frame[TOKEN_LENGTH + 3] = address.length;
    address.copy(frame, FRAME_HEADER);
    data.copy(frame, FRAME_HEADER + address.length);
    this.counters.forwarded++;
    this.forward.send(frame, port, '127.0.0.1');
  }

  private onFrame(frame: Buffer): void {
    if (
      frame.length < FRAME_HEADER ||
      !timingSafeEqual(frame.subarray(0, TOKEN_LENGTH), this.options.token)
    ) {
      this.counters.refused++;
      return;
    }
    const socket = this.sockets[frame[TOKEN_LENGTH] ?? 255];
    const addressLength = frame[TOKEN_LENGTH + 3] ?? 0;
    if (socket === undefined || frame.length < FRAME_HEADER + addressLength) {
      this.counters.refused++;
      return;
    }
    this.counters.received++;
    const address = frame.toString('latin1', FRAME_HEADER, FRAME_HEADER + addressLength);
    socket.handler(frame.subarray(FRAME_HEADER + addressLength), {
      address,
      port: frame.readUInt16BE(TOKEN_LENGTH + 1),
    });
  }
}

/** SO_REUSEPORT for UDP in node:dgram arrived in Node 22.12 (and 23.1). */
export function dgramSupportsReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
