// Soak: `radmfa serve` in a process of its own under a mixed load for a long time, faults switched on
// and off, and what it holds sampled at a fixed interval. The report shows each series and whether it
// grows (bench/soak-growth.ts states the rule); exit 1 when one does.
//
//   npm run bench:soak -- --duration 10m            # a sample a minute
//   npm run bench:soak -- --duration 60s --sample 5s --fault-every 10s
//
// The pieces: the LDAP stub (demo directory) in this process, so its faults (slow past the server's
// timeoutMs, down) can be switched; the MFA mock embedded in the server process (demo tenant), its
// faults switched over its HTTP admin API (PUT /_admin/faults). The load is radmfa's own engine
// (scenarios/load) against the server as an external target: constant-arrival-rate logins of the
// demo users, which cover every phone behaviour (alice approves, carol denies, frank ignores the push
// until the prompt times out, bob types a TOTP code, ivan answers a call, judy approves after 45 s,
// after the NAS gave up), with the rfc5080 NAS profile's retransmissions and accounting
// Start/Interim/Stop after each accept. The server's RSS, heap, event-loop p99, duplicate-cache and
// challenge-store sizes come from its /metrics; its open descriptors from /proc.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadavg } from 'node:os';
import path from 'node:path';
import { SystemClock, type Clock } from '../runtime/clock.ts';
import type { Issue } from '../runtime/validation/index.ts';
import { formatIssues } from '../runtime/validation/index.ts';
import { demoTenantFixture } from '../scenarios/embedded/defaults.ts';
import { executeLoad, parseLoadProfile, type LoadResult } from '../scenarios/load/index.ts';
import { parseDuration, DURATION_FIX } from '../scenarios/load/duration.ts';
import { startLdapStub, type LdapFaultsInput, type LdapStub } from '../simulators/ldap/index.ts';
import {
  DEMO_DIRECTORY,
  SERVE_SECRET,
  makeServeWorkDir,
  startServe,
  type ServeProcess,
} from '../peers/serve-process.ts';
import {
  DEFAULT_TOLERANCES,
  RULE_TEXT,
  SOAK_SERIES,
  SERIES_UNITS,
  judgeGrowth,
  type GrowthVerdict,
  type SoakSeries,
  type Tolerance,
} from './soak-growth.ts';
import { scrapeMetrics, serverSample, type ServerSample } from './server-probe.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const soakParams = {
  duration: { type: 'string', default: '10m', description: 'how long the load runs (30s, 10m, 2h)' },
  sample: {
    type: 'string',
    default: '',
    description: 'time between samples (empty: 1m for runs of 10 minutes or more, else duration/12)',
  },
  rate: { type: 'integer', default: 5, min: 1, max: 2_000, description: 'logins started per second' },
  'fault-every': {
    type: 'string',
    default: '1m',
    description: 'faults switch on and off at this period (0: no faults)',
  },
  'prompt-timeout': {
    type: 'string',
    default: '60s',
    description:
      "how long an unanswered push or call waits (the demo tenant's 60s; shorter lets a short soak reach its steady state)",
  },
  drain: {
    type: 'string',
    default: '75s',
    description:
      'after the load, wait up to this long for the held stores to empty (0: skip; a prompt times out after 60 s)',
  },
  seed: { type: 'integer', default: 1, min: 0, max: 2 ** 31 - 1, description: 'load seed' },
  out: outParam,
} as const;

type Params = {
  readonly duration: string;
  readonly sample: string;
  readonly rate: number;
  readonly 'fault-every': string;
  readonly drain: string;
  readonly 'prompt-timeout': string;
  readonly seed: number;
  readonly out: string;
};

// ------------------------------------------------------------------------------------------ faults

/** The faults a phase switches on; each names where it acts. */
export type SoakFault =
  'mfa-5xx' | 'mfa-slow' | 'mfa-reset-poll' | 'mfa-token-error' | 'mfa-down' | 'ldap-slow' | 'ldap-down';

