// radmfa's load path against radclient, the load tool FreeRADIUS ships, driving the same server in
// the same run: FreeRADIUS 3.2 (users file, PAP) and the null responder (bench/null-responder.ts,
// the cheapest server there is, so the client is what limits the rate). For each client and each
// concurrency level the runs alternate (radmfa first, then radclient first...), every reply is
// verified (radmfa: Response Authenticator and Message-Authenticator, simulators/nas lean path;
// radclient: its own Response Authenticator check), and the client's CPU time is measured
// (process.cpuUsage for radmfa, which runs in this process; bash `times` for the radclient child).
//
//   npx tsx bench/loadgen.ts [--count 20000] [--concurrency 32,128] [--rounds 3] [--quick]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PacketCode, createRequestTemplate, type AttributeInput } from '../protocol/index.ts';
import { attributeLines } from '../peers/radclient.ts';
import { toolPath } from '../peers/tools.ts';
import { createUdpTransport, type UdpMode } from '../runtime/batch-udp.ts';
import type { Issue } from '../runtime/validation/index.ts';
import { DEMO_PASSWORD, demoUsers, papRequest } from './pap.ts';
import { formatNumber, formatRatio, formatTable, median, ratio, round as roundTo } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition, type BenchIo } from './script.ts';
import { startBaselineTarget, startFreeRadiusTarget, type BenchTarget } from './targets.ts';
import { runClosedLoop, runTransportFloor } from './udp-load.ts';

export const loadgenParams = {
  count: {
    type: 'integer',
    default: 20_000,
    min: 8,
    max: 2_000_000,
    description: 'requests per run (radclient: -c count/users over a file of one request per user)',
  },
  concurrency: {
    type: 'string',
    default: '32,128',
    description: 'outstanding requests, comma-separated levels (radclient -p); the best level counts',
  },
  rounds: {
    type: 'integer',
    default: 3,
    min: 1,
    max: 20,
    description: 'runs per client and level, alternating which client goes first (median reported)',
  },
  servers: {
    type: 'choice',
    default: 'both',
    choices: ['both', 'freeradius', 'null'],
    description: 'servers to drive: FreeRADIUS 3.2, the null responder, or both',
  },
  requestTimeoutMs: {
    type: 'integer',
    default: 2_000,
    min: 100,
    max: 60_000,
    description: 'a request unanswered this long is lost (radclient -t, one try each: -r 1)',
  },
  maxSeconds: { type: 'integer', default: 60, min: 1, max: 600, description: 'time bound of one run' },
  recvBufferSize: {
    type: 'integer',
    default: 4 * 1024 * 1024,
    min: 65_536,
    max: 1 << 30,
    description: 'SO_RCVBUF of radmfa load sockets and of the null responder',
  },
  udp: {
    type: 'choice',
    default: 'dgram',
    choices: ['dgram', 'batch', 'auto'],
    description:
      'radmfa sockets: node:dgram, the sendmmsg/recvmmsg addon (npm run build:native), or the addon when built',
  },
  udpCoalesceUs: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 100_000,
    description:
      'addon only: while replies keep coming, read them every N us instead of on each arrival (bigger batches, up to N us added latency); 0 is off',
  },
  quick: {
    type: 'boolean',
    default: false,
    description: 'short informational run for CI: 4,000 requests, concurrency 32, one round',
  },
  out: outParam,
} as const;

export interface LoadgenParams {
  readonly count: number;
  readonly concurrency: string;
  readonly rounds: number;
  readonly servers: 'both' | 'freeradius' | 'null';
  readonly requestTimeoutMs: number;
  readonly maxSeconds: number;
  readonly recvBufferSize: number;
  /** Default dgram. */
  readonly udp?: UdpMode;
  /** Default 0 (off). */
  readonly udpCoalesceUs?: number;
  readonly quick: boolean;
  readonly out: string;
}

export type LoadClient = 'radmfa' | 'radclient';
export type LoadgenServer = 'freeradius' | 'null';

