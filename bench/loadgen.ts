// `radmfa load` against radclient, the load tool FreeRADIUS ships, driving the same server in the
// same run: FreeRADIUS 3.2 (users file, PAP) and the null responder (bench/null-responder.ts, the
// cheapest server there is, so the client is what limits the rate).
//
// radclient runs closed-loop at each concurrency level (-p N). `radmfa load` runs as the real CLI in
// a child process (node --import tsx cli/main.ts load PROFILE --target HOST:PORT), open model
// (constant-arrival-rate), and the highest rate it sustains is searched for (bench/max-rate.ts's
// search, starting at radclient's best rate): every login answered by a verified Access-Accept, no
// timeout, no retransmission, no dropped arrival, p99 under the bound. Its CPU per request is what
// its result JSON records for the run itself (`process`: user + system time from the first
// executor's start to the last login's end; start-up, tsx compilation and report writing are not in
// it, as radclient's start-up is subtracted from its runs).
//
// The lean closed loop (bench/udp-load.ts over the NAS's lean path in this process, no scheduler,
// no metrics) is measured too, as the floor of what `radmfa load` could cost; and on the null
// responder the transport floor (the same loop with no RADIUS work).
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
import { readLoadResult } from '../reports/load.ts';
import { OPEN_MODEL_COALESCE_US, type LoadProcessReport } from '../scenarios/load/index.ts';
import { searchMaxRate, verdictOf, type RateVerdict, type SearchEnd } from './max-rate.ts';
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
  loadSeconds: {
    type: 'integer',
    // Long enough that the JIT's first seconds (compiled on other threads, counted in the process's
    // CPU) are a small part of the run, as radclient, a C program, has none.
    default: 8,
    min: 1,
    max: 120,
    description: 'length of each `radmfa load` probe (constant-arrival-rate at one rate)',
  },
  loadProbes: {
    type: 'integer',
    default: 7,
    min: 1,
    max: 30,
    description: '`radmfa load` probes per server in the search for its highest sustained rate',
  },
  p99LimitMs: {
    type: 'integer',
    // The NAS's timeout: by default a rate is sustained when every reply came before the NAS gave up
    // (what radclient's runs are held to); lower it to also bound the queueing a rate causes.
    default: 3_000,
    min: 1,
    max: 60_000,
    description: 'a `radmfa load` rate is sustained only with p99 of radius_access_duration under this',
  },
  udp: {
    type: 'choice',
    // The addon when it is built (the fastest client radmfa has), Node's sockets otherwise; the
    // workload line of the table says which ran and, for a fallback, why.
    default: 'auto',
    choices: ['dgram', 'batch', 'auto'],
    description:
      'radmfa sockets: node:dgram, the sendmmsg/recvmmsg addon (npm run build:native), or the addon when built (default)',
  },
  udpCoalesceUs: {
    type: 'integer',
    // radmfa load's own default for an open-model profile (scenarios/load/target.ts).
    default: OPEN_MODEL_COALESCE_US,
    min: 0,
    max: 100_000,
    description:
      '`radmfa load` on the addon: while replies keep coming, read them every N us instead of on each arrival (bigger batches per wake-up; latency is taken from the kernel receive time); 0 is off. The closed loops read on every arrival',
  },
  quick: {
    type: 'boolean',
    default: false,
    description:
      'short informational run for CI: 4,000 requests, concurrency 32, one round; two 2 s `radmfa load` probes',
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
  readonly loadSeconds: number;
  readonly loadProbes: number;
  readonly p99LimitMs: number;
  /** Default dgram. */
  readonly udp?: UdpMode;
  /** `radmfa load` only; default OPEN_MODEL_COALESCE_US, radmfa load's own default. */
  readonly udpCoalesceUs?: number;
  readonly quick: boolean;
  readonly out: string;
}

/** The closed-loop clients: the lean path in this process, and radclient. */
export type LoadClient = 'leanLoop' | 'radclient';
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

