// 10,000 logins waiting on MFA at once against `radmfa serve` (a child process, so its memory is
// its own): how much server memory each pending login holds, and whether logins that need no MFA
// still get through quickly meanwhile (no head-of-line blocking behind the waits).
//
// The MFA mock runs in this process, served over loopback HTTP by its direct router; the pending
// logins are frank's (demo tenant: his phone never answers a push), the server's approval timeout
// and limits.maxPendingMfa are raised so they all stay pending for the whole run. The logins that
// need no MFA come from a NAS-IP-Address on the server's IP_WHITELIST (the NPS extension's skip
// list, reference/mfa/cloud-mfa.ts), driven at a steady rate by the scenarios/load
// constant-arrival-rate plan. Both go through the simulated NAS's lean path (simulators/nas/lean.ts):
// RADIUS Identifiers are 8 bits, so the pending logins use a pool of 256-Identifier source sockets.
//
// Memory: VmRSS from /proc/PID/status and the V8 heap in use from the server's /metrics, each the
// minimum over several samples (the heap in use drops at every collection: its minimum over a few
// seconds of poll traffic approaches the live heap), before the pending logins and once they all
// wait; the difference divided by the number pending. Every loop is bounded in count and time.
//
//   npm run bench:pending [-- --pending 10000] [--rate 200] [--probe-seconds 10] [--samples 10]
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PacketCode, type AttributeInput } from '../protocol/index.ts';
import { SystemClock } from '../runtime/clock.ts';
import { createNpsCertificate } from '../runtime/certificates.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { demoTenantFixture } from '../scenarios/embedded/defaults.ts';
import {
  createMfaMock,
  keyCredentialFromPem,
  loadTenantFile,
  serveMfaMock,
  withKeyCredentials,
  type MfaHttpServer,
  type MfaMock,
} from '../simulators/mfa/index.ts';
import { createNas, type LeanStatus, type Nas } from '../simulators/nas/index.ts';
import {
  DEMO_DIRECTORY,
  SERVE_SECRET,
  makeServeWorkDir,
  serveTestConfig,
  startServe,
  type ServeProcess,
} from '../peers/serve-process.ts';
import type { MfaHttpVersion } from '../reference/config/mfa-transport-config.ts';
import type { ChoiceParam, IntegerParam, StringParam } from './params.ts';
import { round } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition, type BenchIo } from './script.ts';
import { runNasProbeProcess, type ProbeResult } from './nas-probe.ts';

export const pendingParams = {
  pending: {
    type: 'integer',
    default: 10_000,
    min: 1,
    max: 15_000,
    description:
      'logins waiting on MFA at once (each holds one long-poll: an HTTP/2 stream, or with --mfa-http http1.1 a connection)',
  } satisfies IntegerParam,
  rate: {
    type: 'integer',
    default: 200,
    min: 1,
    max: 20_000,
    description: 'logins per second that need no MFA, sent while the others wait',
  } satisfies IntegerParam,
  probeSeconds: {
    type: 'integer',
    default: 10,
    min: 1,
    max: 300,
    description: 'seconds of non-MFA logins',
  } satisfies IntegerParam,
  samples: {
    type: 'integer',
    default: 10,
    min: 1,
    max: 120,
    description: 'memory samples (500 ms apart) per measurement; the minimum is kept',
  } satisfies IntegerParam,
  settleSeconds: {
    type: 'integer',
    default: 120,
    min: 5,
    max: 600,
    description: 'longest wait for every pending login to reach the MFA service',
  } satisfies IntegerParam,
  mfaHttp: {
    type: 'choice',
    choices: ['auto', 'h2', 'http1.1'],
    default: 'auto',
    description:
      "the server's mfa.http: auto and h2 multiplex the long-polls over HTTP/2 (h2c to the loopback mock), http1.1 holds a connection per poll",
  } satisfies ChoiceParam<MfaHttpVersion>,
  heapSnapshot: {
    type: 'string',
    default: '',
    description:
      'directory: the server writes a V8 heap snapshot there once every login waits (--heapsnapshot-signal), for profiling',
  } satisfies StringParam,
  out: outParam,
} as const;

interface Params {
  readonly pending: number;
  readonly rate: number;
  readonly probeSeconds: number;
  readonly samples: number;
  readonly settleSeconds: number;
  readonly mfaHttp: MfaHttpVersion;
  readonly heapSnapshot: string;
}

