// The shared body of the over-the-wire benchmarks: start FreeRADIUS and radmfa, check each answers,
// warm both up, then run closed-loop rounds against each in turn (alternating which goes first),
// and report throughput and latency per server with radmfa/FreeRADIUS ratios.
import type { AttributeInput } from '../protocol/index.ts';
import type { FreeRadiusUser } from '../peers/freeradius.ts';
import type { Issue } from '../runtime/validation/index.ts';
import type { IntegerParam, ChoiceParam } from './params.ts';
import { formatNumber, formatRatio, formatTable, median, ratio } from './report.ts';
import type { BenchIo } from './script.ts';
import {
  startBaselineTarget,
  startFreeRadiusTarget,
  startRadmfaTarget,
  type BenchTarget,
  type RadmfaProcessMode,
  type TargetName,
} from './targets.ts';
import {
  newLatencyHistogram,
  runClosedLoop,
  socketsFor,
  summariseLatency,
  type LatencySummary,
  type LoadCounts,
  type LoadResult,
} from './udp-load.ts';

export function networkParams(defaults: { count: number; warmup: number }) {
  return {
    count: {
      type: 'integer',
      default: defaults.count,
      min: 1,
      max: 10_000_000,
      description: 'requests per round per server',
    } satisfies IntegerParam,
    concurrency: {
      type: 'integer',
      default: 32,
      min: 1,
      max: 4096,
      description: 'requests outstanding at any time (closed loop)',
    } satisfies IntegerParam,
    rounds: {
      type: 'integer',
      default: 3,
      min: 1,
      max: 50,
      description: 'rounds per server, alternating servers (median throughput reported)',
    } satisfies IntegerParam,
    warmup: {
      type: 'integer',
      default: defaults.warmup,
      min: 0,
      max: 1_000_000,
      description: 'unrecorded requests per server before the first round (JIT, caches, thread pools)',
    } satisfies IntegerParam,
    maxSeconds: {
      type: 'integer',
      default: 60,
      min: 1,
      max: 3600,
      description: 'time bound of one round against one server',
    } satisfies IntegerParam,
    requestTimeoutMs: {
      type: 'integer',
      default: 2000,
      min: 10,
      max: 60_000,
      description: 'a request unanswered this long counts as a timeout (no retransmission)',
    } satisfies IntegerParam,
    recvBufferSize: {
      type: 'integer',
      default: 4 * 1024 * 1024,
      min: 65_536,
      max: 1 << 30,
      description: 'SO_RCVBUF of the load sockets and of radmfa (capped by net.core.rmem_max)',
    } satisfies IntegerParam,
    radmfaProcess: {
      type: 'choice',
      default: 'child',
      choices: ['child', 'in-process'],
      description: 'run radmfa as a `radmfa serve` child process or inside the benchmark process',
    } satisfies ChoiceParam<RadmfaProcessMode>,
    baseline: {
      type: 'choice',
      default: 'on',
      choices: ['on', 'off'],
      description: 'also measure a null responder, the ceiling this client reaches on this machine',
    } satisfies ChoiceParam<'on' | 'off'>,
  } as const;
}

export interface NetworkParams {
  readonly count: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly maxSeconds: number;
  readonly requestTimeoutMs: number;
  readonly recvBufferSize: number;
  readonly radmfaProcess: RadmfaProcessMode;
  readonly baseline: 'on' | 'off';
}

export function checkNetworkParams(params: NetworkParams): Issue[] {
  const issues: Issue[] = [];
  if (params.concurrency > params.count) {
    issues.push({
      path: '--concurrency',
      message: `${params.concurrency} outstanding is more than the ${params.count} requests of a round`,
      fix: 'lower --concurrency or raise --count',
    });
  }
  if (params.concurrency > 150 && params.recvBufferSize < 1024 * 1024) {
    issues.push({
      path: '--recv-buffer-size',
      message: `${params.recvBufferSize} octets overflows above ~150 outstanding on loopback`,
      fix: 'give at least 1048576 (the default is 4194304)',
    });
  }
  return issues;
}

export interface RoundResult {
  readonly round: number;
  readonly counts: LoadCounts;
  readonly elapsedMs: number;
  readonly answeredPerSec: number;
  readonly deadlineHit: boolean;
  readonly latency: LatencySummary;
}

export interface TargetSummary {
  readonly description: string;
  readonly endpoint: string;
  readonly rounds: readonly RoundResult[];
  readonly medianAnsweredPerSec: number;
  /** Percentiles over every recorded reply of every round (HDR histograms merged). */
  readonly latency: LatencySummary;
  readonly totals: {
    readonly sent: number;
    readonly ok: number;
    readonly notOk: number;
    readonly invalid: number;
    readonly timeouts: number;
    readonly unfinished: number;
  };
}

