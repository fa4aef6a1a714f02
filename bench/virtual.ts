// Simulated logins per second in virtual time: the embedded-virtual stack (reference server, static
// directory, MFA mock in process, accounting in memory, MemoryNetwork, VirtualClock) driven by the
// simulated NAS with traces off, a fixed number of logins outstanding. The figure is logins
// completed per second of wall-clock time: how fast radmfa can rehearse a load whose real duration
// would be minutes (a push approved after 2 s costs no waiting here).
//
//   npx tsx bench/virtual.ts [--logins 20000] [--concurrency 200] [--workload both] [--nas lean] [--quick]
import { performance } from 'node:perf_hooks';
import type { Issue } from '../runtime/validation/index.ts';
import { embeddedDefaultConfig, demoDirectoryFixture } from '../scenarios/embedded/defaults.ts';
import { EMBEDDED_SECRET, startVirtualStack, type EmbeddedStack } from '../scenarios/embedded/stacks.ts';
import { PacketCode } from '../protocol/index.ts';
import {
  createNas,
  type LeanStatus,
  type LoginOutcome,
  type LoginResult,
  type Nas,
} from '../simulators/nas/index.ts';
import { DEMO_PASSWORD, demoUsers } from './pap.ts';
import { formatNumber, formatTable, median, round } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition, type BenchIo } from './script.ts';

export const virtualParams = {
  logins: {
    type: 'integer',
    default: 20_000,
    min: 1,
    max: 10_000_000,
    description: 'logins per repetition',
  },
  concurrency: {
    type: 'integer',
    default: 200,
    min: 1,
    max: 4096,
    description: 'logins outstanding at once (closed loop)',
  },
  repetitions: { type: 'integer', default: 3, min: 1, max: 20, description: 'runs per workload (median)' },
  workload: {
    type: 'choice',
    default: 'both',
    choices: ['both', 'mfa-off', 'push'],
    description: 'mfa-off: PAP against the directory only; push: PAP then an approved push (2 s virtual)',
  },
  nas: {
    type: 'choice',
    default: 'lean',
    choices: ['lean', 'login'],
    description:
      'lean: the NAS load path (nas.lean: prepared requests, every reply verified, no promise per login); login: nas.login, one promise chain per login',
  },
  maxSeconds: {
    type: 'integer',
    default: 120,
    min: 1,
    max: 3600,
    description: 'wall-clock bound of one run',
  },
  quick: {
    type: 'boolean',
    default: false,
    description: 'short informational run for CI: 1,000 logins, one repetition',
  },
  out: outParam,
} as const;

export interface VirtualParams {
  readonly logins: number;
  readonly concurrency: number;
  readonly repetitions: number;
  readonly workload: 'both' | 'mfa-off' | 'push';
  readonly nas: VirtualNasPath;
  readonly maxSeconds: number;
  readonly quick: boolean;
  readonly out: string;
}

export type VirtualWorkload = 'mfa-off' | 'push';
export type VirtualNasPath = 'lean' | 'login';

export interface VirtualRun {
  readonly logins: number;
  readonly outcomes: Readonly<Partial<Record<LoginOutcome, number>>>;
  readonly wallMs: number;
  readonly virtualMs: number;
  readonly loginsPerSec: number;
  readonly cpuMicrosPerLogin: number;
  readonly deadlineHit: boolean;
}

export interface VirtualWorkloadResult {
  readonly workload: VirtualWorkload;
  readonly nas: VirtualNasPath;
  readonly description: string;
  readonly runs: readonly VirtualRun[];
  readonly medianLoginsPerSec: number;
  readonly medianCpuMicrosPerLogin: number;
  /** Issue 9: over 50,000 virtual-time logins per second. */
  readonly targetMet: boolean;
}

export interface VirtualResults {
  readonly workloads: readonly VirtualWorkloadResult[];
  readonly notes: readonly string[];
}

const TARGET_LOGINS_PER_SEC = 50_000;

/** Push users of the demo tenant who approve (after 2 s) and are enabled in the demo directory. */
const pushUsers = ['alice'];

