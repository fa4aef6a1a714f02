// Overload: a valid client offering about ten times what `radmfa serve` can process, and what the
// server does with it. The server runs in its own process with limits.maxInFlight set and MFA off;
// its directory is the LDAP stub in this process with a fixed latency, so its capacity is known:
// maxInFlight / (search + bind latency). radmfa's load engine offers an open-model constant arrival
// rate (one datagram per login: the netscaler NAS profile does not retransmit, so offered datagrams
// are arrivals). Recorded: offered vs answered rate, drops by reason from /metrics, in-flight and
// RSS (start, peak, end) from /metrics every second. A first phase under capacity shows the
// baseline; the second is the overload.
//
//   npm run bench:overload -- --rate 400 --duration 30s --max-in-flight 8 --ldap-latency 100
import { SystemClock, type Clock } from '../runtime/clock.ts';
import type { Issue } from '../runtime/validation/index.ts';
import { formatIssues } from '../runtime/validation/index.ts';
import { executeLoad, parseLoadProfile, type LoadResult } from '../scenarios/load/index.ts';
import { DURATION_FIX, parseDuration } from '../scenarios/load/duration.ts';
import { startLdapStub, type LdapStub } from '../simulators/ldap/index.ts';
import { DEMO_DIRECTORY, SERVE_SECRET, serveTestConfig, startServe } from '../peers/serve-process.ts';
import { DEFAULT_TOLERANCES, judgeGrowth, type GrowthVerdict } from './soak-growth.ts';
import { metricByLabel, metricValue, scrapeMetrics, type MetricLine } from './server-probe.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const overloadParams = {
  rate: { type: 'integer', default: 400, min: 1, max: 100_000, description: 'logins offered per second' },
  duration: { type: 'string', default: '30s', description: 'length of the overload phase' },
  baseline: {
    type: 'string',
    default: '10s',
    description: 'length of the phase under capacity first (0: none)',
  },
  'max-in-flight': {
    type: 'integer',
    default: 8,
    min: 1,
    max: 100_000,
    description: "the server's limits.maxInFlight",
  },
  'ldap-latency': {
    type: 'integer',
    default: 100,
    min: 0,
    max: 10_000,
    description: 'ms the directory takes per operation (a PAP login is a search and a bind)',
  },
  out: outParam,
} as const;

type Params = {
  readonly rate: number;
  readonly duration: string;
  readonly baseline: string;
  readonly 'max-in-flight': number;
  readonly 'ldap-latency': number;
  readonly out: string;
};

export interface MemoryPoint {
  readonly atMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly inFlight: number;
}

export interface PhaseResult {
  readonly name: 'baseline' | 'overload';
  readonly durationMs: number;
  readonly offeredPerSecond: number;
  /** Logins the load engine started (one datagram each). */
  readonly offered: number;
  /** Access-Requests the server answered (radmfa_access_total), per second over the phase. */
  readonly answered: number;
  readonly answeredPerSecond: number;
  /** Datagrams the server dropped in the phase, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Offered - answered - dropped: received but neither (none once the work in flight finished). */
  readonly unaccounted: number;
  /** The client's view. */
  readonly client: { readonly accepts: number; readonly timeouts: number; readonly p95Ms: number };
  readonly rss: { readonly startBytes: number; readonly peakBytes: number; readonly endBytes: number };
  /** The soak's growth rule (bench/soak-growth.ts) over this phase's RSS samples. */
  readonly rssGrowth: GrowthVerdict['kind'];
  readonly heapPeakBytes: number;
  readonly inFlightPeak: number;
  readonly eventLoopP99PeakMs: number;
  readonly memory: readonly MemoryPoint[];
}

export interface OverloadResult {
  readonly maxInFlight: number;
  readonly ldapLatencyMs: number;
  /** maxInFlight / (2 * ldapLatency): what the server can process at most, per second. */
  readonly capacityPerSecond: number;
  readonly serverPid: number;
  readonly phases: readonly PhaseResult[];
  /** The server's RSS before the first phase and after the last, once idle. */
  readonly rssIdle: { readonly beforeBytes: number; readonly afterBytes: number };
}

const answeredTotal = (lines: readonly MetricLine[]): number =>
  metricValue(lines, 'radmfa_access_total') ?? 0;
const droppedByReason = (lines: readonly MetricLine[]): Record<string, number> =>
  metricByLabel(lines, 'radmfa_packets_dropped_total', 'reason');

