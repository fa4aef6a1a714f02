// bench:pending's probe: non-MFA logins at a constant arrival rate against a server, each reply's
// round trip recorded, run in a process of its own. In the bench's process the probe shared an event
// loop and a heap with the MFA mock, which holds every waiting login's long-poll: a collection or a
// burst of polls there held replies unread for up to 100 ms and counted in the server's p99.
//
//   RADMFA_NAS_PROBE='{"host":...,"port":...,...}' node --import tsx bench/nas-probe.ts
// (the options in the environment, not the command line, where any user's `ps` would show the
// secret). Prints one JSON line (ProbeResult) on stdout and exits 0; exits 1 with the error on stderr.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PacketCode } from '../protocol/index.ts';
import { SystemClock } from '../runtime/clock.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { executorSchema, planExecutor } from '../scenarios/load/executors.ts';
import { FULL_PLAN } from '../scenarios/load/segments.ts';
import { createNas, type LeanStatus, type Nas } from '../simulators/nas/index.ts';
import { round } from './report.ts';
import { isMainModule } from './script.ts';
import { newLatencyHistogram, summariseLatency, type LatencySummary } from './udp-load.ts';

export interface NasProbeOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly user: string;
  readonly password: string;
  /** NAS-IP-Address of every request (the server's MFA whitelist decides on it). */
  readonly nasIp: string;
  readonly rate: number;
  readonly seconds: number;
  /** Unrecorded seconds at the same rate first: this process's JIT and sockets warm. */
  readonly warmSeconds: number;
}

export interface ProbeResult {
  readonly ratePerSecond: number;
  readonly sent: number;
  /** Arrivals the NAS had no free Identifier for (every one outstanding): not sent. */
  readonly notSent: number;
  readonly accepted: number;
  readonly otherReplies: number;
  readonly timeouts: number;
  readonly latency: LatencySummary;
  /**
   * The longest the probe's own event loop was held while it ran, ms: a reply read late counts in
   * the latency, so a p99 near this figure is the probe's stall, not the server's.
   */
  readonly harnessLoopDelayMaxMs: number;
}

const clock = new SystemClock();
const sleep = (ms: number): Promise<void> => clock.sleep(ms);

function probeNas(options: NasProbeOptions): Nas {
  return createNas({
    transport: new UdpTransport(),
    clock,
    now: () => performance.now(),
    servers: [{ host: options.host, port: options.port, secret: options.secret }],
    policy: { kind: 'fixed', timeoutMs: 5_000, retries: 0 },
    maxSockets: Math.max(1, Math.ceil(Math.max(256, options.rate * 2) / 256)),
    recvBufferSize: 4 * 1024 * 1024,
    sendBufferSize: 4 * 1024 * 1024,
    nasIdentifier: null,
    nasPortType: null,
    trace: false,
  });
}

/** Non-MFA logins on the constant-arrival-rate plan of scenarios/load, each reply's RTT recorded. */
async function probeOn(nas: Nas, options: NasProbeOptions, seconds: number): Promise<ProbeResult> {
  const plan = planExecutor(
    executorSchema.parse({
      executor: 'constant-arrival-rate',
      rate: options.rate,
      timeUnit: 1000,
      duration: seconds * 1000,
      preAllocatedVUs: Math.min(10_000, Math.max(1, options.rate)),
    }),
    FULL_PLAN,
  );
  if (plan.kind !== 'arrivals') throw new Error('constant-arrival-rate planned no arrivals');
  await nas.lean.open(Math.min(12_800, Math.max(256, options.rate * 2)));
  const template = nas.lean.template({
    code: PacketCode.AccessRequest,
    variants: [
      [
        { name: 'User-Name', value: options.user },
        { name: 'User-Password', value: options.password },
        { name: 'NAS-IP-Address', value: options.nasIp },
      ],
    ],
    nasAttributes: false,
  });
  const histogram = newLatencyHistogram();
  const tally = { sent: 0, notSent: 0, accepted: 0, other: 0, timeouts: 0, finished: 0 };
  const onDone = (status: LeanStatus, code: number, rttMs: number): void => {
    tally.finished++;
    if (status === 'timeout') tally.timeouts++;
    if (status !== 'reply') return;
    histogram.recordValue(Math.max(1, Math.round(rttMs * 1000)));
    if (code === PacketCode.AccessAccept) tally.accepted++;
    else tally.other++;
  };
  const arrivals = plan.arrivals();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const startedAt = performance.now();
  let next = arrivals.next();
  // Bounded by the plan's arrivals and its duration plus the requests' timeout.
  const deadline = startedAt + plan.durationMs + 10_000;
  while (performance.now() < deadline) {
    const elapsed = performance.now() - startedAt;
    while (!next.done && next.value.atMs <= elapsed) {
      if (nas.lean.send(template, 0, onDone)) tally.sent++;
      else tally.notSent++;
      next = arrivals.next();
    }
    if (next.done && tally.finished >= tally.sent) break;
    await sleep(next.done ? 20 : Math.max(1, Math.min(20, next.value.atMs - elapsed)));
  }
  loopDelay.disable();
  return {
    ratePerSecond: options.rate,
    sent: tally.sent,
    notSent: tally.notSent,
    accepted: tally.accepted,
    otherReplies: tally.other,
    timeouts: tally.timeouts,
    latency: summariseLatency(histogram),
    harnessLoopDelayMaxMs: round(loopDelay.max / 1e6, 1),
  };
}

/** The probe in this process: warm-up, then the recorded run. */
export async function runNasProbe(options: NasProbeOptions): Promise<ProbeResult> {
  const nas = probeNas(options);
  try {
    if (options.warmSeconds > 0) await probeOn(nas, options, options.warmSeconds);
    return await probeOn(nas, options, options.seconds);
  } finally {
    await nas.close();
  }
}

const self = path.join(import.meta.dirname, 'nas-probe.ts');
const OPTIONS_ENV = 'RADMFA_NAS_PROBE';

/** The probe in a child process of its own; its result read from its stdout. */
export function runNasProbeProcess(options: NasProbeOptions): Promise<ProbeResult> {
  const maxMs = (options.warmSeconds + options.seconds) * 1000 + 60_000;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', self],
      {
        // `--import tsx` resolves from the working directory: the repository's, wherever the bench runs from.
        cwd: path.resolve(import.meta.dirname, '..'),
        encoding: 'utf8',
        timeout: maxMs,
        maxBuffer: 1 << 20,
        env: { ...process.env, [OPTIONS_ENV]: JSON.stringify(options) },
      },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`the NAS probe failed: ${error.message}\n${stderr.slice(-800)}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ProbeResult);
        } catch {
          reject(new Error(`the NAS probe printed no result: ${stdout.slice(-400)}`));
        }
      },
    );
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env[OPTIONS_ENV] ?? '') as NasProbeOptions;
  const result = await runNasProbe(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (isMainModule(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
