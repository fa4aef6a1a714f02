import type { Clock } from '../../runtime/clock.ts';
import type { DatagramSocket, Transport } from '../../runtime/transport.ts';

/**
 * `network` with every datagram handed over `queuedMs` after it arrived, and the wait reported to
 * the handler, as a socket read on a coalescing timer does (runtime/batch-udp.ts).
 */
export function readingLate(network: Transport, clock: Clock, queuedMs: number): Transport {
  return {
    async bind(options) {
      const socket = await network.bind(options);
      const late: DatagramSocket = {
        local: socket.local,
        send: (data, to) => socket.send(data, to),
        onMessage: (handler) =>
          socket.onMessage((data, from) => {
            clock.setTimeout(() => handler(data, from, queuedMs), queuedMs);
          }),
        close: () => socket.close(),
      };
      return late;
    },
  };
}
