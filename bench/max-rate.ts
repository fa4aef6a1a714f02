// The highest offered rate a server sustains: a bounded search over open-model load runs (radmfa's
// own engine, scenarios/load, constant-arrival-rate), each run a few seconds at one rate. A rate is
// sustained when every login was answered in time (no timeout, no retransmission, no arrival
// dropped for want of a VU) and p99 of radius_access_duration stayed under the bound. The search
// doubles the rate while it holds (halves it while it does not), then bisects between the last rate
// that held and the first that did not, and stops after a fixed number of probes whatever happens.
// A failing rate may be measured again before it counts (triesPerRate).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executeLoad, parseLoadProfile, type LoadResult } from '../scenarios/load/index.ts';
import { MAX_VUS } from '../scenarios/load/executors.ts';
import { formatIssues } from '../runtime/validation/index.ts';

export interface RateVerdict {
  readonly rate: number;
  readonly sustained: boolean;
}

export interface MaxRateSearchOptions {
  readonly startRate: number;
  readonly minRate: number;
  readonly maxRate: number;
  /** Hard bound on measurements (each costs a probe's duration). */
  readonly maxProbes: number;
  /** Stop bisecting once the bracket's upper end is within this fraction of its lower end. */
  readonly precision: number;
  /**
   * Measurements of a failing rate before it counts as failing (default 1). On a shared machine one
   * pause of the scheduler or the collector in a probe of a few seconds can push p99 past the bound;
   * a rate that holds on its second try is sustained, and a rate that fails every try is not.
   */
  readonly triesPerRate?: number;
}

export type SearchEnd = 'converged' | 'probe-limit' | 'max-rate' | 'min-rate';

export interface MaxRateSearch<P extends RateVerdict> {
  /** The highest rate that was sustained; null when not even the lowest one tried was. */
  readonly maxRate: number | null;
  /** The lowest rate that was not sustained; null when every rate tried was. */
  readonly firstFailing: number | null;
  readonly probes: readonly P[];
  readonly end: SearchEnd;
}

/** The next rate to try, or why there is none. Pure, so the search is testable with a fake measure. */
function nextRate(
  rate: number,
  lo: number | undefined,
  hi: number | undefined,
  options: MaxRateSearchOptions,
): number | SearchEnd {
  if (hi === undefined) return rate >= options.maxRate ? 'max-rate' : Math.min(rate * 2, options.maxRate);
  if (lo === undefined)
    return rate <= options.minRate ? 'min-rate' : Math.max(Math.round(rate / 2), options.minRate);
  if (hi <= lo * (1 + options.precision)) return 'converged';
  const middle = Math.round((lo + hi) / 2);
  return middle <= lo || middle >= hi ? 'converged' : middle;
}

export async function searchMaxRate<P extends RateVerdict>(
  measure: (rate: number) => Promise<P>,
  options: MaxRateSearchOptions,
): Promise<MaxRateSearch<P>> {
  const probes: P[] = [];
  let lo: number | undefined;
  let hi: number | undefined;
  let rate = Math.min(Math.max(Math.round(options.startRate), options.minRate), options.maxRate);
  let end: SearchEnd = 'probe-limit';
  const tries = Math.max(1, options.triesPerRate ?? 1);
  while (probes.length < options.maxProbes) {
    let sustained = false;
    for (let attempt = 0; attempt < tries && !sustained && probes.length < options.maxProbes; attempt++) {
      const probe = await measure(rate);
      probes.push(probe);
      sustained = probe.sustained;
    }
    // Every rate tried lies strictly inside the bracket, so one verdict moves one end of it.
    if (sustained) lo = rate;
    else hi = rate;
    const next = nextRate(rate, lo, hi, options);
    if (typeof next !== 'number') {
      end = next;
      break;
    }
    rate = next;
  }
  return { maxRate: lo ?? null, firstFailing: hi ?? null, probes, end };
}

/**
 * Several searches whose probes take turns (a, b, a, b, ...; one finishing early leaves the other
 * alone): on a shared machine a noisy minute then falls on every server's probes, not on one
 * server's whole search. Probes never overlap, since two at once would share the cores.
 */
export async function searchMaxRatesInTurn<K extends string, P extends RateVerdict>(
  measures: Readonly<Record<K, (rate: number) => Promise<P>>>,
  order: readonly K[],
  options: MaxRateSearchOptions,
): Promise<Record<K, MaxRateSearch<P>>> {
  let queue: Promise<unknown> = Promise.resolve();
  // Each measure waits for the one queued before it: with two searches both waiting, they alternate.
  const inTurn =
    (measure: (rate: number) => Promise<P>) =>
    (rate: number): Promise<P> => {
      const run = queue.then(() => measure(rate));
      queue = run.catch(() => undefined);
      return run;
    };
  const searches = await Promise.all(
    order.map(async (key) => [key, await searchMaxRate(inTurn(measures[key]), options)] as const),
  );
  return Object.fromEntries(searches) as Record<K, MaxRateSearch<P>>;
}