export interface ClientRun {
  readonly round: number;
  readonly sent: number;
  /** Verified replies with the expected code (Access-Accept). */
  readonly accepted: number;
  readonly lost: number;
  readonly wallMs: number;
  /** Accepted per second over the run (radclient: its start-up subtracted, see notes). */
  readonly ratePerSec: number;
  /** Client CPU (user + system) per request sent, microseconds. */
  readonly cpuMicrosPerRequest: number;
  /**
   * radclient only: the run took under twice the start-up's wall time, so subtracting the start-up
   * (measured apart, on a busy machine) says little; such a run is left out of the medians.
   */
  readonly startupDominated?: boolean;
}

export interface LevelResult {
  readonly concurrency: number;
  readonly runs: readonly ClientRun[];
  readonly medianRatePerSec: number;
  readonly medianCpuMicrosPerRequest: number;
}

export interface ClientResult {
  readonly description: string;
  readonly levels: readonly LevelResult[];
  /** The level with the highest median rate. */
  readonly best: LevelResult;
}

export interface ServerComparison {
  readonly server: LoadgenServer;
  readonly description: string;
  readonly radmfa: ClientResult;
  readonly radclient: ClientResult;
  /** radmfa's best median rate over radclient's: above 1, radmfa drives more. */
  readonly rateRatio: number | null;
  /** radmfa's CPU per request over radclient's at their best levels: below 1, radmfa is cheaper. */
  readonly cpuRatio: number | null;
  /** At least 1.5x radclient's rate, or at least its rate with under half its CPU per request. */
  readonly targetMet: boolean;
  /**
   * The transport floor (bench/udp-load.ts runTransportFloor): the same loop and sockets with no
   * RADIUS work, on the null responder only (it answers any datagram; FreeRADIUS would treat the
   * repeated datagram as retransmissions). Null on FreeRADIUS.
   */
  readonly floor: ClientResult | null;
}

export interface LoadgenResults {
  readonly workload: string;
  readonly radclientStartup: { readonly wallMs: number; readonly cpuMicros: number };
  readonly servers: readonly ServerComparison[];
  readonly notes: readonly string[];
}

interface Settings {
  readonly count: number;
  readonly levels: readonly number[];
  readonly rounds: number;
}

function parseLevels(text: string): number[] | undefined {
  const levels = text.split(',').map((part) => Number(part.trim()));
  return levels.length > 0 && levels.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)
    ? levels
    : undefined;
}

function settingsOf(params: LoadgenParams): Settings {
  if (params.quick) return { count: 4_000, levels: [32], rounds: 1 };
  return { count: params.count, levels: parseLevels(params.concurrency) ?? [32], rounds: params.rounds };
}

export function checkLoadgenParams(params: LoadgenParams): Issue[] {
  const issues: Issue[] = [];
  const levels = parseLevels(params.concurrency);
  if (levels === undefined) {
    issues.push({
      path: '--concurrency',
      message: `${JSON.stringify(params.concurrency)} is not a list of whole numbers from 1 to 4096`,
      fix: 'give levels like 32 or 16,64,256',
    });
  } else if (!params.quick && levels.some((level) => level > params.count)) {
    issues.push({
      path: '--concurrency',
      message: `a level is above the ${params.count} requests of a run`,
      fix: 'lower --concurrency or raise --count',
    });
  }
  return issues;
}

const workloadVariants: readonly (readonly AttributeInput[])[] = demoUsers.map(papRequest);

/** radclient's input: one request per user, blank-line separated, each with Message-Authenticator. */
export function radclientRequestFile(variants: readonly (readonly AttributeInput[])[]): string {
  return variants
    .map((attributes) => {
      const record: Record<string, string | number> = {};
      for (const { name, value } of attributes) {
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new Error(`radclient file: ${name} must be text or a number`);
        }
        record[name] = value;
      }
      // radclient computes Message-Authenticator when the request carries one (any value).
      return [...attributeLines(record), 'Message-Authenticator = 0x00'].join('\n');
    })
    .join('\n\n');
}