function subtract(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

function profileFor(rate: number, durationMs: number) {
  const parsed = parseLoadProfile(
    {
      name: 'overload',
      seed: 1,
      scenarios: {
        offered: {
          executor: 'constant-arrival-rate',
          rate,
          timeUnit: 1000,
          duration: durationMs,
          // Every unanswered login holds a VU for the NAS's 3 s: room for all, no arrival dropped.
          preAllocatedVUs: Math.ceil(rate * 2),
          maxVUs: Math.ceil(rate * 5),
          gracefulStop: 5_000,
        },
      },
      users: { source: 'single', user: 'alice', password: 'Passw0rd!', method: 'pap' },
      nas: { profile: 'netscaler' },
    },
    'overload',
  );
  if (!parsed.ok) throw new Error(`overload profile is invalid:\n${formatIssues(parsed.issues)}`);
  return parsed.value;
}

const metric = (result: LoadResult, name: keyof LoadResult['metrics'], stat: string): number =>
  Number((result.metrics[name].values as Record<string, number>)[stat] ?? 0);

async function runPhase(
  name: PhaseResult['name'],
  rate: number,
  durationMs: number,
  serve: {
    auth: { address: string; port: number };
    acct: { port: number };
    admin: { address: string; port: number };
  },
  clock: Clock,
  progress: (line: string) => void,
): Promise<PhaseResult> {
  const before = await scrapeMetrics(serve.admin);
  const memory: MemoryPoint[] = [];
  let loopPeak = 0;
  const t0 = clock.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const lines = await scrapeMetrics(serve.admin);
      memory.push({
        atMs: clock.now() - t0,
        rssBytes: metricValue(lines, 'radmfa_process_process_resident_memory_bytes') ?? 0,
        heapUsedBytes: metricValue(lines, 'radmfa_process_nodejs_heap_size_used_bytes') ?? 0,
        inFlight: metricValue(lines, 'radmfa_requests_in_flight') ?? 0,
      });
      loopPeak = Math.max(
        loopPeak,
        (metricValue(lines, 'radmfa_process_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000,
      );
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_000));
    }
  })();
  progress(`${name}: offering ${rate} logins/s for ${durationMs / 1000} s`);
  let result: LoadResult;
  try {
    result = await executeLoad({
      profile: profileFor(rate, durationMs),
      target: {
        kind: 'external',
        host: serve.auth.address,
        port: serve.auth.port,
        accountingPort: serve.acct.port,
        secret: SERVE_SECRET,
      },
    });
  } finally {
    sampling = false;
    await sampler;
  }
  const after = await scrapeMetrics(serve.admin);
  const elapsedS = durationMs / 1000;
  const offered = metric(result, 'iterations', 'count') + result.interrupted;
  const answered = answeredTotal(after) - answeredTotal(before);
  const dropped = subtract(droppedByReason(after), droppedByReason(before));
  const droppedSum = Object.values(dropped).reduce((a, b) => a + b, 0);
  const rss = memory.map((m) => m.rssBytes);
  return {
    name,
    durationMs,
    offeredPerSecond: Math.round(offered / elapsedS),
    offered,
    answered,
    answeredPerSecond: Math.round((answered / elapsedS) * 10) / 10,
    dropped,
    unaccounted: offered - answered - droppedSum,
    client: {
      accepts: metric(result, 'radius_accepts', 'count'),
      timeouts: Math.round(metric(result, 'radius_timeouts', 'rate') * metric(result, 'iterations', 'count')),
      p95Ms: Math.round(metric(result, 'radius_access_duration', 'p(95)')),
    },
    rss: { startBytes: rss[0] ?? 0, peakBytes: Math.max(0, ...rss), endBytes: rss.at(-1) ?? 0 },
    rssGrowth: judgeGrowth(
      memory.map((m) => ({ atMs: m.atMs, value: m.rssBytes })),
      { warmupShare: 0.2, tolerance: DEFAULT_TOLERANCES.rssBytes },
    ).kind,
    heapPeakBytes: Math.max(0, ...memory.map((m) => m.heapUsedBytes)),
    inFlightPeak: Math.max(0, ...memory.map((m) => m.inFlight)),
    eventLoopP99PeakMs: Math.round(loopPeak * 10) / 10,
    memory,
  };
}

export interface OverloadOptions {
  readonly rate: number;
  readonly durationMs: number;
  readonly baselineMs: number;
  readonly maxInFlight: number;
  readonly ldapLatencyMs: number;
  readonly progress: (line: string) => void;
}

