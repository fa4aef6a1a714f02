// Free UDP ports for daemons that cannot bind port 0 themselves (FreeRADIUS wants a number in its
// config). The port is released before the daemon binds it, so a race is possible: callers that
// start a daemon on it should retry with a fresh port when the bind fails.
import { createSocket, type Socket } from 'node:dgram';

export const IPV4_LOOPBACK = '127.0.0.1';
export const IPV6_LOOPBACK = '::1';

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** A UDP port that was free on `host` (default 127.0.0.1) a moment ago: bind port 0, read, close. */
export async function findFreeUdpPort(host: string = IPV4_LOOPBACK): Promise<number> {
  const socket = await bindUdp(host, 0);
  const { port } = socket.address();
  await closeUdp(socket);
  return port;
}

export interface FreeUdpPortsOptions {
  /** Every port must be free on each of these addresses (e.g. both loopbacks). Default: 127.0.0.1. */
  readonly hosts?: readonly string[];
  /** Bound on the search. Default 20. */
  readonly maxAttempts?: number;
}

/**
 * `count` distinct UDP ports, each free on every host in `options.hosts`. The sockets are held
 * together while searching, so the ports differ from each other; they are all released on return.
 */
export async function findFreeUdpPorts(count: number, options: FreeUdpPortsOptions = {}): Promise<number[]> {
  const hosts = options.hosts ?? [IPV4_LOOPBACK];
  const [primary, ...others] = hosts;
  if (primary === undefined) throw new Error('findFreeUdpPorts: hosts must not be empty');
  const maxAttempts = options.maxAttempts ?? 20;
  const held: Socket[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; attempt < maxAttempts && ports.length < count; attempt++) {
      const first = await bindUdp(primary, 0);
      held.push(first);
      const { port } = first.address();
      const extra: Socket[] = [];
      let freeEverywhere = true;
      for (const host of others) {
        try {
          extra.push(await bindUdp(host, port));
        } catch {
          freeEverywhere = false;
          break;
        }
      }
      held.push(...extra);
      if (freeEverywhere) ports.push(port);
    }
  } finally {
    await Promise.all(held.map(closeUdp));
  }
  if (ports.length < count) {
    throw new Error(`findFreeUdpPorts: found ${ports.length} of ${count} ports free on ${hosts.join(', ')}`);
  }
  return ports;
}

/** Whether a UDP socket can bind `host` (used to decide whether ::1 exists in this container). */
export async function canBindUdp(host: string): Promise<boolean> {
  try {
    await closeUdp(await bindUdp(host, 0));
    return true;
  } catch {
    return false;
  }
}
