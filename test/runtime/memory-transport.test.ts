import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../runtime/clock.ts';
import { MemoryNetwork, randomImpairment } from '../../runtime/memory-transport.ts';
import type { Endpoint } from '../../runtime/transport.ts';

describe('MemoryNetwork', () => {
  it('delivers after the impairment delay, on the Clock', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork(clock, () => [250]);
    const a = await network.bind({ address: '127.0.0.1', port: 0 });
    const b = await network.bind({ address: '127.0.0.1', port: 1812 });
    const got: [string, Endpoint][] = [];
    b.onMessage((data, from) => got.push([data.toString(), from]));
    await a.send(Buffer.from('hello'), b.local);
    await clock.advance(249);
    expect(got).toEqual([]);
    await clock.advance(1);
    expect(got).toEqual([['hello', a.local]]);
  });

  it('loses, duplicates and delays reproducibly from a seed', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const clock = new VirtualClock(0);
      const network = new MemoryNetwork(
        clock,
        randomImpairment({ loss: 0.3, duplicate: 0.3, delayMs: 5, jitterMs: 20, seed }),
      );
      const a = await network.bind({ address: '127.0.0.1', port: 0 });
      const b = await network.bind({ address: '127.0.0.1', port: 9 });
      const got: number[] = [];
      b.onMessage((data) => got.push(data.readUInt8(0)));
      for (let i = 0; i < 50; i++) await a.send(Buffer.from([i]), b.local);
      await clock.runAll();
      return got;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first.length).not.toBe(50);
  });

  it('reuses ephemeral ports once released, wrapping at the top of the dynamic range', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork(clock);
    const held = await network.bind({ address: '127.0.0.1', port: 0 });
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const socket = await network.bind({ address: '127.0.0.1', port: 0 });
      expect(socket.local.port).toBeGreaterThanOrEqual(49152);
      expect(socket.local.port).toBeLessThanOrEqual(65535);
      expect(socket.local.port).not.toBe(held.local.port);
      seen.add(socket.local.port);
      await socket.close();
    }
    expect(seen.size).toBe(65535 - 49152);
  });
});