export async function runOverload(options: OverloadOptions): Promise<OverloadResult> {
  const clock = new SystemClock();
  const ldap: LdapStub = await startLdapStub({
    fixturePath: DEMO_DIRECTORY,
    faults: { latencyMs: options.ldapLatencyMs },
  });
  try {
    const serve = await startServe({
      config: (workDir) =>
        serveTestConfig(workDir, {
          directory: {
            url: ldap.url,
            bindDn: ldap.serviceAccount.dn,
            bindPassword: ldap.serviceAccount.password,
            baseDn: ldap.baseDn,
            timeoutMs: 10_000,
          },
          limits: { maxInFlight: options.maxInFlight },
        }),
      args: ['--log-level', 'warn'],
    });
    try {
      const admin = serve.admin;
      if (admin === undefined) throw new Error('radmfa serve started without an admin port');
      const endpoints = { auth: serve.auth, acct: serve.acct, admin };
      const idleBefore =
        metricValue(await scrapeMetrics(admin), 'radmfa_process_process_resident_memory_bytes') ?? 0;
      const capacity = options.maxInFlight / ((2 * Math.max(1, options.ldapLatencyMs)) / 1000);
      const phases: PhaseResult[] = [];
      if (options.baselineMs > 0)
        phases.push(
          await runPhase(
            'baseline',
            Math.max(1, Math.floor(capacity / 4)),
            options.baselineMs,
            endpoints,
            clock,
            options.progress,
          ),
        );
      phases.push(
        await runPhase('overload', options.rate, options.durationMs, endpoints, clock, options.progress),
      );
      const idleAfter =
        metricValue(await scrapeMetrics(admin), 'radmfa_process_process_resident_memory_bytes') ?? 0;
      return {
        maxInFlight: options.maxInFlight,
        ldapLatencyMs: options.ldapLatencyMs,
        capacityPerSecond: Math.round(capacity * 10) / 10,
        serverPid: serve.pid,
        phases,
        rssIdle: { beforeBytes: idleBefore, afterBytes: idleAfter },
      };
    } finally {
      await serve.stop();
    }
  } finally {
    await ldap.stop();
  }
}

const MiB = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

export function renderOverload(r: OverloadResult): string {
  const rows = r.phases.map((p) => {
    const drops = Object.entries(p.dropped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `| ${p.name} | ${p.offeredPerSecond} | ${p.answeredPerSecond} | ${drops || 'none'} | ${p.unaccounted} | ${p.client.accepts} | ${p.client.timeouts} | ${p.client.p95Ms} | ${p.inFlightPeak} | ${MiB(p.rss.startBytes)} / ${MiB(p.rss.peakBytes)} / ${MiB(p.rss.endBytes)} (${p.rssGrowth}) | ${p.eventLoopP99PeakMs} |`;
  });
  return [
    `overload: server pid ${r.serverPid}, limits.maxInFlight ${r.maxInFlight}, directory ${r.ldapLatencyMs} ms per operation: capacity about ${r.capacityPerSecond} logins/s`,
    '',
    '| phase | offered/s | answered/s | dropped (server) | unaccounted | client accepts | client timeouts | p95 ms | in flight (peak) | RSS MiB start / peak / end | loop p99 peak ms |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rows,
    '',
    `RSS idle: ${MiB(r.rssIdle.beforeBytes)} MiB before, ${MiB(r.rssIdle.afterBytes)} MiB after`,
  ].join('\n');
}

export function overloadOptionsOf(params: Params): {
  options?: Omit<OverloadOptions, 'progress'>;
  issues: Issue[];
} {
  const issues: Issue[] = [];
  const durationMs = parseDuration(params.duration);
  const baselineMs = parseDuration(params.baseline);
  if (durationMs === undefined || durationMs <= 0)
    issues.push({
      path: '--duration',
      message: `"${params.duration}" is not a duration above 0`,
      fix: DURATION_FIX,
    });
  if (baselineMs === undefined)
    issues.push({ path: '--baseline', message: `"${params.baseline}" is not a duration`, fix: DURATION_FIX });
  if (durationMs === undefined || baselineMs === undefined || issues.length > 0) return { issues };
  return {
    options: {
      rate: params.rate,
      durationMs,
      baselineMs,
      maxInFlight: params['max-in-flight'],
      ldapLatencyMs: params['ldap-latency'],
    },
    issues,
  };
}

export const overloadBench: BenchDefinition<typeof overloadParams, OverloadResult> = {
  name: 'overload',
  summary:
    'radmfa serve with limits.maxInFlight offered ~10x its capacity: offered vs answered rate, drops by reason, in flight and RSS.',
  params: overloadParams,
  check: (params) => overloadOptionsOf(params).issues,
  async run(params, io) {
    const { options } = overloadOptionsOf(params);
    if (options === undefined) throw new Error('overload flags are invalid');
    return runOverload({ ...options, progress: io.progress });
  },
  render: renderOverload,
};

if (isMainModule(import.meta.url)) runAsScript(overloadBench);
