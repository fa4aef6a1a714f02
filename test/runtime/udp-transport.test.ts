// The UDP transport on loopback: send() and the fire-and-forget post() deliver the same datagram,
// and a host name still resolves (the lookup answers IP literals itself and asks DNS otherwise).
import { afterEach, describe, expect, it } from 'vitest';
import type { DatagramSocket, Endpoint } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';

const open: DatagramSocket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
});

async function pair() {
  const transport = new UdpTransport();
  const a = await transport.bind({ address: '127.0.0.1', port: 0 });
  const b = await transport.bind({ address: '127.0.0.1', port: 0 });
  open.push(a, b);
  const received: { data: string; from: Endpoint }[] = [];
  let notify: () => void = () => {};
  b.onMessage((data, from) => {
    received.push({ data: data.toString(), from });
    notify();
  });
  const next = () => new Promise<void>((resolve) => (notify = resolve));
  return { a, b, received, next };
}

describe('UdpTransport', () => {
  it('delivers with send() and with post(), from the sending socket', async () => {
    const { a, b, received, next } = await pair();
    const first = next();
    await a.send(Buffer.from('sent'), b.local);
    await first;
    const second = next();
    expect(typeof a.post).toBe('function');
    a.post?.(Buffer.from('posted'), b.local);
    await second;
    expect(received.map((r) => r.data)).toEqual(['sent', 'posted']);
    expect(received.every((r) => r.from.port === a.local.port && r.from.address === '127.0.0.1')).toBe(true);
  });

  it('resolves a host name through DNS when it is not an IP literal', async () => {
    const { a, b, received, next } = await pair();
    const arrived = next();
    await a.send(Buffer.from('by-name'), { address: 'localhost', port: b.local.port });
    await arrived;
    expect(received.map((r) => r.data)).toEqual(['by-name']);
  });
});