// ------------------------------------------------------------------------------------------------
// One probe: a constant-arrival-rate run of radmfa's load engine against a server on loopback.

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface ProbeSettings {
  readonly seconds: number;
  readonly p99LimitMs: number;
  /** Who logs in: PAP with these accounts, all of whom the server must accept. */
  readonly users: readonly { readonly name: string; readonly password: string }[];
}

export interface RateProbe extends RateVerdict {
  readonly offered: number;
  readonly answered: number;
  readonly accepts: number;
  readonly timeouts: number;
  readonly retransmits: number;
  readonly dropped: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Achieved answers per second over the run (graceful stop included). */
  readonly answeredPerSecond: number;
  /** The load client's own CPU per login, microseconds (process.cpuUsage: it runs in this process). */
  readonly clientCpuMicrosPerLogin: number | null;
}

/** A NAS that never retransmits (FortiGate's profile: 5 s, no retry): a lost reply is a timeout. */
const NAS_PROFILE = 'fortigate';

export async function probeRate(
  target: ProbeTarget,
  rate: number,
  settings: ProbeSettings,
): Promise<RateProbe> {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-max-rate-'));
  try {
    const csv = path.join(dir, 'users.csv');
    writeFileSync(csv, `${settings.users.map((u) => `${u.name},${u.password},pap`).join('\n')}\n`);
    const parsed = parseLoadProfile({
      name: `max-rate-${rate}`,
      scenarios: {
        probe: {
          executor: 'constant-arrival-rate',
          rate,
          timeUnit: '1s',
          duration: `${settings.seconds}s`,
          // Enough VUs for 100 ms of arrivals up front, up to 5 s of them (within the profile's
          // bound of 100,000): a VU shortage must not be what fails a rate (it is counted as
          // dropped all the same).
          preAllocatedVUs: Math.max(16, Math.ceil(rate / 10)),
          maxVUs: Math.min(MAX_VUS, Math.max(64, Math.ceil(rate * 5))),
          gracefulStop: '6s',
        },
      },
      users: { source: 'csv', file: csv },
      mix: [{ weight: 1, method: 'pap' }],
      nas: { profile: NAS_PROFILE, maxSockets: 64 },
    });
    if (!parsed.ok) throw new Error(`max-rate probe profile is invalid:\n${formatIssues(parsed.issues)}`);
    const cpuBefore = process.cpuUsage();
    const result = await executeLoad({
      profile: parsed.value,
      target: { kind: 'external', host: target.host, port: target.port, secret: target.secret },
    });
    const cpu = process.cpuUsage(cpuBefore);
    return verdictOf(rate, result, settings.p99LimitMs, cpu.user + cpu.system);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function verdictOf(
  rate: number,
  result: LoadResult,
  p99LimitMs: number,
  cpuMicros: number,
): RateProbe {
  const values = (name: keyof LoadResult['metrics']): Readonly<Record<string, number>> =>
    result.metrics[name].values;
  const duration = values('radius_access_duration');
  const timeouts = values('radius_timeouts')['passes'] ?? 0;
  // Every login that ended has a duration, timeouts included.
  const ended = duration['count'] ?? 0;
  const answered = ended - timeouts;
  const retransmits = values('radius_retransmits')['count'] ?? 0;
  const dropped = values('dropped_iterations')['count'] ?? 0;
  const accepts = values('radius_accepts')['count'] ?? 0;
  const errors = values('radius_errors')['count'] ?? 0;
  const p99Ms = duration['p(99)'] ?? Number.POSITIVE_INFINITY;
  // Every arrival is counted when it is due, whatever became of it (dropped for want of a VU,
  // refused for want of an Identifier, answered, timed out, interrupted).
  const offered = result.series.reduce((n, row) => n + row.offered, 0);
  return {
    rate,
    sustained:
      answered > 0 &&
      timeouts === 0 &&
      retransmits === 0 &&
      dropped === 0 &&
      errors === 0 &&
      result.interrupted === 0 &&
      accepts === answered &&
      p99Ms < p99LimitMs,
    offered,
    answered,
    accepts,
    timeouts,
    retransmits,
    dropped,
    p50Ms: duration['med'] ?? 0,
    p99Ms,
    answeredPerSecond: Math.round((answered * 1000) / Math.max(result.durationMs, 1)),
    clientCpuMicrosPerLogin: answered > 0 ? Math.round(cpuMicros / answered) : null,
  };
}