const descriptions: Readonly<Record<VirtualWorkload, string>> = {
  'mfa-off': `PAP, MFA off, ${demoUsers.length} demo directory users in turn`,
  push: `PAP then push MFA approved after 2 s (virtual), users ${pushUsers.join(', ')}`,
};

function serverConfig(workload: VirtualWorkload): Record<string, unknown> {
  const base = embeddedDefaultConfig();
  return workload === 'push' ? base : { ...base, mfa: { enabled: false } };
}

function nasFor(stack: EmbeddedStack): Nas {
  return createNas({
    transport: stack.transport,
    clock: stack.clock,
    servers: [
      {
        host: stack.auth.address,
        port: stack.auth.port,
        accountingPort: stack.acct.port,
        secret: EMBEDDED_SECRET,
      },
    ],
    // Longer than any MFA wait of the workload: a login is one Access-Request, no retransmission.
    policy: { kind: 'fixed', timeoutMs: 60_000, retries: 0 },
    maxSockets: 16,
    trace: false,
  });
}

/** Starts logins, one per call, until `logins` have started; reports each outcome to `record`. */
type LoginDriver = (record: (outcome: LoginOutcome) => void) => () => void;

/** nas.login: one promise chain per login, as a test or a scenario drives the NAS. */
function loginDriver(nas: Nas, users: readonly string[]): LoginDriver {
  return (record) => {
    let started = 0;
    const recordResult = (result: LoginResult): void => record(result.outcome);
    const recordError = (): void => record('error');
    return () => {
      const user = users[started++ % users.length] ?? 'alice';
      nas.login({ method: 'pap', user, password: DEMO_PASSWORD }).then(recordResult, recordError);
    };
  };
}

/** nas.lean: a prepared PAP request per user, one callback for every login, no promise per login. */
async function leanDriver(nas: Nas, users: readonly string[], concurrency: number): Promise<LoginDriver> {
  await nas.lean.open(concurrency);
  const template = nas.lean.template({
    code: PacketCode.AccessRequest,
    variants: users.map((user) => [
      { name: 'User-Name', value: user },
      { name: 'User-Password', value: DEMO_PASSWORD },
    ]),
  });
  return (record) => {
    let started = 0;
    const done = (status: LeanStatus, code: number): void => {
      record(leanOutcome(status, code));
    };
    return () => {
      if (!nas.lean.send(template, started++, done)) record('error');
    };
  };
}

function leanOutcome(status: LeanStatus, code: number): LoginOutcome {
  if (status === 'timeout') return 'timeout';
  if (status !== 'reply') return 'error';
  if (code === PacketCode.AccessAccept) return 'accept';
  return code === PacketCode.AccessReject ? 'reject' : 'error';
}

async function runOnce(
  workload: VirtualWorkload,
  params: VirtualParams,
  logins: number,
): Promise<VirtualRun> {
  const stack = await startVirtualStack({
    serverConfig: serverConfig(workload),
    directoryFixture: demoDirectoryFixture,
  });
  const nas = nasFor(stack);
  const clock = stack.virtualClock;
  if (clock === undefined) throw new Error('the virtual stack has no virtual clock');
  const users = workload === 'push' ? pushUsers : demoUsers;
  const driver =
    params.nas === 'lean' ? await leanDriver(nas, users, params.concurrency) : loginDriver(nas, users);
  const outcomes: Partial<Record<LoginOutcome, number>> = {};
  let started = 0;
  let finished = 0;
  // A closed loop: each finished login starts the next.
  const startOne = driver((outcome) => {
    finished++;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    next();
  });
  function next(): void {
    if (started >= logins) return;
    started++;
    startOne();
  }
  const virtualStart = clock.now();
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = wallStart + params.maxSeconds * 1000;
  for (let i = 0; i < Math.min(params.concurrency, logins); i++) next();
  let deadlineHit = false;
  try {
    // Virtual time runs in slices, so the wall-clock bound is checked between them.
    while (finished < logins) {
      await clock.advance(1_000);
      if (performance.now() > deadline) {
        deadlineHit = true;
        break;
      }
    }
  } finally {
    await nas.close();
    await stack.close();
  }
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  return {
    logins: finished,
    outcomes,
    wallMs: round(wallMs, 1),
    virtualMs: clock.now() - virtualStart,
    loginsPerSec: Math.round((finished / wallMs) * 1000),
    cpuMicrosPerLogin: round((cpu.user + cpu.system) / Math.max(1, finished), 1),
    deadlineHit,
  };
}