/** One `radmfa load` run at one offered rate, read from its result JSON. */
export interface LoadProbe extends RateVerdict {
  readonly offered: number;
  readonly accepts: number;
  readonly timeouts: number;
  readonly retransmits: number;
  readonly dropped: number;
  readonly p99Ms: number;
  /** Verified answers per second over the run (graceful stop included). */
  readonly answeredPerSecond: number;
  /** The run's own CPU (result JSON `process`) per request sent, microseconds; null without it. */
  readonly cpuMicrosPerRequest: number | null;
  /**
   * The same from the run's first second on (`process.steady`): without the JIT warm-up, a fixed
   * few hundred ms of CPU that dominates a short probe. What the comparison with radclient uses.
   */
  readonly steadyCpuMicrosPerRequest: number | null;
  /** Logins on the lean NAS path and on nas.login. */
  readonly nasPaths: LoadProcessReport['nasPaths'] | null;
  /** Wall time of the child process, start-up and reports included. */
  readonly processWallMs: number;
}

export interface RadmfaLoadResult {
  readonly description: string;
  /** The highest offered rate sustained; null when none was. */
  readonly maxRate: number | null;
  readonly firstFailing: number | null;
  readonly end: SearchEnd;
  readonly probes: readonly LoadProbe[];
  /** The probe at maxRate (its last sustained measurement). */
  readonly atMax: LoadProbe | null;
}

export interface ServerComparison {
  readonly server: LoadgenServer;
  readonly description: string;
  /** `radmfa load` itself: the CLI, open model, rate search. */
  readonly radmfaLoad: RadmfaLoadResult;
  /** The lean path's closed loop in this process (bench/udp-load.ts): not `radmfa load`. */
  readonly leanLoop: ClientResult;
  readonly radclient: ClientResult;
  /** `radmfa load`'s highest sustained rate over radclient's best median rate: above 1, radmfa drives more. */
  readonly rateRatio: number | null;
  /** `radmfa load`'s CPU per request at that rate over radclient's at its best level: below 1, cheaper. */
  readonly cpuRatio: number | null;
  /** The issue's target for `radmfa load`: 1.5x radclient's rate, or its rate with under half its CPU per request. */
  readonly targetMet: boolean;
  /** The same two ratios for the lean closed loop. */
  readonly leanLoopRatios: { readonly rate: number | null; readonly cpu: number | null };
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
  readonly loadSeconds: number;
  readonly loadProbes: number;
}

function parseLevels(text: string): number[] | undefined {
  const levels = text.split(',').map((part) => Number(part.trim()));
  return levels.length > 0 && levels.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)
    ? levels
    : undefined;
}