export interface MemorySample {
  /** VmRSS, bytes (minimum over the samples). */
  readonly rssBytes: number;
  /** V8 heap in use, bytes (minimum over the samples). */
  readonly heapUsedBytes: number;
  /** Memory outside the V8 heap that V8 tracks (Buffers), bytes (minimum over the samples). */
  readonly externalBytes: number;
}

export interface PendingResults {
  readonly pendingAsked: number;
  /** The server's mfa.http. */
  readonly mfaHttp: MfaHttpVersion;
  /** Logins waiting on MFA when memory was measured: begun at the mock and not answered. */
  readonly pendingReached: number;
  /** Seconds from the first pending send until every login waited (or the settle bound). */
  readonly settleSeconds: number;
  /** Server CPU seconds (user + system) while the pending logins were sent, and during the probe. */
  readonly serverCpuSeconds: { readonly settle: number; readonly probe: number };
  readonly before: MemorySample;
  readonly during: MemorySample;
  readonly perPendingBytes: { readonly rss: number; readonly heapUsed: number; readonly external: number };
  /** Non-MFA logins while the others wait. */
  readonly probe: ProbeResult;
  /** The same non-MFA logins before any login waited: the machine's figure to compare with. */
  readonly probeAlone: ProbeResult;
  /**
   * How memory was read: the minimum over samples, or samples right after the full collection a
   * heap snapshot starts with (--heap-snapshot; RSS then includes the snapshot's own memory).
   */
  readonly memoryMethod: 'min-over-samples' | 'after-heap-snapshot-gc';
  /** The heap snapshot files (before the pending logins, and while they wait), when --heap-snapshot asked. */
  readonly heapSnapshotFiles?: readonly string[];
  /** Pending logins that ended before the measurement (none expected: the phone never answers). */
  readonly pendingEnded: { readonly replies: number; readonly timeouts: number };
  readonly targets: {
    readonly perPendingUnder10KB: boolean;
    readonly probeP99Under10ms: boolean;
  };
  readonly notes: readonly string[];
}

const clock = new SystemClock();
const PASSWORD = 'Passw0rd!';
/** A NAS-IP-Address on the server's IP_WHITELIST: MFA skipped. */
const WHITELISTED_NAS = '10.99.0.1';
/** A NAS-IP-Address off the list: MFA asked. */
const MFA_NAS = '10.0.0.1';
/** The demo tenant's user whose phone never answers (push, outcome ignore). */
const PENDING_USER = 'frank';
const PROBE_USER = 'alice';
/** Pending logins sent per tick and the tick: paced so the server's socket buffer does not overflow. */
const BURST = 100;
const BURST_EVERY_MS = 25;
/** The most pending logins sent but not yet at the mock before the next burst waits. */
const MAX_AHEAD = 1_000;

const sleep = (ms: number): Promise<void> => clock.sleep(ms);

function loginAttributes(user: string, nasIp: string): AttributeInput[] {
  return [
    { name: 'User-Name', value: user },
    { name: 'User-Password', value: PASSWORD },
    { name: 'NAS-IP-Address', value: nasIp },
  ];
}

/** The demo tenant with a fresh client certificate registered, and that certificate in `dir`. */
async function startMock(dir: string): Promise<{ mock: MfaMock; http: MfaHttpServer; tenantId: string }> {
  const loaded = await loadTenantFile(demoTenantFixture);
  const made = await createNpsCertificate(loaded.id, clock.now(), { keyType: 'ec-p256' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'bench.pem'),
    `${made.certificatePem.trim()}\n${made.privateKeyPem.trim()}\n`,
    {
      mode: 0o600,
    },
  );
  // The demo tenant ends an unanswered push after 60 s and a session after 3 minutes: longer than
  // the run here, so every pending login is still pending when memory is read.
  const patient = {
    ...loaded,
    settings: { ...loaded.settings, promptTimeoutMs: 3_600_000, sessionLifetimeMs: 3_600_000 },
  };
  const tenant = withKeyCredentials(patient, [keyCredentialFromPem(made.certificatePem)]);
  // The call history is what tests read; a bench keeps only a little so the mock's memory stays flat.
  const mock = createMfaMock({ tenant, clock, historyLimit: 1_000 });
  const http = await serveMfaMock(mock, { host: '127.0.0.1', port: 0 });
  return { mock, http, tenantId: tenant.id };
}