export async function runVirtualBench(params: VirtualParams, io: BenchIo): Promise<VirtualResults> {
  const logins = params.quick ? 1_000 : params.logins;
  const repetitions = params.quick ? 1 : params.repetitions;
  const workloads: VirtualWorkload[] = params.workload === 'both' ? ['mfa-off', 'push'] : [params.workload];
  const results: VirtualWorkloadResult[] = [];
  for (const workload of workloads) {
    // Warm-up (JIT, fixture caches), unrecorded: long enough for V8's optimising tier to have
    // compiled the per-login path (500 logins left the first recorded run at twice the steady cost).
    await runOnce(workload, params, Math.min(logins, 5_000));
    const runs: VirtualRun[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      const run = await runOnce(workload, params, logins);
      runs.push(run);
      io.progress(
        `${workload}: ${formatNumber(run.loginsPerSec)} logins/s (${run.logins} in ${run.wallMs} ms wall, ${run.virtualMs} ms virtual), ${run.cpuMicrosPerLogin} us CPU/login, ${JSON.stringify(run.outcomes)}`,
      );
    }
    const medianLoginsPerSec = median(runs.map((r) => r.loginsPerSec));
    results.push({
      workload,
      nas: params.nas,
      description: descriptions[workload],
      runs,
      medianLoginsPerSec,
      medianCpuMicrosPerLogin: median(runs.map((r) => r.cpuMicrosPerLogin)),
      targetMet: medianLoginsPerSec > TARGET_LOGINS_PER_SEC,
    });
  }
  return {
    workloads: results,
    notes: [
      `Logins completed per second of wall-clock time, ${params.concurrency} outstanding, NAS traces off; median of ${repetitions} run(s) after a warm-up.`,
      params.nas === 'lean'
        ? 'NAS: the lean load path (nas.lean): a prepared PAP Access-Request per user, every reply verified (authenticator, Message-Authenticator), no promise per login.'
        : 'NAS: nas.login, one promise chain per login (the path tests and scenarios use).',
      'One process, one core: the server, directory, MFA mock, accounting and NAS all run on the same event loop.',
      `Target (issue 9): over ${formatNumber(TARGET_LOGINS_PER_SEC)} logins per second.`,
    ],
  };
}

export function renderVirtualResults(results: VirtualResults): string {
  const rows: string[][] = [
    ['workload', 'logins/s (median)', 'CPU us/login', 'outcomes (last run)', 'target'],
  ];
  for (const w of results.workloads) {
    rows.push([
      w.workload,
      formatNumber(w.medianLoginsPerSec),
      formatNumber(w.medianCpuMicrosPerLogin),
      JSON.stringify(w.runs[w.runs.length - 1]?.outcomes ?? {}),
      w.targetMet ? 'met' : 'missed',
    ]);
  }
  return [
    'virtual: simulated logins per second in virtual time',
    formatTable(rows),
    ...results.notes.map((n) => `- ${n}`),
  ].join('\n');
}

function checkVirtualParams(params: VirtualParams): Issue[] {
  return params.concurrency > params.logins && !params.quick
    ? [
        {
          path: '--concurrency',
          message: 'more outstanding than logins',
          fix: 'lower --concurrency or raise --logins',
        },
      ]
    : [];
}

export const virtualBench: BenchDefinition<typeof virtualParams, VirtualResults> = {
  name: 'virtual',
  summary: 'Simulated logins per second in virtual time on the embedded-virtual stack.',
  params: virtualParams,
  check: checkVirtualParams,
  run: runVirtualBench,
  render: renderVirtualResults,
};

if (isMainModule(import.meta.url)) runAsScript(virtualBench);
