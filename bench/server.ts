// radmfa vs FreeRADIUS 3.2, driven by the same client (radclient -p N, FreeRADIUS's own load tool)
// in the same run, alternating server by server so a busy machine slows both alike:
//   pap       PAP Access-Request: radmfa `directory.static` (the fixture in memory) vs FreeRADIUS
//             `files` (users file, Cleartext-Password); both answer Access-Accept.
//   status    Status-Server (RFC 5997) on the auth port: the request path without authentication.
//   acct      Accounting-Request Start: radmfa's durable SQLite store (group-committed) vs
//             FreeRADIUS's default accounting section (detail file).
// Each round runs radclient over `count` requests and times it end to end (process start included,
// the same for both); the rate is requests answered per second. A round with lost requests is
// reported as such: a rate with timeouts is not a sustainable rate.
//
//   npm run bench:server [-- --quick] [--count 20000] [--rounds 3] [--parallel 32] [--workers 1]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SystemClock } from '../runtime/clock.ts';
import { startFreeRadius } from '../peers/freeradius.ts';
import { toolPath } from '../peers/tools.ts';
import { DEMO_DIRECTORY, startServe } from '../peers/serve-process.ts';
import type { Endpoint } from '../runtime/transport.ts';
import { median, ratio } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';
import { BENCH_SECRET } from './targets.ts';
import { demoUsers, DEMO_PASSWORD } from './pap.ts';

export const workloadNames = ['pap', 'status', 'acct'] as const;
export type WorkloadName = (typeof workloadNames)[number];

export const serverParams = {
  preset: {
    type: 'choice',
    default: 'full',
    choices: ['full', 'quick'],
    description: 'quick: 2,000 requests, 1 round, pap only (CI, for information); --quick is the same',
  },
  workloads: {
    type: 'string',
    default: 'pap,status,acct',
    description: `comma-separated, of ${workloadNames.join(', ')}`,
  },
  count: { type: 'integer', default: 20_000, min: 100, max: 10_000_000, description: 'requests per round' },
  rounds: { type: 'integer', default: 3, min: 1, max: 50, description: 'alternating rounds per server' },
  parallel: {
    type: 'integer',
    default: 32,
    min: 1,
    max: 255,
    description: 'radclient -p: requests outstanding',
  },
  workers: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 64,
    description: 'radmfa listen.workers (FreeRADIUS keeps its packaged thread pool)',
  },
  out: outParam,
} as const;

type Params = {
  readonly preset: 'full' | 'quick';
  readonly workloads: string;
  readonly count: number;
  readonly rounds: number;
  readonly parallel: number;
  readonly workers: number;
  readonly out: string;
};

export interface RoundResult {
  readonly server: 'radmfa' | 'freeradius';
  readonly round: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly seconds: number;
  /** Answers per second; null when requests were lost (no sustainable rate). */
  readonly rate: number | null;
  /**
   * CPU the server process(es) used in the round, microseconds per answered request (/proc, user +
   * system, workers included). On a machine whose cores are oversubscribed the rate measures the
   * scheduler as much as the server; this does not.
   */
  readonly serverCpuMicrosPerRequest: number | null;
}

export interface WorkloadResult {
  readonly workload: WorkloadName;
  readonly description: string;
  readonly rounds: readonly RoundResult[];
  readonly radmfaMedian: number | null;
  readonly freeradiusMedian: number | null;
  readonly radmfaCpuMicros: number | null;
  readonly freeradiusCpuMicros: number | null;
  /** Median over rounds of radmfa / FreeRADIUS, each pair measured back to back. */
  readonly ratio: number | null;
}

export interface ServerBenchResults {
  readonly command: string;
  readonly parallel: number;
  readonly count: number;
  readonly workers: number;
  readonly workloads: readonly WorkloadResult[];
}

const clock = new SystemClock();

interface Workload {
  readonly command: 'auth' | 'status' | 'acct';
  readonly description: string;
  readonly request: (i: number) => string[];
}

const workloads: Readonly<Record<WorkloadName, Workload>> = {
  pap: {
    command: 'auth',
    description: `PAP Access-Request with Message-Authenticator, ${demoUsers.length} demo users cycled, all accepted: radmfa directory.static vs FreeRADIUS files`,
    request: (i) => [
      `User-Name = "${demoUsers[i % demoUsers.length] ?? 'alice'}"`,
      `User-Password = "${DEMO_PASSWORD}"`,
      'NAS-IP-Address = 127.0.0.1',
      'NAS-Port = 1',
      'Message-Authenticator = 0x00',
    ],
  },
  status: {
    command: 'status',
    description: 'Status-Server with Message-Authenticator on the auth port (RFC 5997)',
    request: () => ['Message-Authenticator = 0x00'],
  },
  acct: {
    command: 'acct',
    description:
      'Accounting-Request Start, a new session each: radmfa SQLite (WAL, synchronous=full, group commit) vs FreeRADIUS detail file',
    request: (i) => [
      `User-Name = "${demoUsers[i % demoUsers.length] ?? 'alice'}"`,
      'Acct-Status-Type = Start',
      `Acct-Session-Id = "bench-${process.pid}-${i}"`,
      'NAS-IP-Address = 127.0.0.1',
      'NAS-Port = 1',
    ],
  },
};