export interface NetworkResults {
  readonly workload: string;
  readonly loadGenerator: string;
  readonly targets: {
    readonly freeradius: TargetSummary;
    readonly radmfa: TargetSummary;
    readonly baseline?: TargetSummary;
  };
  /** radmfa / FreeRADIUS: throughput above 1 = radmfa faster; latency above 1 = radmfa slower. */
  readonly ratios: {
    readonly throughput: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
    /** Each server's median throughput over the null responder's: near 1 = limited by the client. */
    readonly ofBaseline?: { readonly freeradius: number | null; readonly radmfa: number | null };
  };
  readonly notes: readonly string[];
}

export interface Workload {
  /** In words, for the report. */
  readonly description: string;
  readonly code: number;
  readonly expectedCode: number;
  readonly variants: readonly (readonly AttributeInput[])[];
  /** Users FreeRADIUS must know (its users file). */
  readonly freeRadiusUsers: readonly FreeRadiusUser[];
  readonly notes: readonly string[];
}

function totalsOf(rounds: readonly RoundResult[]): TargetSummary['totals'] {
  const sum = (pick: (c: LoadCounts) => number): number =>
    rounds.reduce((acc, round) => acc + pick(round.counts), 0);
  return {
    sent: sum((c) => c.sent),
    ok: sum((c) => c.ok),
    notOk: sum((c) => Object.values(c.otherCodes).reduce((a, b) => a + b, 0)),
    invalid: sum((c) => c.invalid),
    timeouts: sum((c) => c.timeouts),
    unfinished: sum((c) => c.unfinished),
  };
}

type TargetSet = Partial<Record<TargetName, BenchTarget>> & {
  readonly freeradius: BenchTarget;
  readonly radmfa: BenchTarget;
};

async function startTargets(workload: Workload, params: NetworkParams, io: BenchIo): Promise<TargetSet> {
  const started: BenchTarget[] = [];
  try {
    io.progress('starting FreeRADIUS ...');
    const freeradius = await startFreeRadiusTarget(workload.freeRadiusUsers);
    started.push(freeradius);
    io.progress(`starting radmfa (${params.radmfaProcess}) ...`);
    const radmfa = await startRadmfaTarget({
      mode: params.radmfaProcess,
      recvBufferSize: params.recvBufferSize,
    });
    started.push(radmfa);
    if (params.baseline === 'off') return { freeradius, radmfa };
    io.progress('starting the null responder (baseline) ...');
    const baseline = await startBaselineTarget(params.recvBufferSize);
    return { freeradius, radmfa, baseline };
  } catch (error) {
    await Promise.all(started.map((target) => target.stop()));
    throw error;
  }
}

function loadOptions(target: BenchTarget, workload: Workload, params: NetworkParams) {
  return {
    target: target.endpoint,
    secret: target.secret,
    code: workload.code,
    variants: workload.variants,
    expectedCode: workload.expectedCode,
    recvBufferSize: params.recvBufferSize,
    requestTimeoutMs: params.requestTimeoutMs,
  };
}

/** One request per variant, one at a time: every one must be answered as expected before timing. */
async function probe(target: BenchTarget, workload: Workload, params: NetworkParams) {
  const result = await runClosedLoop({
    ...loadOptions(target, workload, params),
    concurrency: 1,
    count: workload.variants.length,
    maxDurationMs: 10_000 + workload.variants.length * params.requestTimeoutMs,
  });
  if (result.counts.ok !== workload.variants.length) {
    throw new Error(
      `${target.name} did not answer the probe as expected: ${JSON.stringify(result.counts)} (${target.description})`,
    );
  }
}

function roundOf(index: number, result: LoadResult): RoundResult {
  return {
    round: index + 1,
    counts: result.counts,
    elapsedMs: result.elapsedMs,
    answeredPerSec: result.answeredPerSec,
    deadlineHit: result.deadlineHit,
    latency: result.latency,
  };
}