export const SOAK_FAULTS: readonly SoakFault[] = [
  'mfa-5xx',
  'ldap-slow',
  'mfa-slow',
  'mfa-reset-poll',
  'ldap-down',
  'mfa-token-error',
  'mfa-down',
];

/** The server's timeouts the faults are sized against (set in the soak's serve config). */
const DIRECTORY_TIMEOUT_MS = 2_000;
const MFA_HTTP_TIMEOUT_MS = 3_000;
const CHALLENGE_TTL_MS = 15_000;

function mfaFaultBody(fault: SoakFault, phaseMs: number): Record<string, unknown> | undefined {
  switch (fault) {
    case 'mfa-5xx':
      return { serverError: { status: 503, probability: 0.5 } };
    case 'mfa-slow':
      return { latency: { ms: MFA_HTTP_TIMEOUT_MS + 1_000, endpoints: ['begin'], probability: 0.5 } };
    case 'mfa-reset-poll':
      return { drop: { endpoints: ['poll'], probability: 0.5 } };
    case 'mfa-token-error':
      return { tokenError: {} };
    case 'mfa-down':
      // The listener closes, the admin API with it: the mock comes back by itself.
      return { unreachable: { forMs: Math.max(500, phaseMs - 500) } };
    default:
      return undefined;
  }
}

function ldapFault(fault: SoakFault): LdapFaultsInput | undefined {
  if (fault === 'ldap-slow') return { latencyMs: DIRECTORY_TIMEOUT_MS + 500 };
  if (fault === 'ldap-down') return { down: true };
  return undefined;
}

interface FaultSwitch {
  on(fault: SoakFault, phaseMs: number): Promise<void>;
  off(fault: SoakFault): Promise<void>;
}