async function startServer(
  params: Params,
  mfaUrl: string,
  tenantId: string,
  workDir: string,
): Promise<ServeProcess> {
  // The child inherits this process's environment: node options reach it only this way.
  const nodeOptions = process.env['NODE_OPTIONS'];
  if (params.heapSnapshot !== '') {
    mkdirSync(params.heapSnapshot, { recursive: true });
    process.env['NODE_OPTIONS'] =
      `${nodeOptions ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${path.resolve(params.heapSnapshot)}`.trim();
  }
  try {
    return await startServeFor(params, mfaUrl, tenantId, workDir);
  } finally {
    if (nodeOptions === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = nodeOptions;
  }
}

/** Asks the server for a heap snapshot and waits (bounded) until its file stops growing. */
async function takeHeapSnapshot(serve: ServeProcess, dir: string): Promise<string | undefined> {
  const existing = new Set(readdirSync(dir));
  serve.kill('SIGUSR2');
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 240; i++) {
    await sleep(500);
    const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot') && !existing.has(name));
    if (file === undefined) continue;
    const size = statSync(path.join(dir, file)).size;
    // Two unchanged sizes a second apart: the writer has finished.
    stable = size > 0 && size === last ? stable + 1 : 0;
    if (stable >= 2) return path.join(dir, file);
    last = size;
  }
  return undefined;
}

function startServeFor(
  params: Params,
  mfaUrl: string,
  tenantId: string,
  workDir: string,
): Promise<ServeProcess> {
  return startServe({
    workDir,
    config: serveTestConfig(workDir, {
      directory: { static: { fixture: DEMO_DIRECTORY } },
      mfa: {
        enabled: true,
        serviceUrl: mfaUrl,
        tenantId,
        certificates: { dir: path.join(workDir, 'certs') },
        IP_WHITELIST: ['10.99.0.0/16'],
        // Longer than the run: a pending login must not end while memory is measured.
        approvalTimeoutMs: 600_000,
        // The most the config allows: a starved machine must not turn a slow begin into a reject.
        httpTimeoutMs: 120_000,
        http: params.mfaHttp,
      },
      limits: { maxPendingMfa: params.pending + 1_000 },
    }),
    args: ['--log-level', 'warn'],
  });
}

/** A NAS for one side of the bench: no NAS attributes of its own, no traces, fine RTTs. */
function benchNas(serve: ServeProcess, outstanding: number, timeoutMs: number, retries: number): Nas {
  return createNas({
    transport: new UdpTransport(),
    clock,
    now: () => performance.now(),
    servers: [{ host: serve.auth.address, port: serve.auth.port, secret: SERVE_SECRET }],
    policy: { kind: 'fixed', timeoutMs, retries },
    maxSockets: Math.max(1, Math.ceil(outstanding / 256)),
    recvBufferSize: 4 * 1024 * 1024,
    sendBufferSize: 4 * 1024 * 1024,
    nasIdentifier: null,
    nasPortType: null,
    trace: false,
  });
}

/** Reads one metric's value from Prometheus text (the first sample line of that name). */
function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The server's CPU time so far (user + system), seconds, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

async function sampleOnce(serve: ServeProcess): Promise<MemorySample> {
  const status = readFileSync(`/proc/${serve.pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  const admin = serve.admin;
  let heapUsedBytes = Number.NaN;
  let externalBytes = Number.NaN;
  if (admin !== undefined) {
    const response = await fetch(`http://${admin.address}:${admin.port}/metrics`, {
      // Right after a heap snapshot of a large heap the server can take a while to answer.
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    heapUsedBytes = metricValue(text, 'radmfa_process_nodejs_heap_size_used_bytes');
    externalBytes = metricValue(text, 'radmfa_process_nodejs_external_memory_bytes');
  }
  return { rssBytes: rssKb * 1024, heapUsedBytes, externalBytes };
}

/** The minimum of each figure over `count` samples 500 ms apart. */
async function sampleMemory(serve: ServeProcess, count: number): Promise<MemorySample> {
  let min: MemorySample = { rssBytes: Infinity, heapUsedBytes: Infinity, externalBytes: Infinity };
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(500);
    const s = await sampleOnce(serve);
    min = {
      rssBytes: Math.min(min.rssBytes, s.rssBytes),
      heapUsedBytes: Math.min(min.heapUsedBytes, s.heapUsedBytes),
      externalBytes: Math.min(min.externalBytes, s.externalBytes),
    };
  }
  return min;
}