/** bash's `times`: the second line is the children's user and system time ("0m1.234s 0m0.567s"). */
export function parseChildTimes(text: string): number | undefined {
  const lines = text.trim().split('\n');
  const children = lines[lines.length - 1] ?? '';
  const match = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec(children.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4]);
  return Math.round(seconds * 1e6);
}

export interface RadclientSummary {
  readonly accepted: number;
  readonly rejected: number;
  readonly lost: number;
}

/** radclient -s prints "Accepted : N", "Rejected : N", "Lost : N" in its packet summary. */
export function parseRadclientSummary(text: string): RadclientSummary | undefined {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^\\s*${name}\\s*:\\s*(\\d+)`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const accepted = field('Accepted');
  const rejected = field('Rejected');
  const lost = field('Lost');
  return accepted === undefined || rejected === undefined || lost === undefined
    ? undefined
    : { accepted, rejected, lost };
}

interface RadclientRaw {
  readonly wallMs: number;
  readonly cpuMicros: number;
  readonly summary: RadclientSummary;
}

/** One radclient process, under bash so `times` reports its CPU; stdout is its summary. */
function runRadclient(
  target: BenchTarget,
  file: string,
  perRequestCount: number,
  parallel: number,
  params: LoadgenParams,
): Promise<RadclientRaw> {
  const args = [
    '-c',
    'radclient "$@"; times >&2',
    'radclient-bench',
    '-s',
    '-q',
    '-p',
    String(parallel),
    '-c',
    String(perRequestCount),
    '-r',
    '1',
    '-t',
    String(params.requestTimeoutMs / 1000),
    '-f',
    file,
    `${target.endpoint.address}:${target.endpoint.port}`,
    'auth',
    target.secret,
  ];
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    execFile(
      'bash',
      args,
      {
        encoding: 'utf8',
        timeout: params.maxSeconds * 1000 + 10_000,
        env: { ...process.env, PATH: `${path.dirname(toolPath('radclient'))}:${process.env.PATH ?? ''}` },
      },
      (error, stdout, stderr) => {
        const wallMs = performance.now() - startedAt;
        const summary = parseRadclientSummary(stdout);
        const cpuMicros = parseChildTimes(stderr);
        // radclient exits 1 when anything was lost: the summary says how much, so that is a result.
        if (summary === undefined || cpuMicros === undefined) {
          reject(
            new Error(`radclient gave no summary (${error?.message ?? 'no error'}): ${stderr.slice(-500)}`),
          );
          return;
        }
        resolve({ wallMs, cpuMicros, summary });
      },
    );
  });
}

interface Context {
  readonly params: LoadgenParams;
  readonly settings: Settings;
  readonly file: string;
  readonly startup: { readonly wallMs: number; readonly cpuMicros: number };
  readonly io: BenchIo;
}

async function radclientRun(
  ctx: Context,
  target: BenchTarget,
  parallel: number,
  round: number,
): Promise<ClientRun> {
  const perRequest = Math.max(1, Math.round(ctx.settings.count / workloadVariants.length));
  const raw = await runRadclient(target, ctx.file, perRequest, parallel, ctx.params);
  const sent = perRequest * workloadVariants.length;
  const wallMs = Math.max(1, raw.wallMs - ctx.startup.wallMs);
  return {
    round,
    sent,
    accepted: raw.summary.accepted,
    lost: raw.summary.lost,
    wallMs: round1(wallMs),
    ratePerSec: Math.round((raw.summary.accepted / wallMs) * 1000),
    cpuMicrosPerRequest: roundTo(Math.max(0, raw.cpuMicros - ctx.startup.cpuMicros) / sent, 2),
    ...(raw.wallMs < 2 * ctx.startup.wallMs ? { startupDominated: true } : {}),
  };
}

async function radmfaRun(
  ctx: Context,
  target: BenchTarget,
  concurrency: number,
  round: number,
): Promise<ClientRun> {
  const result = await runClosedLoop({
    target: target.endpoint,
    secret: target.secret,
    code: PacketCode.AccessRequest,
    variants: workloadVariants,
    expectedCode: PacketCode.AccessAccept,
    concurrency,
    count: ctx.settings.count,
    maxDurationMs: ctx.params.maxSeconds * 1000,
    requestTimeoutMs: ctx.params.requestTimeoutMs,
    recvBufferSize: ctx.params.recvBufferSize,
    udp: ctx.params.udp,
    udpCoalesceUs: ctx.params.udpCoalesceUs,
  });
  return {
    round,
    sent: result.counts.sent,
    accepted: result.counts.ok,
    lost: result.counts.timeouts + result.counts.unfinished,
    wallMs: result.elapsedMs,
    ratePerSec: Math.round((result.counts.ok / result.elapsedMs) * 1000),
    cpuMicrosPerRequest: roundTo(result.cpuMicros / Math.max(1, result.counts.sent), 2),
  };
}

async function floorRun(
  ctx: Context,
  target: BenchTarget,
  concurrency: number,
  round: number,
): Promise<ClientRun> {
  const datagram = createRequestTemplate({
    code: PacketCode.AccessRequest,
    secret: target.secret,
    variants: workloadVariants,
  }).instantiate(0, 0);
  const result = await runTransportFloor({
    target: target.endpoint,
    datagram,
    concurrency,
    count: ctx.settings.count,
    maxDurationMs: ctx.params.maxSeconds * 1000,
    recvBufferSize: ctx.params.recvBufferSize,
    udp: ctx.params.udp,
    udpCoalesceUs: ctx.params.udpCoalesceUs,
  });
  return {
    round,
    sent: result.sent,
    accepted: result.received,
    lost: result.sent - result.received,
    wallMs: result.elapsedMs,
    ratePerSec: Math.round((result.received / result.elapsedMs) * 1000),
    cpuMicrosPerRequest: roundTo(result.cpuMicros / Math.max(1, result.sent), 2),
  };
}

function round1(value: number): number {
  return roundTo(value, 1);
}

/** The runs the medians use: all but the start-up-dominated ones, unless that leaves none. */
export function countedRuns(runs: readonly ClientRun[]): readonly ClientRun[] {
  const kept = runs.filter((r) => r.startupDominated !== true);
  return kept.length > 0 ? kept : runs;
}

function level(concurrency: number, runs: ClientRun[]): LevelResult {
  const counted = countedRuns(runs);
  return {
    concurrency,
    runs,
    medianRatePerSec: median(counted.map((r) => r.ratePerSec)),
    medianCpuMicrosPerRequest: median(counted.map((r) => r.cpuMicrosPerRequest)),
  };
}

function bestOf(levels: readonly LevelResult[]): LevelResult {
  const [first, ...rest] = levels;
  if (first === undefined) throw new Error('no concurrency level was measured');
  return rest.reduce((best, l) => (l.medianRatePerSec > best.medianRatePerSec ? l : best), first);
}

async function compareOn(
  ctx: Context,
  server: LoadgenServer,
  target: BenchTarget,
): Promise<ServerComparison> {
  const runs: Record<LoadClient | 'floor', Map<number, ClientRun[]>> = {
    radmfa: new Map(),
    radclient: new Map(),
    floor: new Map(),
  };
  const withFloor = server === 'null';
  // Warm-up: each client once at the first level, unrecorded (JIT, FreeRADIUS thread pool).
  const warm = ctx.settings.levels[0] ?? 32;
  await radmfaRun(ctx, target, warm, 0);
  await radclientRun(ctx, target, warm, 0);
  for (const concurrency of ctx.settings.levels) {
    for (let r = 1; r <= ctx.settings.rounds; r++) {
      const order: (LoadClient | 'floor')[] = r % 2 === 1 ? ['radmfa', 'radclient'] : ['radclient', 'radmfa'];
      if (withFloor) order.push('floor');
      for (const client of order) {
        const run =
          client === 'radmfa'
            ? await radmfaRun(ctx, target, concurrency, r)
            : client === 'radclient'
              ? await radclientRun(ctx, target, concurrency, r)
              : await floorRun(ctx, target, concurrency, r);
        const list = runs[client].get(concurrency) ?? [];
        list.push(run);
        runs[client].set(concurrency, list);
        ctx.io.progress(
          `${server} ${client} p=${concurrency} round ${r}: ${formatNumber(run.ratePerSec)}/s accepted, ${run.cpuMicrosPerRequest} us CPU/request, lost ${run.lost}`,
        );
      }
    }
  }
  const result = (client: LoadClient | 'floor', description: string): ClientResult => {
    const levels = ctx.settings.levels.map((c) => level(c, runs[client].get(c) ?? []));
    return { description, levels, best: bestOf(levels) };
  };
  const radmfa = result(
    'radmfa',
    'radmfa load path: simulated NAS lean path (nas.lean), closed loop, request templates, every reply verified',
  );
  const radclient = result('radclient', 'radclient (FreeRADIUS 3.2.1) -p N -c C -r 1 -f FILE -s');
  const rateRatio = ratio(radmfa.best.medianRatePerSec, radclient.best.medianRatePerSec);
  const cpuRatio = ratio(radmfa.best.medianCpuMicrosPerRequest, radclient.best.medianCpuMicrosPerRequest);
  return {
    server,
    description: target.description,
    radmfa,
    radclient,
    rateRatio,
    cpuRatio,
    targetMet: (rateRatio ?? 0) >= 1.5 || ((rateRatio ?? 0) >= 1 && (cpuRatio ?? Infinity) < 0.5),
    floor: withFloor
      ? result(
          'floor',
          'transport floor: the same closed loop and sockets sending one fixed datagram, no RADIUS work, replies not decoded',
        )
      : null,
  };
}

async function measureStartup(target: BenchTarget, file: string, params: LoadgenParams) {
  // One request per user, three times: radclient's fixed cost (start, dictionaries, file parse).
  const samples: RadclientRaw[] = [];
  for (let i = 0; i < 3; i++) samples.push(await runRadclient(target, file, 1, 1, params));
  return {
    wallMs: round1(median(samples.map((s) => s.wallMs))),
    cpuMicros: median(samples.map((s) => s.cpuMicros)),
  };
}

async function startTarget(server: LoadgenServer, params: LoadgenParams): Promise<BenchTarget> {
  return server === 'freeradius'
    ? startFreeRadiusTarget(demoUsers.map((name) => ({ name, password: DEMO_PASSWORD })))
    : startBaselineTarget(params.recvBufferSize);
}

/** What --udp resolves to here, in words (auto says why it fell back). */
function udpInUse(mode: UdpMode): string {
  const choice = createUdpTransport(mode);
  if (choice.udp === 'batch') return 'batch (sendmmsg/recvmmsg addon)';
  return choice.fallback === undefined ? 'node:dgram' : `node:dgram (--udp auto: ${choice.fallback.detail})`;
}

export async function runLoadgenBench(params: LoadgenParams, io: BenchIo): Promise<LoadgenResults> {
  const settings = settingsOf(params);
  // Before any server starts: --udp batch without the addon fails here, saying how to build it.
  const udpText = `${udpInUse(params.udp ?? 'dgram')}${(params.udpCoalesceUs ?? 0) > 0 ? `, receive coalescing ${params.udpCoalesceUs} us` : ''}`;
  const servers: LoadgenServer[] = params.servers === 'both' ? ['freeradius', 'null'] : [params.servers];
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-loadgen-'));
  const file = path.join(dir, 'requests.txt');
  writeFileSync(file, `${radclientRequestFile(workloadVariants)}\n`);
  const comparisons: ServerComparison[] = [];
  let startup = { wallMs: 0, cpuMicros: 0 };
  try {
    for (const server of servers) {
      io.progress(`starting ${server} ...`);
      const target = await startTarget(server, params);
      try {
        startup = await measureStartup(target, file, params);
        comparisons.push(await compareOn({ params, settings, file, startup, io }, server, target));
      } finally {
        await target.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    workload: `PAP Access-Request with Message-Authenticator, ${demoUsers.length} demo users in turn, right password, Access-Accept expected; ${settings.count} requests per run, levels ${settings.levels.join(',')}, ${settings.rounds} round(s); radmfa sockets: ${udpText}`,
    radclientStartup: startup,
    servers: comparisons,
    notes: [
      'Same run, same server, same requests; clients alternate which goes first per round; median per level, best level per client.',
      'Client and server share the two cores (and this machine is shared): rates are ratios from one run, not capacities.',
      "radclient's start-up (wall time and CPU of a run of one request per user, median of 3) is subtracted from each of its runs; radmfa's loop runs in the benchmark process, whose start-up is not counted either. A radclient run shorter than twice that start-up (a busy machine) is marked startupDominated and left out of the medians.",
      'radmfa verifies every reply (Response Authenticator, Message-Authenticator when present) on its lean NAS path; radclient checks the Response Authenticator of every reply it counts.',
      'CPU per request is user + system time over requests sent. radmfa: process.cpuUsage of the benchmark process over the run, which runs only the client (both servers are child processes), after an unrecorded warm-up run (JIT), GC included. radclient: bash `times` of the radclient child, minus its start-up as above.',
      "The transport floor (null responder only) is the same loop and sockets with no RADIUS work: what Node's dgram send and receive cost per request (JavaScript wrappers, libuv, one sendmsg and one recvmsg). The lean path cannot go below it; the gap between the two is the RADIUS work (request template, PAP hiding, Message-Authenticator, reply verification) and the bookkeeping.",
      "Target (issue 9): radmfa at least 1.5x radclient's rate, or at least the same rate with under half its CPU per request.",
    ],
  };
}

export function renderLoadgenResults(results: LoadgenResults): string {
  const rows: string[][] = [
    ['server', 'client', 'best p', 'accepted/s', 'CPU us/req', 'lost', 'rate ratio', 'CPU ratio', 'target'],
  ];
  for (const s of results.servers) {
    for (const client of ['radmfa', 'radclient'] as const) {
      const best = s[client].best;
      rows.push([
        s.server,
        client,
        String(best.concurrency),
        formatNumber(best.medianRatePerSec),
        formatNumber(best.medianCpuMicrosPerRequest),
        String(best.runs.reduce((sum, r) => sum + r.lost, 0)),
        client === 'radmfa' ? formatRatio(s.rateRatio) : '',
        client === 'radmfa' ? formatRatio(s.cpuRatio) : '',
        client === 'radmfa' ? (s.targetMet ? 'met' : 'missed') : '',
      ]);
    }
    if (s.floor !== null) {
      const best = s.floor.best;
      rows.push([
        s.server,
        'transport floor',
        String(best.concurrency),
        formatNumber(best.medianRatePerSec),
        formatNumber(best.medianCpuMicrosPerRequest),
        String(best.runs.reduce((sum, r) => sum + r.lost, 0)),
        '',
        '',
        '',
      ]);
    }
  }
  return [
    `loadgen: ${results.workload}`,
    formatTable(rows),
    'rate ratio = radmfa/radclient accepted per second (above 1: radmfa drives more); CPU ratio = radmfa/radclient CPU per request (below 1: radmfa cheaper).',
    ...results.notes.map((note) => `- ${note}`),
  ].join('\n');
}

export const loadgenBench: BenchDefinition<typeof loadgenParams, LoadgenResults> = {
  name: 'loadgen',
  summary:
    "radmfa's load path vs radclient against the same server (FreeRADIUS 3.2, null responder): verified rate and client CPU per request.",
  params: loadgenParams,
  check: checkLoadgenParams,
  run: runLoadgenBench,
  render: renderLoadgenResults,
};

if (isMainModule(import.meta.url)) runAsScript(loadgenBench);