function settingsOf(params: LoadgenParams): Settings {
  if (params.quick) return { count: 4_000, levels: [32], rounds: 1, loadSeconds: 2, loadProbes: 2 };
  return {
    count: params.count,
    levels: parseLevels(params.concurrency) ?? [32],
    rounds: params.rounds,
    loadSeconds: params.loadSeconds,
    loadProbes: params.loadProbes,
  };
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
  /** The same users as a CSV for `radmfa load`. */
  readonly usersFile: string;
  /** Work directory for probe profiles and results. */
  readonly dir: string;
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

async function leanLoopRun(
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

// ------------------------------------------------------------------------------------------------
// `radmfa load` as a user runs it: the CLI in its own process, a profile file, results.json.

const repoRoot = path.resolve(import.meta.dirname, '..');
const cliMain = path.join(repoRoot, 'cli', 'main.ts');

/** A NAS that never retransmits (NetScaler's profile: 3 s, no retry): a lost reply is a timeout. */
const LOAD_NAS_PROFILE = 'netscaler';

/** The load profile's bound on VUs (scenarios/load/executors.ts); 64 NAS sockets hold 16,384 logins anyway. */
const MAX_PROBE_VUS = 100_000;
/** The highest rate probed: a radclient run too short to measure can report any rate at all. */
const MAX_PROBE_RATE = 100_000;

/** The profile of one probe: the bench's requests (the demo users in turn, PAP), one rate. */
export function loadProbeProfile(rate: number, seconds: number, usersFile: string): string {
  return JSON.stringify({
    name: `loadgen-${rate}`,
    scenarios: {
      probe: {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration: `${seconds}s`,
        // VUs for 100 ms of arrivals up front, up to 3 s of them (the NAS's timeout): a VU shortage
        // must not be what fails a rate.
        preAllocatedVUs: Math.min(MAX_PROBE_VUS, Math.max(16, Math.ceil(rate / 10))),
        maxVUs: Math.min(MAX_PROBE_VUS, Math.max(64, Math.ceil(rate * 3))),
        gracefulStop: '4s',
      },
    },
    users: { source: 'csv', file: usersFile },
    mix: [{ weight: 1, method: 'pap' }],
    nas: { profile: LOAD_NAS_PROFILE, maxSockets: 64 },
  });
}

function runCli(args: readonly string[], maxSeconds: number): Promise<{ wallMs: number; code: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    execFile(
      process.execPath,
      ['--import', 'tsx', cliMain, ...args],
      { cwd: repoRoot, encoding: 'utf8', timeout: maxSeconds * 1000 + 60_000, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        const wallMs = performance.now() - startedAt;
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        // 0: thresholds passed (there are none); 99 would be a failed one. Anything else is a failure to run.
        if (code !== 0 && code !== 99) {
          reject(new Error(`radmfa load exited ${code}: ${stderr.slice(-800)}`));
          return;
        }
        resolve({ wallMs, code });
      },
    );
  });
}

async function radmfaLoadProbe(
  ctx: Context,
  target: BenchTarget,
  rate: number,
  dir: string,
): Promise<LoadProbe> {
  const probeDir = mkdtempSync(path.join(dir, `load-${rate}-`));
  const profileFile = path.join(probeDir, 'profile.json');
  writeFileSync(profileFile, loadProbeProfile(rate, ctx.settings.loadSeconds, ctx.usersFile));
  const out = path.join(probeDir, 'out');
  const { wallMs } = await runCli(
    [
      'load',
      profileFile,
      '--target',
      `${target.endpoint.address}:${target.endpoint.port}`,
      '--secret',
      target.secret,
      '--udp',
      ctx.params.udp ?? 'auto',
      '--udp-coalesce-us',
      String(ctx.params.udpCoalesceUs ?? OPEN_MODEL_COALESCE_US),
      '--out',
      out,
    ],
    ctx.settings.loadSeconds + 10,
  );
  const result = await readLoadResult(path.join(out, 'results.json'));
  const cpu = result.process;
  const cpuMicros = cpu === undefined ? 0 : cpu.cpuUserMicros + cpu.cpuSystemMicros;
  const verdict = verdictOf(rate, result, ctx.params.p99LimitMs, cpuMicros);
  const sent = result.series.reduce((n, row) => n + row.sent, 0);
  return {
    rate,
    sustained: verdict.sustained,
    offered: verdict.offered,
    accepts: verdict.accepts,
    timeouts: verdict.timeouts,
    retransmits: verdict.retransmits,
    dropped: verdict.dropped,
    p99Ms: verdict.p99Ms,
    answeredPerSecond: verdict.answeredPerSecond,
    cpuMicrosPerRequest: cpu === undefined || sent === 0 ? null : roundTo(cpuMicros / sent, 2),
    steadyCpuMicrosPerRequest:
      cpu?.steady === undefined || cpu.steady.sent === 0
        ? null
        : roundTo((cpu.steady.cpuUserMicros + cpu.steady.cpuSystemMicros) / cpu.steady.sent, 2),
    nasPaths: cpu?.nasPaths ?? null,
    processWallMs: round1(wallMs),
  };
}