/** Pending logins: one lean send each, paced, until the mock holds `count` sessions or the bound. */
async function startPending(
  nas: Nas,
  mock: MfaMock,
  count: number,
  settleMs: number,
): Promise<{
  reached: number;
  seconds: number;
  /** Sent by the NAS; the callbacks keep counting in `ended` after this returns. */
  sent: number;
  ended: { replies: number; timeouts: number };
}> {
  await nas.lean.open(count);
  const template = nas.lean.template({
    code: PacketCode.AccessRequest,
    variants: [loginAttributes(PENDING_USER, MFA_NAS)],
    nasAttributes: false,
  });
  const ended = { replies: 0, timeouts: 0 };
  const onDone = (status: LeanStatus): void => {
    if (status === 'reply') ended.replies++;
    else if (status === 'timeout') ended.timeouts++;
  };
  const startedAt = performance.now();
  const deadline = startedAt + settleMs;
  let sent = 0;
  let reached = 0;
  // Bounded: every pass sends a burst or waits one tick, and the deadline ends it.
  while (performance.now() < deadline) {
    reached = mock.service.liveSessions;
    if (reached >= count) break;
    if (sent < count && sent - reached < MAX_AHEAD) {
      for (let i = 0; i < BURST && sent < count; i++) {
        if (!nas.lean.send(template, 0, onDone)) break;
        sent++;
      }
    }
    await sleep(BURST_EVERY_MS);
  }
  return { reached, seconds: round((performance.now() - startedAt) / 1000, 1), sent, ended };
}

export async function runPendingBench(params: Params, io?: BenchIo): Promise<PendingResults> {
  const say = (line: string): void => io?.progress(`pending: ${line}`);
  const workDir = makeServeWorkDir();
  const { mock, http, tenantId } = await startMock(path.join(workDir, 'certs'));
  let serve: ServeProcess | undefined;
  const nases: Nas[] = [];
  try {
    serve = await startServer(params, http.url, tenantId, workDir);
    const running = serve;
    // Each probe warms its own process (and the server's path for non-MFA logins) for 2 s first.
    const probe = (): Promise<ProbeResult> =>
      runNasProbeProcess({
        host: running.auth.address,
        port: running.auth.port,
        secret: SERVE_SECRET,
        user: PROBE_USER,
        password: PASSWORD,
        nasIp: WHITELISTED_NAS,
        rate: params.rate,
        seconds: params.probeSeconds,
        warmSeconds: 2,
      });
    // The same non-MFA load with nothing pending: what the machine gives now, to set the figure
    // measured during the wait against (a shared machine's scheduling, not the server's queue).
    say(`non-MFA logins at ${params.rate}/s for ${params.probeSeconds} s with nothing pending`);
    const probedAlone = await probe();
    // A heap snapshot starts with a full collection: sampled right after it, the heap is the live heap.
    const baseSnapshot =
      params.heapSnapshot === '' ? undefined : await takeHeapSnapshot(serve, params.heapSnapshot);
    if (baseSnapshot !== undefined) say(`heap snapshot before: ${baseSnapshot}`);
    const before = await sampleMemory(serve, params.samples);
    say(
      `baseline RSS ${mb(before.rssBytes)}, heap ${mb(before.heapUsedBytes)}; sending ${params.pending} MFA logins`,
    );

    // Pending logins retransmit rarely (an in-flight duplicate is discarded: the prompt is never
    // sent twice), which repairs a datagram lost on a busy machine without ending the wait.
    const pendingNas = benchNas(serve, params.pending, 60_000, 9);
    nases.push(pendingNas);
    const cpuAtStart = cpuSeconds(serve.pid);
    const settled = await startPending(pendingNas, mock, params.pending, params.settleSeconds * 1000);
    const cpuAtSettle = cpuSeconds(serve.pid);
    say(
      `${settled.reached} pending after ${settled.seconds} s; non-MFA logins at ${params.rate}/s for ${params.probeSeconds} s`,
    );
    const probed = await probe();
    const cpuAtProbeEnd = cpuSeconds(serve.pid);
    const snapshot =
      params.heapSnapshot === '' ? undefined : await takeHeapSnapshot(serve, params.heapSnapshot);
    if (snapshot !== undefined) say(`heap snapshot: ${snapshot}`);
    const during = await sampleMemory(serve, params.samples);
    // Waiting now: begun at the mock and not yet answered on the NAS side (an answered login keeps
    // its mock session until the session's lifetime, so the mock's count alone would overstate).
    const pendingReached = Math.min(
      mock.service.liveSessions,
      settled.sent - settled.ended.replies - settled.ended.timeouts,
    );
    const per = (after: number, base: number): number =>
      pendingReached > 0 ? Math.round((after - base) / pendingReached) : Number.NaN;
    const perPendingBytes = {
      rss: per(during.rssBytes, before.rssBytes),
      heapUsed: per(during.heapUsedBytes, before.heapUsedBytes),
      external: per(during.externalBytes, before.externalBytes),
    };
    return {
      pendingAsked: params.pending,
      mfaHttp: params.mfaHttp,
      pendingReached,
      settleSeconds: settled.seconds,
      serverCpuSeconds: {
        settle: round(cpuAtSettle - cpuAtStart, 2),
        probe: round(cpuAtProbeEnd - cpuAtSettle, 2),
      },
      before,
      during,
      perPendingBytes,
      probe: probed,
      probeAlone: probedAlone,
      memoryMethod: params.heapSnapshot === '' ? 'min-over-samples' : 'after-heap-snapshot-gc',
      pendingEnded: { ...settled.ended },
      ...(params.heapSnapshot === ''
        ? {}
        : { heapSnapshotFiles: [baseSnapshot, snapshot].filter((f): f is string => f !== undefined) }),
      targets: {
        perPendingUnder10KB: perPendingBytes.rss < 10_240 && perPendingBytes.heapUsed < 10_240,
        probeP99Under10ms: probed.latency.p99Ms < 10 && probed.timeouts === 0 && probed.notSent === 0,
      },
      notes: [
        'radmfa serve is a child process (directory.static, MFA over loopback HTTP to the mock in the bench process); its memory is its own. Each non-MFA probe runs in a process of its own (bench/nas-probe.ts), warmed for 2 s first.',
        params.heapSnapshot === ''
          ? 'Memory figures are minima over samples 500 ms apart, not after a forced collection: per-pending heap may be slightly high (--heap-snapshot DIR reads it after a full collection).'
          : 'Memory sampled right after the full collection of a heap snapshot: the heap figure is the live heap; RSS includes the snapshot writer.',
        params.mfaHttp === 'http1.1'
          ? 'Each pending login holds one HTTP/1.1 long-poll to the MFA service (a TCP connection kept alive).'
          : 'Each pending login holds one long-poll to the MFA service as an HTTP/2 stream (h2c with prior knowledge to the loopback mock; at most 1,000 streams per session).',
        'The bench process, the server and other work share the machine cores; see machine.loadavg.',
      ],
    };
  } finally {
    for (const nas of nases) await nas.close();
    if (serve !== undefined) await serve.stop();
    await http.close();
    mock.dispose();
  }
}

