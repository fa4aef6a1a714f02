// Reading a `radmfa serve` process from outside, the way an operator's monitoring would: its
// Prometheus text on the admin port and its file descriptors in /proc. Shared by bench/soak.ts and
// bench/overload.ts.
import { readdirSync } from 'node:fs';
import type { Endpoint } from '../runtime/transport.ts';

/** `name{labels} value` lines of a Prometheus text exposition; comments skipped. */
export interface MetricLine {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheusText(text: string): MetricLine[] {
  const lines: MetricLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ''] = pair[2] ?? '';
    lines.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return lines;
}

/** The sum of every line of `name` whose labels include `where`; undefined when there is none. */
export function metricValue(
  lines: readonly MetricLine[],
  name: string,
  where: Readonly<Record<string, string>> = {},
): number | undefined {
  let found = false;
  let sum = 0;
  for (const line of lines) {
    if (line.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => line.labels[k] === v)) continue;
    found = true;
    sum += line.value;
  }
  return found ? sum : undefined;
}

/** Values of one label across the lines of `name` (e.g. drops by reason). */
export function metricByLabel(
  lines: readonly MetricLine[],
  name: string,
  label: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const key = line.labels[label];
    if (line.name === name && key !== undefined) out[key] = (out[key] ?? 0) + line.value;
  }
  return out;
}

export async function scrapeMetrics(admin: Endpoint): Promise<MetricLine[]> {
  const response = await fetch(`http://${admin.address}:${admin.port}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** Open file descriptors of `pid` (Linux /proc); undefined where /proc is not there. */
export function openFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** What the soak and the overload bench read at each sample. */
export interface ServerSample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** p99 of the event-loop delay since the previous scrape (prom-client resets it on each). */
  readonly eventLoopP99Ms: number;
  readonly openFds: number;
  readonly duplicateEntries: number;
  readonly challengeStates: number;
  readonly mfaPending: number;
  readonly inFlight: number;
}

function required(lines: readonly MetricLine[], name: string): number {
  const value = metricValue(lines, name);
  if (value === undefined) throw new Error(`/metrics has no ${name}`);
  return value;
}

export function serverSample(lines: readonly MetricLine[], pid: number): ServerSample {
  return {
    rssBytes: required(lines, 'radmfa_process_process_resident_memory_bytes'),
    heapUsedBytes: required(lines, 'radmfa_process_nodejs_heap_size_used_bytes'),
    eventLoopP99Ms: required(lines, 'radmfa_process_nodejs_eventloop_lag_p99_seconds') * 1000,
    openFds: openFds(pid) ?? required(lines, 'radmfa_process_process_open_fds'),
    duplicateEntries: required(lines, 'radmfa_duplicate_cache_entries'),
    challengeStates: required(lines, 'radmfa_challenge_states'),
    mfaPending: required(lines, 'radmfa_mfa_pending'),
    inFlight: required(lines, 'radmfa_requests_in_flight'),
  };
}