async function searchRadmfaLoad(
  ctx: Context,
  server: LoadgenServer,
  target: BenchTarget,
  startRate: number,
): Promise<RadmfaLoadResult> {
  const search = await searchMaxRate(
    async (rate) => {
      const probe = await radmfaLoadProbe(ctx, target, rate, ctx.dir);
      ctx.io.progress(
        `${server} radmfa load ${formatNumber(rate)}/s: ${probe.sustained ? 'sustained' : 'not sustained'}, ${formatNumber(probe.answeredPerSecond)}/s answered, timeouts ${probe.timeouts}, dropped ${probe.dropped}, p99 ${probe.p99Ms} ms, ${probe.cpuMicrosPerRequest ?? '?'} us CPU/request (${probe.steadyCpuMicrosPerRequest ?? '?'} after the first second; lean ${probe.nasPaths?.lean ?? '?'}, full ${probe.nasPaths?.full ?? '?'}, refused ${probe.nasPaths?.refused ?? '?'})`,
      );
      return probe;
    },
    {
      startRate,
      minRate: 50,
      maxRate: MAX_PROBE_RATE,
      maxProbes: ctx.settings.loadProbes,
      precision: 0.05,
    },
  );
  const atMax = [...search.probes].reverse().find((p) => p.sustained && p.rate === search.maxRate) ?? null;
  return {
    description: `radmfa load (CLI child process), constant-arrival-rate ${ctx.settings.loadSeconds} s per probe, NAS profile ${LOAD_NAS_PROFILE} (3 s, no retry), PAP over the lean NAS path`,
    maxRate: search.maxRate,
    firstFailing: search.firstFailing,
    end: search.end,
    probes: search.probes,
    atMax,
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
    leanLoop: new Map(),
    radclient: new Map(),
    floor: new Map(),
  };
  const withFloor = server === 'null';
  // Warm-up: each client once at the first level, unrecorded (JIT, FreeRADIUS thread pool).
  const warm = ctx.settings.levels[0] ?? 32;
  await leanLoopRun(ctx, target, warm, 0);
  await radclientRun(ctx, target, warm, 0);
  for (const concurrency of ctx.settings.levels) {
    for (let r = 1; r <= ctx.settings.rounds; r++) {
      const order: (LoadClient | 'floor')[] =
        r % 2 === 1 ? ['leanLoop', 'radclient'] : ['radclient', 'leanLoop'];
      if (withFloor) order.push('floor');
      for (const client of order) {
        const run =
          client === 'leanLoop'
            ? await leanLoopRun(ctx, target, concurrency, r)
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
  const leanLoop = result(
    'leanLoop',
    'lean closed loop (bench/udp-load.ts over nas.lean in the benchmark process, no scheduler or metrics): not radmfa load',
  );
  const radclient = result('radclient', 'radclient (FreeRADIUS 3.2.1) -p N -c C -r 1 -f FILE -s');
  // radmfa load's search starts at radclient's best rate: the first probe says whether it keeps up.
  const radmfaLoad = await searchRadmfaLoad(
    ctx,
    server,
    target,
    Math.max(100, radclient.best.medianRatePerSec),
  );
  const rateRatio = ratio(radmfaLoad.maxRate ?? 0, radclient.best.medianRatePerSec);
  const atMaxCpu =
    radmfaLoad.atMax?.steadyCpuMicrosPerRequest ?? radmfaLoad.atMax?.cpuMicrosPerRequest ?? null;
  const cpuRatio = atMaxCpu === null ? null : ratio(atMaxCpu, radclient.best.medianCpuMicrosPerRequest);
  return {
    server,
    description: target.description,
    radmfaLoad,
    leanLoop,
    radclient,
    rateRatio,
    cpuRatio,
    targetMet: meetsTarget(rateRatio, cpuRatio),
    leanLoopRatios: {
      rate: ratio(leanLoop.best.medianRatePerSec, radclient.best.medianRatePerSec),
      cpu: ratio(leanLoop.best.medianCpuMicrosPerRequest, radclient.best.medianCpuMicrosPerRequest),
    },
    floor: withFloor
      ? result(
          'floor',
          'transport floor: the same closed loop and sockets sending one fixed datagram, no RADIUS work, replies not decoded',
        )
      : null,
  };
}

/** Issue 9: at least 1.5x radclient's rate, or at least its rate with under half its CPU per request. */
export function meetsTarget(rateRatio: number | null, cpuRatio: number | null): boolean {
  return (rateRatio ?? 0) >= 1.5 || ((rateRatio ?? 0) >= 1 && cpuRatio !== null && cpuRatio < 0.5);
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
    ? // The same receive buffer as the null responder's: an open-model client sends a tick's
      // arrivals in one burst, which the kernel's default buffer (208 KiB) drops from at 15,000/s.
      startFreeRadiusTarget(
        demoUsers.map((name) => ({ name, password: DEMO_PASSWORD })),
        params.recvBufferSize,
      )
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
  const coalesceUs = params.udpCoalesceUs ?? OPEN_MODEL_COALESCE_US;
  const udpText = `${udpInUse(params.udp ?? 'auto')}${coalesceUs > 0 ? `, receive coalescing ${coalesceUs} us for radmfa load` : ''}`;
  const servers: LoadgenServer[] = params.servers === 'both' ? ['freeradius', 'null'] : [params.servers];
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-loadgen-'));
  const file = path.join(dir, 'requests.txt');
  writeFileSync(file, `${radclientRequestFile(workloadVariants)}\n`);
  const usersFile = path.join(dir, 'users.csv');
  writeFileSync(usersFile, `${demoUsers.map((name) => `${name},${DEMO_PASSWORD},pap`).join('\n')}\n`);
  const comparisons: ServerComparison[] = [];
  let startup = { wallMs: 0, cpuMicros: 0 };
  try {
    for (const server of servers) {
      io.progress(`starting ${server} ...`);
      const target = await startTarget(server, params);
      try {
        startup = await measureStartup(target, file, params);
        comparisons.push(
          await compareOn({ params, settings, file, usersFile, dir, startup, io }, server, target),
        );
      } finally {
        await target.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    workload: `PAP Access-Request with Message-Authenticator, ${demoUsers.length} demo users in turn, right password, Access-Accept expected; closed loops: ${settings.count} requests per run, levels ${settings.levels.join(',')}, ${settings.rounds} round(s); radmfa load: ${settings.loadSeconds} s probes, up to ${settings.loadProbes} per server; radmfa sockets: ${udpText}`,
    radclientStartup: startup,
    servers: comparisons,
    notes: [
      'Same run, same server, same requests. radclient and the lean closed loop alternate which goes first per round (median per level, best level per client); the `radmfa load` search runs after them on the same server.',
      'Client and server share the two cores (and this machine is shared): rates are ratios from one run, not capacities.',
      "`radmfa load` runs as a user runs it (node --import tsx cli/main.ts load PROFILE --target HOST:PORT --secret S --out DIR), open model: a rate is sustained when every login got a verified Access-Accept with no timeout (NetScaler NAS profile: 3 s, no retry), no retransmission, no arrival dropped, and p99 under the bound. The search starts at radclient's best rate, doubles or halves, then bisects (bench/max-rate.ts).",
      "`radmfa load`'s CPU per request is the `process` field of its result JSON (process.cpuUsage from the first executor's start to the last login's end) over requests sent: its start-up, tsx compilation and reports are left out, as radclient's start-up is subtracted from its runs. The table and the CPU ratio use `process.steady`, the same from the run's first second on: the JIT's warm-up (about 0.4 s of CPU whatever the rate) is left out as the lean loop leaves out its warm-up; the probe lines give both. radclient: bash `times` of the child, minus its start-up (wall time and CPU of a run of one request per user, median of 3). A radclient run shorter than twice that start-up (a busy machine) is marked startupDominated and left out of the medians.",
      'Every reply is verified: `radmfa load` and the lean loop check the Response Authenticator and Message-Authenticator (simulators/nas lean path); radclient checks the Response Authenticator of every reply it counts.',
      'The lean closed loop is bench/udp-load.ts over the same lean NAS path in the benchmark process, with no scheduler, metrics or series: the floor of what `radmfa load` costs per request. CPU: process.cpuUsage over the run, after an unrecorded warm-up.',
      "The transport floor (null responder only) is the same loop and sockets with no RADIUS work: what Node's dgram send and receive cost per request. The lean path cannot go below it.",
      "Target (issue 9): `radmfa load` at least 1.5x radclient's rate, or at least the same rate with under half its CPU per request.",
    ],
  };
}

function closedRow(server: string, client: string, result: ClientResult): string[] {
  const best = result.best;
  return [
    server,
    client,
    `p=${best.concurrency}`,
    formatNumber(best.medianRatePerSec),
    formatNumber(best.medianCpuMicrosPerRequest),
    String(best.runs.reduce((sum, r) => sum + r.lost, 0)),
  ];
}

export function renderLoadgenResults(results: LoadgenResults): string {
  const rows: string[][] = [
    ['server', 'client', 'load', 'verified/s', 'CPU us/req', 'lost', 'rate ratio', 'CPU ratio', 'target'],
  ];
  for (const s of results.servers) {
    const load = s.radmfaLoad;
    const atMax = load.atMax;
    rows.push([
      s.server,
      'radmfa load (open model)',
      load.maxRate === null ? 'none sustained' : `${formatNumber(load.maxRate)}/s offered`,
      atMax === null ? '-' : formatNumber(atMax.answeredPerSecond),
      atMax === null
        ? '-'
        : formatNumber(atMax.steadyCpuMicrosPerRequest ?? atMax.cpuMicrosPerRequest ?? NaN),
      atMax === null ? '-' : String(atMax.timeouts + atMax.dropped),
      formatRatio(s.rateRatio),
      formatRatio(s.cpuRatio),
      s.targetMet ? 'met' : 'missed',
    ]);
    rows.push([
      ...closedRow(s.server, 'lean closed loop (not radmfa load)', s.leanLoop),
      formatRatio(s.leanLoopRatios.rate),
      formatRatio(s.leanLoopRatios.cpu),
      '',
    ]);
    rows.push([...closedRow(s.server, 'radclient', s.radclient), '', '', '']);
    if (s.floor !== null) rows.push([...closedRow(s.server, 'transport floor', s.floor), '', '', '']);
  }
  const probes = results.servers.map(
    (s) =>
      `radmfa load probes on ${s.server} (${s.radmfaLoad.end}): ` +
      s.radmfaLoad.probes
        .map(
          (p) =>
            `${formatNumber(p.rate)}/s ${p.sustained ? 'ok' : 'failed'} (p99 ${p.p99Ms} ms, ${p.cpuMicrosPerRequest ?? '?'} us/req, timeouts ${p.timeouts}, dropped ${p.dropped})`,
        )
        .join('; '),
  );
  return [
    `loadgen: ${results.workload}`,
    formatTable(rows),
    ...probes,
    "rate ratio = over radclient's best verified rate (above 1: drives more); CPU ratio = over radclient's CPU per request (below 1: cheaper).",
    ...results.notes.map((note) => `- ${note}`),
  ].join('\n');
}

export const loadgenBench: BenchDefinition<typeof loadgenParams, LoadgenResults> = {
  name: 'loadgen',
  summary:
    '`radmfa load` vs radclient against the same server (FreeRADIUS 3.2, null responder): highest verified rate and client CPU per request.',
  params: loadgenParams,
  check: checkLoadgenParams,
  run: runLoadgenBench,
  render: renderLoadgenResults,
};

if (isMainModule(import.meta.url)) runAsScript(loadgenBench);