const kb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KB` : 'n/a');
const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MB` : 'n/a');

function renderProbe(label: string, p: ProbeResult): string {
  const l = p.latency;
  return `  non-MFA logins at ${p.ratePerSecond}/s ${label}: ${p.accepted}/${p.sent} accepted (${p.notSent} not sent), ${p.timeouts} timeouts, p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (the probe's own event loop held up to ${p.harnessLoopDelayMaxMs} ms)`;
}

export function renderPendingResults(r: PendingResults): string {
  return [
    `pending: ${r.pendingReached} of ${r.pendingAsked} logins waiting on MFA, mfa.http ${r.mfaHttp} (settled in ${r.settleSeconds} s, server CPU ${r.serverCpuSeconds.settle} s; probe: server CPU ${r.serverCpuSeconds.probe} s)`,
    `  server RSS     ${mb(r.before.rssBytes)} -> ${mb(r.during.rssBytes)}: ${kb(r.perPendingBytes.rss)} per pending login`,
    `  server heap    ${mb(r.before.heapUsedBytes)} -> ${mb(r.during.heapUsedBytes)}: ${kb(r.perPendingBytes.heapUsed)} per pending login`,
    `  external       ${mb(r.before.externalBytes)} -> ${mb(r.during.externalBytes)}: ${kb(r.perPendingBytes.external)} per pending login`,
    renderProbe('with nothing pending', r.probeAlone),
    renderProbe(`while ${r.pendingReached} wait`, r.probe),
    `  targets: under 10 KB per pending login ${r.targets.perPendingUnder10KB ? 'met' : 'MISSED'}; p99 under 10 ms ${r.targets.probeP99Under10ms ? 'met' : 'MISSED'}`,
    ...(r.pendingEnded.replies + r.pendingEnded.timeouts > 0
      ? [
          `  pending logins that ended early: ${r.pendingEnded.replies} replies, ${r.pendingEnded.timeouts} timeouts`,
        ]
      : []),
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

export const pendingBench: BenchDefinition<typeof pendingParams, PendingResults> = {
  name: 'pending',
  summary:
    'Logins waiting on MFA at once against radmfa serve: server memory per pending login, and p50/p95/p99 of non-MFA logins meanwhile.',
  params: pendingParams,
  run: (params, io) => runPendingBench(params, io),
  render: renderPendingResults,
};

if (isMainModule(import.meta.url)) runAsScript(pendingBench);
