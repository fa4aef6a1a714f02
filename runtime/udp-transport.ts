import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type {
  BindOptions,
  DatagramHandler,
  DatagramSocket,
  Endpoint,
  PostErrorHandler,
  Transport,
} from './transport.ts';

class UdpSocket implements DatagramSocket {
  private handler: DatagramHandler = () => {};
  /** Node allocates each received datagram a Buffer of its own, of its exact length. */
  readonly handsOverDatagrams = true;

  constructor(
    private readonly socket: dgram.Socket,
    readonly local: Endpoint,
  ) {
    socket.on('message', (msg, rinfo) => this.handler(msg, { address: rinfo.address, port: rinfo.port }));
    // A UDP send error (ICMP unreachable surfaced by the kernel) must not crash a server.
    socket.on('error', () => {});
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(data, to.port, to.address, (err) => (err ? reject(err) : resolve()));
    });
  }

  post(data: Buffer, to: Endpoint): void {
    // Without a callback Node completes the send without a JavaScript callback, and a failure is
    // lost traffic. With a handler, one callback serves every datagram (no closure per send).
    if (this.postFailed === undefined) this.socket.send(data, to.port, to.address);
    else this.socket.send(data, to.port, to.address, this.afterPost);
  }

  onPostError(handler: PostErrorHandler): void {
    this.postFailed = handler;
  }

  private postFailed: PostErrorHandler | undefined;

  private readonly afterPost = (error: Error | null): void => {
    if (error !== null) this.postFailed?.(error, sendErrorEndpoint(error));
  };

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

/**
 * Where a failed send was going: Node's send errors carry it (SystemError `address` and `port`);
 * a failed name lookup has only the name, which is the address radmfa passed.
 */
function sendErrorEndpoint(error: Error): Endpoint {
  const { address, port, hostname } = error as Error & {
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
  };
  return {
    address: typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : '',
    port: typeof port === 'number' ? port : 0,
  };
}

type LookupCallback = (error: Error | null, address: string, family: number) => void;

/** The last literal looked up: a load run sends every datagram to one or two addresses. */
let lastLiteral = '';
let lastFamily = 0;

function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  if (hostname === lastLiteral) {
    callback(null, hostname, lastFamily);
    return;
  }
  const family = isIP(hostname);
  if (family === 0) {
    dns.lookup(hostname, options as dns.LookupOneOptions, callback);
    return;
  }
  lastLiteral = hostname;
  lastFamily = family;
  callback(null, hostname, family);
}

export class UdpTransport implements Transport {
  bind(options: BindOptions): Promise<DatagramSocket> {
    const type = isIPv6(options.address) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({
      type,
      // Every address radmfa sends to is an IP literal: answer the lookup at once, without the
      // dns.lookup round (a process.nextTick per datagram sent).
      lookup: literalLookup,
      ipv6Only: type === 'udp6',
      ...(options.recvBufferSize !== undefined ? { recvBufferSize: options.recvBufferSize } : {}),
      ...(options.sendBufferSize !== undefined ? { sendBufferSize: options.sendBufferSize } : {}),
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.bind(options.port, options.address, () => {
        socket.off('error', onError);
        const addr = socket.address();
        resolve(new UdpSocket(socket, { address: addr.address, port: addr.port }));
      });
    });
  }
}
