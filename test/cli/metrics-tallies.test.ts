// The per-request counters are counted in plain numbers and handed to prom-client when scraped
// (cli/observability.ts TalliedCounter): each scrape must show every event once, by its labels,
// however the events and scrapes interleave.
import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { TalliedHistogram, attachMetrics } from '../../cli/observability.ts';
import { ServerEvents, type ServerEventMap } from '../../reference/events.ts';

const from = { address: '127.0.0.1', port: 40000 };

function access(
  outcome: ServerEventMap['access']['outcome'],
  reason: ServerEventMap['access']['reason'],
  method?: ServerEventMap['access']['method'],
): ServerEventMap['access'] {
  return {
    outcome,
    reason,
    client: 'nas',
    from,
    identifier: 1,
    durationMs: 3,
    ...(method !== undefined ? { method } : {}),
  };
}

/** The sample lines of one metric, label sets as printed, in the order printed. */
async function samples(metrics: ReturnType<typeof attachMetrics>, name: string): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .sort();
}

describe('tallied counters', () => {
  it('show each event once under its labels, scrape after scrape', async () => {
    const events = new ServerEvents();
    const metrics = attachMetrics(events, () => undefined);
    events.emit('access', access('accept', 'primary-ok', 'pap'));
    events.emit('access', access('accept', 'primary-ok', 'pap'));
    events.emit('access', access('reject', 'wrong-password', 'pap'));
    events.emit('access', access('reject', 'no-credentials'));
    expect(await samples(metrics, 'radmfa_access_total')).toEqual([
      'radmfa_access_total{outcome="accept",method="pap",reason="primary-ok"} 2',
      'radmfa_access_total{outcome="reject",method="pap",reason="wrong-password"} 1',
      'radmfa_access_total{outcome="reject",method="unknown",reason="no-credentials"} 1',
    ]);
    // A second scrape with nothing new shows the same totals (nothing counted twice).
    expect(await samples(metrics, 'radmfa_access_total')).toEqual([
      'radmfa_access_total{outcome="accept",method="pap",reason="primary-ok"} 2',
      'radmfa_access_total{outcome="reject",method="pap",reason="wrong-password"} 1',
      'radmfa_access_total{outcome="reject",method="unknown",reason="no-credentials"} 1',
    ]);
    events.emit('access', access('accept', 'primary-ok', 'pap'));
    expect(await samples(metrics, 'radmfa_access_total')).toContain(
      'radmfa_access_total{outcome="accept",method="pap",reason="primary-ok"} 3',
    );
    expect(await samples(metrics, 'radmfa_access_duration_seconds_count')).toEqual([
      'radmfa_access_duration_seconds_count{outcome="accept"} 3',
      'radmfa_access_duration_seconds_count{outcome="reject"} 2',
    ]);
  });

  it('count drops, duplicates, accounting and Status-Server by their labels', async () => {
    const events = new ServerEvents();
    const metrics = attachMetrics(events, () => undefined);
    events.emit('packet-dropped', { reason: 'unknown-client', from, detail: 'x' });
    events.emit('packet-dropped', { reason: 'unknown-client', from, detail: 'x' });
    events.emit('packet-dropped', { reason: 'overload', from, detail: 'x' });
    const duplicate = { from, client: 'nas', identifier: 1, duplicates: 1 } as const;
    events.emit('duplicate', { ...duplicate, action: 'discard', reason: 'in-flight' });
    events.emit('duplicate', { ...duplicate, action: 'replay', reason: 'recently-answered' });
    events.emit('accounting', { client: 'nas', stored: true, duplicate: false });
    events.emit('accounting', { client: 'nas', stored: true, duplicate: true });
    events.emit('status-server', { client: 'nas', from, port: 'auth' });
    events.emit('status-server', { client: 'nas', from, port: 'acct' });
    expect(await samples(metrics, 'radmfa_packets_dropped_total')).toEqual([
      'radmfa_packets_dropped_total{reason="overload"} 1',
      'radmfa_packets_dropped_total{reason="unknown-client"} 2',
    ]);
    expect(await samples(metrics, 'radmfa_duplicates_total')).toEqual([
      'radmfa_duplicates_total{action="discard",reason="in-flight"} 1',
      'radmfa_duplicates_total{action="replay",reason="recently-answered"} 1',
    ]);
    expect(await samples(metrics, 'radmfa_accounting_total')).toEqual([
      'radmfa_accounting_total{result="duplicate"} 1',
      'radmfa_accounting_total{result="stored"} 1',
    ]);
    expect(await samples(metrics, 'radmfa_status_server_total')).toEqual(['radmfa_status_server_total 2']);
  });

  it("a tallied histogram prints and aggregates exactly as prom-client's Histogram", async () => {
    const buckets = [0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 90, 120];
    const theirs = new Registry();
    const ours = new Registry();
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h',
      labelNames: ['outcome'],
      buckets,
      registers: [theirs],
    });
    const tallied = new TalliedHistogram({
      name: 'h_seconds',
      help: 'h',
      labelName: 'outcome',
      buckets,
      registry: ours,
    });
    // Bounds themselves (le is inclusive), between them, zero, past the last bound.
    const observations: [string, number][] = [
      ['accept', 0],
      ['accept', 0.005],
      ['reject', 0.0051],
      ['accept', 0.1],
      ['accept', 119.99],
      ['reject', 120],
      ['accept', 500],
      ['challenge', 0.3],
    ];
    for (const [outcome, seconds] of observations) {
      histogram.observe({ outcome }, seconds);
      tallied.observe(outcome, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });
});