/** Distinct requests in the file; radclient -c repeats the file (the distinct count bounds -p). */
const DISTINCT = 2000;

function requestFile(dir: string, name: WorkloadName, count: number, salt: number): string {
  const distinct = Math.min(DISTINCT, count);
  const blocks: string[] = [];
  for (let i = 0; i < distinct; i++) blocks.push(workloads[name].request(salt * count + i).join('\n'));
  const file = path.join(dir, `${name}-${salt}.txt`);
  writeFileSync(file, `${blocks.join('\n\n')}\n`);
  return file;
}

interface RadclientRun {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly seconds: number;
}

function runRadclientLoad(
  endpoint: Endpoint,
  command: Workload['command'],
  file: string,
  repeat: number,
  parallel: number,
): Promise<RadclientRun> {
  const args = [
    '-q',
    '-s',
    '-t',
    '3',
    '-r',
    '1',
    '-p',
    String(parallel),
    '-c',
    String(repeat),
    '-f',
    file,
    `${endpoint.address}:${endpoint.port}`,
    command,
    BENCH_SECRET,
  ];
  return new Promise((resolve, reject) => {
    const started = clock.now();
    const child = spawn(toolPath('radclient'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', () => {
      const seconds = (clock.now() - started) / 1000;
      const figure = (label: string): number => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`).exec(out)?.[1]);
      // radclient 3.2's summary: Accepted / Rejected / Lost (an Accounting-Response counts as accepted).
      const received = figure('Accepted') + figure('Rejected');
      const lost = figure('Lost');
      if (!Number.isFinite(received)) {
        reject(new Error(`radclient printed no summary:\n${out.slice(0, 2000)}`));
        return;
      }
      resolve({ sent: received + (Number.isFinite(lost) ? lost : 0), received, lost: lost || 0, seconds });
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of a process in seconds, or undefined when /proc cannot say (not Linux, gone). */
function cpuSecondsOf(pid: number): { seconds: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { seconds: ticks / USER_HZ, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds of `pid` and its direct children (the cluster workers). */
function treeCpuSeconds(pid: number): number | undefined {
  const own = cpuSecondsOf(pid);
  if (own === undefined) return undefined;
  let total = own.seconds;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = cpuSecondsOf(Number(entry));
    if (child !== undefined && child.ppid === pid) total += child.seconds;
  }
  return total;
}

interface Target {
  readonly pid: number;
  readonly endpoint: (command: Workload['command']) => Endpoint;
  stop(): Promise<void>;
}

async function startRadmfa(workers: number): Promise<Target> {
  const serve = await startServe({
    config: (workDir) => ({
      listen: { host: '127.0.0.1', authPort: 0, acctPort: 0, workers },
      clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: BENCH_SECRET }],
      directory: { static: { fixture: DEMO_DIRECTORY } },
      accounting: { path: path.join(workDir, 'accounting.sqlite') },
      mfa: { enabled: false },
    }),
    args: ['--log-level', 'warn'],
  });
  return {
    pid: serve.pid,
    endpoint: (command) => (command === 'acct' ? serve.acct : serve.auth),
    stop: async () => {
      await serve.stop();
    },
  };
}

async function startFreeradius(): Promise<Target> {
  const instance = await startFreeRadius({
    users: demoUsers.map((name) => ({ name, password: DEMO_PASSWORD })),
    secret: BENCH_SECRET,
    ipv6: false,
    rejectDelaySeconds: 0,
  });
  return {
    pid: instance.pid,
    endpoint: (command) => ({
      address: instance.host,
      port: command === 'acct' ? instance.acctPort : instance.authPort,
    }),
    stop: () => instance.stop(),
  };
}

function selectedWorkloads(params: Params): WorkloadName[] {
  if (params.preset === 'quick') return ['pap'];
  return params.workloads
    .split(',')
    .map((name) => name.trim())
    .filter((name): name is WorkloadName => (workloadNames as readonly string[]).includes(name));
}

async function runServerBench(
  params: Params,
  io: { progress(line: string): void },
): Promise<ServerBenchResults> {
  const quick = params.preset === 'quick';
  const count = quick ? Math.min(params.count, 2000) : params.count;
  const rounds = quick ? 1 : params.rounds;
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-server-'));
  const radmfa = await startRadmfa(params.workers);
  const freeradius = await startFreeradius().catch(async (error: unknown) => {
    await radmfa.stop();
    throw error;
  });
  const results: WorkloadResult[] = [];
  try {
    for (const name of selectedWorkloads(params)) {
      const workload = workloads[name];
      const roundResults: RoundResult[] = [];
      // Warm both (JIT, connection set-up) on a tenth of a round, not counted.
      for (const target of [radmfa, freeradius]) {
        const warm = requestFile(dir, name, Math.max(100, Math.floor(count / 10)), 999);
        await runRadclientLoad(target.endpoint(workload.command), workload.command, warm, 1, params.parallel);
      }
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so neither always runs on the cooler machine.
        const order =
          round % 2 === 0 ? (['freeradius', 'radmfa'] as const) : (['radmfa', 'freeradius'] as const);
        for (const server of order) {
          const target = server === 'radmfa' ? radmfa : freeradius;
          const file = requestFile(dir, name, count, round * 2 + (server === 'radmfa' ? 1 : 0));
          const distinct = Math.min(DISTINCT, count);
          const cpuBefore = treeCpuSeconds(target.pid);
          const run = await runRadclientLoad(
            target.endpoint(workload.command),
            workload.command,
            file,
            Math.max(1, Math.round(count / distinct)),
            params.parallel,
          );
          const cpuAfter = treeCpuSeconds(target.pid);
          const rate = run.lost === 0 ? Math.round(run.received / run.seconds) : null;
          const serverCpuMicrosPerRequest =
            cpuBefore !== undefined && cpuAfter !== undefined && run.received > 0
              ? Math.round(((cpuAfter - cpuBefore) * 1e6) / run.received)
              : null;
          roundResults.push({ server, round, ...run, rate, serverCpuMicrosPerRequest });
          io.progress(
            `${name} round ${round + 1}/${rounds} ${server}: ${run.received} answered, ${run.lost} lost, ${rate ?? '-'}/s, server CPU ${serverCpuMicrosPerRequest ?? '-'} us/request`,
          );
        }
      }
      const rates = (server: RoundResult['server']): number[] =>
        roundResults.filter((r) => r.server === server && r.rate !== null).map((r) => r.rate ?? 0);
      const pairRatios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const of = (server: RoundResult['server']): number | null | undefined =>
          roundResults.find((r) => r.round === round && r.server === server)?.rate;
        const value = ratio(of('radmfa') ?? Number.NaN, of('freeradius') ?? Number.NaN);
        if (value !== null) pairRatios.push(value);
      }
      const cpu = (server: RoundResult['server']): number | null => {
        const values = roundResults
          .filter((r) => r.server === server && r.serverCpuMicrosPerRequest !== null)
          .map((r) => r.serverCpuMicrosPerRequest ?? 0);
        return values.length > 0 ? median(values) : null;
      };
      const radmfaRates = rates('radmfa');
      const freeradiusRates = rates('freeradius');
      results.push({
        workload: name,
        description: workload.description,
        rounds: roundResults,
        radmfaMedian: radmfaRates.length > 0 ? median(radmfaRates) : null,
        freeradiusMedian: freeradiusRates.length > 0 ? median(freeradiusRates) : null,
        radmfaCpuMicros: cpu('radmfa'),
        freeradiusCpuMicros: cpu('freeradius'),
        ratio: pairRatios.length > 0 ? median(pairRatios) : null,
      });
    }
  } finally {
    await Promise.allSettled([radmfa.stop(), freeradius.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    command: `radclient -q -s -t 3 -r 1 -p ${params.parallel} -c N -f FILE`,
    parallel: params.parallel,
    count,
    workers: params.workers,
    workloads: results,
  };
}

export function renderServerResults(results: ServerBenchResults): string {
  const lines = [
    `server: radmfa (workers ${results.workers}) vs FreeRADIUS, ${results.command}, ${results.count} requests a round`,
    '',
    'workload  radmfa/s  freeradius/s  ratio (median of pairs)  server CPU us/request radmfa / freeradius',
  ];
  for (const w of results.workloads) {
    lines.push(
      `${w.workload.padEnd(8)}  ${String(w.radmfaMedian ?? 'lost').padStart(8)}  ${String(w.freeradiusMedian ?? 'lost').padStart(12)}  ${(w.ratio === null ? '-' : `${w.ratio}x`).padEnd(23)}  ${w.radmfaCpuMicros ?? '-'} / ${w.freeradiusCpuMicros ?? '-'}`,
    );
  }
  return lines.join('\n');
}

export const serverBench: BenchDefinition<typeof serverParams, ServerBenchResults> = {
  name: 'server',
  summary:
    'radmfa vs FreeRADIUS 3.2 with radclient -p N, alternating: PAP (directory.static vs files), Status-Server, accounting.',
  params: serverParams,
  run: (params, io) => runServerBench(params, io),
  render: renderServerResults,
};

if (isMainModule(import.meta.url)) {
  // `--quick` is the preset's short form (npm run bench:server -- --quick).
  const at = process.argv.indexOf('--quick');
  if (at >= 0) process.argv.splice(at, 1, '--preset', 'quick');
  runAsScript(serverBench);
}
