// Under overload the server drops thousands of datagrams a second: the log gets one line per reason
// per second with the number it stood for, while other drops keep a line each.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../runtime/clock.ts';
import { ServerEvents } from '../../reference/events.ts';
import { attachLogging, OverloadLines } from '../../cli/observability.ts';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n'))
        if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const from = { address: '127.0.0.1', port: 40000, family: 'IPv4' as const };

describe('overload drops in the log', () => {
  it('1,000 overload drops in one second give one line; the next second says how many it stood for', async () => {
    const clock = new VirtualClock(0);
    const events = new ServerEvents();
    const { lines, stream } = capture();
    attachLogging(events, pino({ level: 'warn' }, stream), clock);
    for (let i = 0; i < 1_000; i++)
      events.emit('packet-dropped', { reason: 'overload', from, detail: 'full' });
    events.emit('packet-dropped', { reason: 'unknown-client', from, detail: 'stranger' });
    events.emit('packet-dropped', { reason: 'unknown-client', from, detail: 'stranger' });
    await clock.advanceTo(1_000);
    events.emit('packet-dropped', { reason: 'overload', from, detail: 'full' });
    const dropped = lines.filter((line) => line['event'] === 'dropped');
    expect(dropped.map((line) => [line['reason'], line['droppedSinceLastLine']])).toEqual([
      ['overload', 0],
      ['unknown-client', undefined],
      ['unknown-client', undefined],
      ['overload', 999],
    ]);
  });

  it('keeps a separate interval per reason', async () => {
    const clock = new VirtualClock(0);
    const lines = new OverloadLines(clock);
    expect(lines.admit('overload')).toBe(0);
    expect(lines.admit('mfa-overload')).toBe(0);
    expect(lines.admit('overload')).toBeUndefined();
    await clock.advanceTo(999);
    expect(lines.admit('mfa-overload')).toBeUndefined();
    await clock.advanceTo(1_000);
    expect(lines.admit('overload')).toBe(1);
    expect(lines.admit('mfa-overload')).toBe(1);
  });
});