export async function runNetworkBench(
  workload: Workload,
  params: NetworkParams,
  io: BenchIo,
): Promise<NetworkResults> {
  const targets = await startTargets(workload, params, io);
  const measured = (['freeradius', 'radmfa', 'baseline'] as const).flatMap((name) => {
    const target = targets[name];
    return target === undefined
      ? []
      : [
          {
            name,
            target,
            rounds: [] as RoundResult[],
            histogram: newLatencyHistogram(),
          },
        ];
  });
  try {
    for (const { name, target } of measured) {
      await probe(target, workload, params);
      if (params.warmup > 0) {
        io.progress(`${name}: warm-up, ${params.warmup} requests`);
        await runClosedLoop({
          ...loadOptions(target, workload, params),
          concurrency: Math.min(params.concurrency, params.warmup),
          count: params.warmup,
          maxDurationMs: params.maxSeconds * 1000,
        });
      }
    }
    for (let round = 0; round < params.rounds; round++) {
      // Alternate the order, so no server always runs first (or right after the other).
      const order = round % 2 === 0 ? measured : [...measured].reverse();
      for (const entry of order) {
        const result = await runClosedLoop({
          ...loadOptions(entry.target, workload, params),
          concurrency: params.concurrency,
          count: params.count,
          maxDurationMs: params.maxSeconds * 1000,
        });
        entry.histogram.add(result.histogram);
        entry.rounds.push(roundOf(round, result));
        io.progress(
          `${entry.name}: round ${round + 1}/${params.rounds}: ${formatNumber(result.answeredPerSec)}/s, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms`,
        );
      }
    }
  } finally {
    await Promise.all(measured.map((entry) => entry.target.stop()));
  }
  const summaries: Partial<Record<TargetName, TargetSummary>> = {};
  for (const { name, target, rounds, histogram } of measured) {
    summaries[name] = {
      description: target.description,
      endpoint: `${target.endpoint.address}:${target.endpoint.port}`,
      rounds,
      medianAnsweredPerSec: median(rounds.map((r) => r.answeredPerSec)),
      latency: summariseLatency(histogram),
      totals: totalsOf(rounds),
    };
  }
  const { freeradius, radmfa, baseline } = summaries;
  if (freeradius === undefined || radmfa === undefined) throw new Error('a server was not measured');
  return {
    workload: workload.description,
    loadGenerator: `closed loop on the simulated NAS's lean path (request templates, fresh authenticator per request, every reply verified), ${params.concurrency} outstanding on ${socketsFor(params.concurrency)} socket(s), no retransmission`,
    targets: { freeradius, radmfa, ...(baseline !== undefined ? { baseline } : {}) },
    ratios: {
      throughput: ratio(radmfa.medianAnsweredPerSec, freeradius.medianAnsweredPerSec),
      p50: ratio(radmfa.latency.p50Ms, freeradius.latency.p50Ms),
      p95: ratio(radmfa.latency.p95Ms, freeradius.latency.p95Ms),
      p99: ratio(radmfa.latency.p99Ms, freeradius.latency.p99Ms),
      ...(baseline !== undefined
        ? {
            ofBaseline: {
              freeradius: ratio(freeradius.medianAnsweredPerSec, baseline.medianAnsweredPerSec),
              radmfa: ratio(radmfa.medianAnsweredPerSec, baseline.medianAnsweredPerSec),
            },
          }
        : {}),
    },
    notes: [
      'Client and servers share the same cores: figures are ratios from one run, not capacities.',
      'Neither server logs per request (FreeRADIUS auth = no, radmfa --log-level warn).',
      'radmfa signs every reply with Message-Authenticator; FreeRADIUS 3.2.1 does not, so radmfa replies cost the client one more HMAC to verify.',
      ...(baseline !== undefined
        ? [
            'baseline = a Node null responder measured in the same rounds: roughly the most this client drives here (a server in C can pass it a little, as it leaves the client more of the shared cores). A server near or above it is client-bound, and its ratio understates the gap.',
          ]
        : []),
      ...workload.notes,
    ],
  };
}

export function renderNetworkResults(title: string, results: NetworkResults): string {
  const { freeradius: fr, radmfa: rm, baseline } = results.targets;
  const columns = [fr, rm, ...(baseline !== undefined ? [baseline] : [])];
  const row = (label: string, pick: (t: TargetSummary) => string, r: number | null | undefined): string[] => [
    label,
    ...columns.map(pick),
    r === undefined ? '' : formatRatio(r),
  ];
  const rows = [
    ['', 'FreeRADIUS', 'radmfa', ...(baseline !== undefined ? ['baseline'] : []), 'radmfa/FreeRADIUS'],
    row('answered/s (median)', (t) => formatNumber(t.medianAnsweredPerSec), results.ratios.throughput),
    row('p50 ms', (t) => formatNumber(t.latency.p50Ms), results.ratios.p50),
    row('p95 ms', (t) => formatNumber(t.latency.p95Ms), results.ratios.p95),
    row('p99 ms', (t) => formatNumber(t.latency.p99Ms), results.ratios.p99),
    row('ok / sent', (t) => `${t.totals.ok}/${t.totals.sent}`, undefined),
    row('timeouts / unfinished', (t) => `${t.totals.timeouts}/${t.totals.unfinished}`, undefined),
  ];
  const ofBaseline = results.ratios.ofBaseline;
  return [
    title,
    `FreeRADIUS: ${fr.description}`,
    `radmfa:     ${rm.description}`,
    ...(baseline !== undefined ? [`baseline:   ${baseline.description}`] : []),
    `load:       ${results.loadGenerator}`,
    formatTable(rows),
    'Throughput ratio above 1: radmfa faster. Latency ratio above 1: radmfa slower.',
    ...(ofBaseline !== undefined
      ? [
          `Share of the baseline's throughput: FreeRADIUS ${formatRatio(ofBaseline.freeradius)}, radmfa ${formatRatio(ofBaseline.radmfa)}.`,
        ]
      : []),
    ...results.notes.map((note) => `- ${note}`),
  ].join('\n');
}