function faultSwitch(mfaUrl: string, ldap: LdapStub): FaultSwitch {
  const put = async (body: Record<string, unknown>): Promise<void> => {
    const response = await fetch(`${mfaUrl}/_admin/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`PUT /_admin/faults answered ${response.status}`);
  };
  return {
    async on(fault, phaseMs) {
      const mfa = mfaFaultBody(fault, phaseMs);
      if (mfa !== undefined) await put(mfa);
      const directory = ldapFault(fault);
      if (directory !== undefined) await ldap.setFaults(directory);
    },
    async off(fault) {
      // mfa-down clears itself (forMs); the listener may still be closed for a moment.
      if (fault !== 'mfa-down' && mfaFaultBody(fault, 0) !== undefined) await put({});
      if (ldapFault(fault) !== undefined) await ldap.clearFaults();
    },
  };
}

// ----------------------------------------------------------------------------------------- samples

export interface SoakSample extends ServerSample {
  readonly atMs: number;
  /** The fault active when the sample was taken, or none. */
  readonly fault: SoakFault | 'none';
  readonly phase: 'load' | 'drain';
}

export interface SeriesReport {
  readonly unit: string;
  readonly tolerance: Tolerance;
  readonly verdict: GrowthVerdict;
}

export interface DrainReport {
  readonly waitedMs: number;
  /** Held stores at the end of the drain: each should be 0. */
  readonly held: {
    readonly duplicateEntries: number;
    readonly challengeStates: number;
    readonly mfaPending: number;
  };
  readonly drained: boolean;
}

export interface SoakResult {
  readonly durationMs: number;
  readonly sampleMs: number;
  readonly faultEveryMs: number;
  readonly rate: number;
  readonly promptTimeoutMs: number;
  readonly serverPid: number;
  readonly loadAverage: readonly number[];
  readonly rule: string;
  readonly samples: readonly SoakSample[];
  readonly series: Readonly<Record<SoakSeries, SeriesReport>>;
  readonly growing: readonly SoakSeries[];
  readonly drain?: DrainReport;
  readonly faults: { readonly switchedOn: number; readonly kinds: readonly SoakFault[] };
  readonly load: {
    readonly iterations: number;
    readonly accepts: number;
    readonly rejects: number;
    readonly challenges: number;
    readonly timeouts: number;
    readonly retransmits: number;
    readonly droppedIterations: number;
    readonly interrupted: number;
  };
}

/** The demo users, one line each: every phone behaviour of the demo tenant, PAP and MS-CHAPv2. */
function credentialsCsv(password: string, totpSecret: string): string {
  return [
    'user,password,method,totpSecret',
    `alice,${password},pap`,
    `carol,${password},pap`,
    `bob,${password},pap,${totpSecret}`,
    `alice,${password},mschapv2`,
    `frank,${password},pap`,
    `ivan,${password},pap`,
    `judy,${password},pap`,
    `dave,${password},pap`,
    `alice,wrong-password,pap`,
  ].join('\n');
}

const DEMO_PASSWORD = 'Passw0rd!';
const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

export interface SoakOptions {
  readonly durationMs: number;
  readonly sampleMs: number;
  readonly rate: number;
  readonly faultEveryMs: number;
  readonly drainMs: number;
  readonly promptTimeoutMs: number;
  readonly seed: number;
  readonly progress: (line: string) => void;
  readonly clock?: Clock;
}

/**
 * The demo tenant with its prompt timeout replaced, written next to the server's config (its
 * certificate paths made absolute, since they were relative to the original file).
 */
function tenantVariant(workDir: string, promptTimeoutMs: number): string {
  const source = readFileSync(demoTenantFixture, 'utf8');
  const tenant = parseYaml(source) as {
    tenant?: { certificates?: { file?: string }[] };
    settings?: Record<string, unknown>;
  };
  for (const certificate of tenant.tenant?.certificates ?? [])
    if (certificate.file !== undefined)
      certificate.file = path.resolve(path.dirname(demoTenantFixture), certificate.file);
  tenant.settings = { ...tenant.settings, promptTimeout: promptTimeoutMs };
  const file = path.join(workDir, 'tenant.yaml');
  writeFileSync(file, toYaml(tenant));
  return file;
}

function serveConfig(ldap: LdapStub, workDir: string, tenantFile: string): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [
      { name: 'loopback', address: '127.0.0.1/32', secret: SERVE_SECRET, requireMessageAuthenticator: false },
    ],
    directory: {
      url: ldap.url,
      bindDn: ldap.serviceAccount.dn,
      bindPassword: ldap.serviceAccount.password,
      baseDn: ldap.baseDn,
      timeoutMs: DIRECTORY_TIMEOUT_MS,
    },
    accounting: { path: path.join(workDir, 'accounting.sqlite') },
    mfa: {
      enabled: true,
      embedded: { tenant: tenantFile },
      httpTimeoutMs: MFA_HTTP_TIMEOUT_MS,
      // A code prompt the NAS never answers (a login cut at the end) holds its State this long.
      challengeTtlMs: CHALLENGE_TTL_MS,
    },
    admin: { host: '127.0.0.1', port: 0 },
  };
}

function loadProfile(options: SoakOptions, csvFile: string) {
  const parsed = parseLoadProfile(
    {
      name: 'soak',
      seed: options.seed,
      scenarios: {
        soak: {
          executor: 'constant-arrival-rate',
          rate: options.rate,
          timeUnit: 1000,
          duration: options.durationMs,
          preAllocatedVUs: options.rate * 10,
          // Logins last up to the NAS's 30 s; room for every one of them, never a dropped arrival.
          maxVUs: options.rate * 60,
          // In-flight logins are cut at the end: the drain shows what the server still holds.
          gracefulStop: 0,
        },
      },
      users: { source: 'csv', file: csvFile },
      accounting: { interims: 1, interval: 1000 },
      nas: { profile: 'rfc5080' },
    },
    'soak',
  );
  if (!parsed.ok) throw new Error(`soak profile is invalid:\n${formatIssues(parsed.issues)}`);
  return parsed.value;
}

function loadSummary(result: LoadResult): SoakResult['load'] {
  const v = (name: keyof LoadResult['metrics'], stat: string): number =>
    Number((result.metrics[name].values as Record<string, number>)[stat] ?? 0);
  return {
    iterations: v('iterations', 'count'),
    accepts: v('radius_accepts', 'count'),
    rejects: v('radius_rejects', 'count'),
    challenges: v('radius_challenges', 'count'),
    timeouts: Math.round(v('radius_timeouts', 'rate') * v('iterations', 'count')),
    retransmits: v('radius_retransmits', 'count'),
    droppedIterations: v('dropped_iterations', 'count'),
    interrupted: result.interrupted ?? 0,
  };
}

const sleep = (clock: Clock, ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function analyseSamples(samples: readonly SoakSample[]): {
  series: Record<SoakSeries, SeriesReport>;
  growing: SoakSeries[];
} {
  const load = samples.filter((s) => s.phase === 'load');
  const series = {} as Record<SoakSeries, SeriesReport>;
  const growing: SoakSeries[] = [];
  for (const name of SOAK_SERIES) {
    const tolerance = DEFAULT_TOLERANCES[name];
    const verdict = judgeGrowth(
      load.map((s) => ({ atMs: s.atMs, value: s[name] })),
      { warmupShare: 0.2, tolerance },
    );
    series[name] = { unit: SERIES_UNITS[name], tolerance, verdict };
    if (verdict.kind !== 'flat') growing.push(name);
  }
  return { series, growing };
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const clock = options.clock ?? new SystemClock();
  const ldap = await startLdapStub({ fixturePath: DEMO_DIRECTORY });
  const workDir = makeServeWorkDir();
  let serve: ServeProcess | undefined;
  try {
    const tenantFile = tenantVariant(workDir, options.promptTimeoutMs);
    serve = await startServe({
      workDir,
      config: (dir) => serveConfig(ldap, dir, tenantFile),
      args: ['--log-level', 'warn'],
    });
    const { admin, pid } = serve;
    const mfaUrl = (serve.started as unknown as { mfa?: unknown }).mfa;
    if (admin === undefined || typeof mfaUrl !== 'string')
      throw new Error('radmfa serve started without an admin port or without the embedded MFA mock');
    const csvFile = path.join(serve.workDir, 'soak-users.csv');
    writeFileSync(csvFile, credentialsCsv(DEMO_PASSWORD, DEMO_TOTP_SECRET), { mode: 0o600 });
    const profile = loadProfile(options, csvFile);
    const switcher = faultSwitch(mfaUrl, ldap);

    const samples: SoakSample[] = [];
    const t0 = clock.now();
    let fault: SoakFault | 'none' = 'none';
    let switchedOn = 0;
    const take = async (phase: SoakSample['phase']): Promise<SoakSample> => {
      const sample = {
        atMs: clock.now() - t0,
        fault,
        phase,
        ...serverSample(await scrapeMetrics(admin), pid),
      };
      samples.push(sample);
      options.progress(sampleLine(sample));
      return sample;
    };

    const stop = new AbortController();
    const sampler = (async () => {
      await take('load');
      while (!stop.signal.aborted) {
        await sleep(clock, options.sampleMs, stop.signal);
        if (!stop.signal.aborted) await take('load');
      }
    })();
    const faults = (async () => {
      if (options.faultEveryMs <= 0) return;
      let next = 0;
      while (!stop.signal.aborted) {
        await sleep(clock, options.faultEveryMs, stop.signal);
        if (stop.signal.aborted) break;
        const kind = SOAK_FAULTS[next++ % SOAK_FAULTS.length] ?? 'mfa-5xx';
        await switcher.on(kind, options.faultEveryMs);
        fault = kind;
        switchedOn++;
        options.progress(`  fault on: ${kind}`);
        await sleep(clock, options.faultEveryMs, stop.signal);
        await switcher.off(kind);
        fault = 'none';
        options.progress(`  fault off: ${kind}`);
      }
    })();

    let result: LoadResult;
    try {
      result = await executeLoad({
        profile,
        target: {
          kind: 'external',
          host: serve.auth.address,
          port: serve.auth.port,
          accountingPort: serve.acct.port,
          secret: SERVE_SECRET,
        },
      });
    } finally {
      stop.abort();
      await Promise.all([sampler, faults]);
    }
    // A last load-phase sample so the last third ends where the load did.
    await take('load');
    const drain =
      options.drainMs > 0 ? await drainStores(clock, options.drainMs, () => take('drain')) : undefined;
    const { series, growing } = analyseSamples(samples);
    return {
      durationMs: options.durationMs,
      sampleMs: options.sampleMs,
      faultEveryMs: options.faultEveryMs,
      rate: options.rate,
      promptTimeoutMs: options.promptTimeoutMs,
      serverPid: pid,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      rule: RULE_TEXT,
      samples,
      series,
      growing,
      ...(drain !== undefined ? { drain } : {}),
      faults: { switchedOn, kinds: SOAK_FAULTS },
      load: loadSummary(result),
    };
  } finally {
    await serve?.stop();
    await ldap.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Samples once a second until the held stores are empty or `limitMs` has passed. */
async function drainStores(
  clock: Clock,
  limitMs: number,
  take: () => Promise<SoakSample>,
): Promise<DrainReport> {
  const start = clock.now();
  for (;;) {
    const s = await take();
    const held = {
      duplicateEntries: s.duplicateEntries,
      challengeStates: s.challengeStates,
      mfaPending: s.mfaPending,
    };
    const empty = held.duplicateEntries === 0 && held.challengeStates === 0 && held.mfaPending === 0;
    const waitedMs = clock.now() - start;
    if (empty || waitedMs >= limitMs) return { waitedMs, held, drained: empty };
    await sleep(clock, 1_000);
  }
}

// ------------------------------------------------------------------------------------------ render

const MiB = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

function sampleLine(s: SoakSample): string {
  return `  ${(s.atMs / 1000).toFixed(0).padStart(5)}s ${s.phase.padEnd(5)} rss ${MiB(s.rssBytes)} MiB, heap ${MiB(s.heapUsedBytes)} MiB, loop p99 ${s.eventLoopP99Ms.toFixed(1)} ms, fds ${s.openFds}, dup ${s.duplicateEntries}, states ${s.challengeStates}, mfa ${s.mfaPending}, fault ${s.fault}`;
}

function formatValue(series: SoakSeries, value: number): string {
  if (series === 'rssBytes' || series === 'heapUsedBytes') return `${MiB(value)} MiB`;
  if (series === 'eventLoopP99Ms') return `${value.toFixed(1)} ms`;
  return String(Math.round(value));
}

export function renderSoak(r: SoakResult): string {
  const table = [
    '| t (s) | phase | fault | RSS MiB | heap MiB | loop p99 ms | fds | dup entries | States | MFA pending |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.samples.map(
      (s) =>
        `| ${(s.atMs / 1000).toFixed(0)} | ${s.phase} | ${s.fault} | ${MiB(s.rssBytes)} | ${MiB(s.heapUsedBytes)} | ${s.eventLoopP99Ms.toFixed(1)} | ${s.openFds} | ${s.duplicateEntries} | ${s.challengeStates} | ${s.mfaPending} |`,
    ),
  ];
  const verdicts = [
    '| series | first | last | max | first-third max | last-third max | limit | slope /min | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...SOAK_SERIES.map((name) => {
      const v = r.series[name].verdict;
      if (v.kind === 'too-few-samples')
        return `| ${name} | | | | | | | | too few samples (${v.samples}, need ${v.needed}) |`;
      const f = (x: number): string => formatValue(name, x);
      return `| ${name} | ${f(v.first)} | ${f(v.last)} | ${f(v.max)} | ${f(v.firstThirdMax)} | ${f(v.lastThirdMax)} | ${f(v.limit)} | ${f(v.slopePerMinute)} | ${v.kind} |`;
    }),
  ];
  const l = r.load;
  return [
    `soak: ${r.durationMs / 1000} s (prompt timeout ${r.promptTimeoutMs / 1000} s) at ${r.rate} logins/s, a sample every ${r.sampleMs / 1000} s, faults every ${r.faultEveryMs / 1000} s (${r.faults.switchedOn} switched on), server pid ${r.serverPid}, load average ${r.loadAverage.join(' ')}`,
    `load: ${l.iterations} logins, ${l.accepts} accepts, ${l.rejects} rejects, ${l.challenges} challenges, ${l.retransmits} retransmissions, ${l.timeouts} timed out, ${l.interrupted} cut at the end, ${l.droppedIterations} arrivals dropped`,
    '',
    ...table,
    '',
    `rule: ${r.rule}`,
    ...verdicts,
    '',
    r.drain === undefined
      ? 'drain: skipped'
      : `drain: ${r.drain.drained ? 'empty' : 'NOT EMPTY'} after ${(r.drain.waitedMs / 1000).toFixed(0)} s (duplicate entries ${r.drain.held.duplicateEntries}, States ${r.drain.held.challengeStates}, MFA pending ${r.drain.held.mfaPending})`,
    r.growing.length === 0 ? 'verdict: flat' : `verdict: GROWS (${r.growing.join(', ')})`,
  ].join('\n');
}

// --------------------------------------------------------------------------------------- the bench

function durationIssue(flag: string, text: string, allowZero: boolean, issues: Issue[]): number {
  const ms = parseDuration(text);
  if (ms === undefined || (!allowZero && ms <= 0))
    issues.push({
      path: `--${flag}`,
      message: `"${text}" is not a duration${allowZero ? '' : ' above 0'}`,
      fix: DURATION_FIX,
    });
  return ms ?? 0;
}

/** The options the flags stand for, or the issues with them (every one at once). */
export function soakOptionsOf(params: Params): { options?: Omit<SoakOptions, 'progress'>; issues: Issue[] } {
  const issues: Issue[] = [];
  const durationMs = durationIssue('duration', params.duration, false, issues);
  const sampleMs =
    params.sample === ''
      ? durationMs >= 600_000
        ? 60_000
        : Math.max(1_000, Math.floor(durationMs / 12))
      : durationIssue('sample', params.sample, false, issues);
  const faultEveryMs = durationIssue('fault-every', params['fault-every'], true, issues);
  const drainMs = durationIssue('drain', params.drain, true, issues);
  const promptTimeoutMs = durationIssue('prompt-timeout', params['prompt-timeout'], false, issues);
  if (issues.length === 0 && durationMs / sampleMs < 8)
    issues.push({
      path: '--sample',
      message: `${params.sample || 'the default'} gives ${Math.floor(durationMs / sampleMs)} samples over ${params.duration}; the growth rule needs 8 or more`,
      fix: 'give a shorter --sample or a longer --duration',
    });
  if (issues.length > 0) return { issues };
  return {
    options: {
      durationMs,
      sampleMs,
      rate: params.rate,
      faultEveryMs,
      drainMs,
      promptTimeoutMs,
      seed: params.seed,
    },
    issues,
  };
}

export function soakFailed(r: SoakResult): boolean {
  return r.growing.length > 0 || (r.drain !== undefined && !r.drain.drained);
}

export const soakBench: BenchDefinition<typeof soakParams, SoakResult> = {
  name: 'soak',
  summary:
    'radmfa serve under mixed MFA load with faults switched on and off; RSS, heap, event-loop p99, descriptors, duplicate-cache and challenge-store sizes sampled and judged for growth.',
  params: soakParams,
  check: (params) => soakOptionsOf(params).issues,
  async run(params, io) {
    const { options } = soakOptionsOf(params);
    if (options === undefined) throw new Error('soak flags are invalid');
    return runSoak({ ...options, progress: io.progress });
  },
  failed: soakFailed,
  render: renderSoak,
};

if (isMainModule(import.meta.url)) runAsScript(soakBench);
