// One `radmfa validate-nas` run below the command line: start the probe servers, tell the operator
// what to do, observe until the duration ends, the signal fires or the steps are done, then analyse
// and build the result and the pcap. Clock and Transport are injected: the command runs on UDP in
// real time, the vendor-profile tests on a MemoryNetwork in virtual time.
import { spawn } from 'node:child_process';
import { PacketCode } from '../../protocol/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Transport } from '../../runtime/transport.ts';
import { createNas, type Nas, type NasServerInput } from '../../simulators/nas/index.ts';
import { analyse, summarise, type PromptRecord } from './analysis.ts';
import type { CapturedDatagram } from './capture.ts';
import { portResolver, viewPacket, type PacketView } from './packets.ts';
import { pcapFile } from './pcap.ts';
import { PROBE_DOMAIN, PROBE_USERS } from './probe.ts';
import { toolVersion } from '../result.ts';
import { RESULT_SCHEMA_VERSION, type NasValidationResult } from './result.ts';
import { startProbeServers, type ProbeServers, type ProbeServerSettings } from './servers.ts';
import {
  describeStep,
  durationMs,
  fillPlaceholders,
  type LoginStep,
  type Placeholders,
  type RunStep,
  type StepsFile,
} from './steps.ts';

export interface SessionOptions {
  readonly settings: ProbeServerSettings;
  readonly clock: Clock;
  readonly transport: Transport;
  /** Stop after this long (ms); without it, the steps' end or the signal stops the run. */
  readonly durationMs?: number;
  readonly steps?: StepsFile;
  readonly signal?: AbortSignal;
  /** Instructions and live notes for the operator (one line each, no newline). */
  readonly say?: (line: string) => void;
  /** Called once the servers listen (tests drive their NAS from here). */
  readonly onListening?: (servers: ProbeServers) => void;
  /** Where the pcap will be written, for the result. */
  readonly pcapPath?: string;
}

export interface SessionOutput {
  readonly result: NasValidationResult;
  readonly packets: readonly PacketView[];
  /** Classic libpcap, secrets hidden. */
  readonly pcap: Buffer;
}

type StepOutcome = NonNullable<NasValidationResult['steps']>[number];

const hostPort = (e: { address: string; port: number }): string =>
  e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

/** What the operator should do, in order, and what each probe user's phone will do. */
export function instructions(servers: ProbeServers, settings: ProbeServerSettings): string[] {
  const primary = servers.endpoints('primary');
  const secondary = servers.endpoints('secondary');
  const lines = [
    'radmfa validate-nas: the probe server is listening.',
    `  RADIUS authentication ${primary !== undefined ? hostPort(primary.auth) : '?'}, accounting ${primary !== undefined ? hostPort(primary.acct) : '?'}`,
  ];
  if (secondary !== undefined)
    lines.push(
      `  secondary server: authentication ${hostPort(secondary.auth)}, accounting ${hostPort(secondary.acct)} (same users, same phone)`,
    );
  lines.push(
    '  Point the NAS at it with the shared secret you gave (--secret), then log in through the NAS as each user below,',
    `  one login per user, in this order. Password: ${settings.password === 'Passw0rd!' ? 'Passw0rd!' : 'the one you gave (--password)'}.`,
    '  Nobody needs a phone: the MFA mock plays each user.',
  );
  for (const [i, user] of PROBE_USERS.entries())
    lines.push(`  ${String(i + 1).padStart(2)}. ${user.name.padEnd(18)} ${user.instruction}`);
  lines.push(
    '  Log out after a successful login (accounting), and let the NAS give up on probe-never before the next user.',
    '  Ctrl-C (or --duration) ends the run and writes the report.',
  );
  return lines;
}

/** The mock's begin calls: one per prompt sent (push, call, SMS). */
function promptsOf(servers: ProbeServers): PromptRecord[] {
  return servers.mock.service.history.list({ endpoint: 'begin' }).map((call) => ({
    at: call.receivedAt,
    user: (call.user ?? '').replace(/@.*$/, ''),
    ...(call.method !== undefined ? { method: call.method } : {}),
  }));
}

function runCommand(
  step: RunStep,
  placeholders: Placeholders,
  clock: Clock,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const argv = step.run.map((arg) => fillPlaceholders(arg, placeholders));
  const label = describeStep(step);
  return new Promise((resolve) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
    const timeout = clock.setTimeout(() => child.kill('SIGTERM'), durationMs(step.timeout ?? '5m'));
    const abort = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', abort, { once: true });
    const finish = (outcome: StepOutcome): void => {
      clock.clearTimeout(timeout);
      signal?.removeEventListener('abort', abort);
      resolve(outcome);
    };
    // The command's output is not kept: radclient prints the User-Password it sent.
    child.on('error', (error) =>
      finish({ label, outcome: 'failed', detail: `could not start ${argv[0] ?? ''}: ${error.message}` }),
    );
    child.on('exit', (code, sig) => {
      const expected = step.expectExit ?? 'any';
      const ok = sig === null && (expected === 'any' || code === expected);
      finish({
        label,
        outcome: ok ? 'ok' : 'failed',
        detail: sig !== null ? `ended by ${sig}` : `exit ${String(code)}`,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(step.stdin !== undefined ? fillPlaceholders(step.stdin, placeholders) : '');
  });
}

async function runLogin(
  step: LoginStep,
  servers: ProbeServers,
  options: SessionOptions,
): Promise<StepOutcome> {
  const { login } = step;
  const label = describeStep(step);
  const primary = servers.endpoints('primary');
  const secondary = servers.endpoints('secondary');
  if (primary === undefined) return { label, outcome: 'failed', detail: 'no primary server' };
  const server = (e: NonNullable<typeof primary>): NasServerInput => ({
    host: e.auth.address === '0.0.0.0' ? '127.0.0.1' : e.auth.address,
    port: e.auth.port,
    accountingPort: e.acct.port,
    secret: options.settings.secret,
  });
  let nas: Nas | undefined;
  try {
    nas = createNas({
      transport: options.transport,
      clock: options.clock,
      servers: [server(primary), ...(login.failover && secondary !== undefined ? [server(secondary)] : [])],
      ...(login.profile !== undefined ? { profile: login.profile } : {}),
      ...(login.policy !== undefined ? { policy: login.policy } : {}),
      ...(login.from !== undefined ? { localAddress: login.from } : {}),
      ...(login.nasIdentifier !== undefined ? { nasIdentifier: login.nasIdentifier } : {}),
      accessAttributes: [
        { name: 'NAS-IP-Address', value: login.from ?? '127.0.0.1' },
        ...(login.callingStationId !== undefined
          ? [{ name: 'Calling-Station-Id', value: login.callingStationId }]
          : []),
      ],
    });
    if (login.statusServer) await nas.statusServer();
    const upn = `${login.user}@${PROBE_DOMAIN}`;
    const result = await nas.login({
      method: login.method as 'pap',
      user: login.user,
      password: options.settings.password,
      // The user reads the SMS the mock "sent" (the code never reaches the result).
      challengeResponder: () =>
        Promise.resolve(servers.mock.service.outbox.latest({ user: upn })?.code ?? null),
    });
    if (result.outcome === 'accept' && login.accounting) {
      const sessionId = `${login.user}-${options.clock.now()}`;
      await nas.accounting({ statusType: 'Start', sessionId, user: login.user });
      await nas.accounting({ statusType: 'Stop', sessionId, user: login.user, sessionTimeSeconds: 1 });
    }
    return { label, outcome: 'ok', detail: `the NAS saw ${result.outcome}` };
  } catch (error) {
    return { label, outcome: 'failed', detail: (error as Error).message };
  } finally {
    await nas?.close();
  }
}

async function runSteps(
  steps: StepsFile,
  servers: ProbeServers,
  options: SessionOptions,
): Promise<StepOutcome[]> {
  const primary = servers.endpoints('primary');
  const secondary = servers.endpoints('secondary');
  const placeholders: Placeholders = {
    host: primary?.auth.address ?? options.settings.host,
    authPort: primary?.auth.port ?? options.settings.authPort,
    acctPort: primary?.acct.port ?? options.settings.acctPort,
    ...(secondary !== undefined ? { secondaryPort: secondary.auth.port } : {}),
    secret: options.settings.secret,
    password: options.settings.password,
  };
  const outcomes: StepOutcome[] = [];
  const background: Promise<StepOutcome>[] = [];
  for (const step of steps.steps) {
    if (options.signal?.aborted === true) break;
    options.say?.(`step: ${describeStep(step)}`);
    if ('wait' in step) {
      await options.clock.sleep(durationMs(step.wait));
      outcomes.push({ label: describeStep(step), outcome: 'ok' });
    } else if ('run' in step) {
      outcomes.push(await runCommand(step, placeholders, options.clock, options.signal));
    } else if (step.login.background) {
      background.push(runLogin(step, servers, options));
    } else {
      outcomes.push(await runLogin(step, servers, options));
    }
  }
  outcomes.push(...(await Promise.all(background)));
  return outcomes;
}

/** Resolves when the run should stop, saying why. */
function stopCondition(
  options: SessionOptions,
  steps: Promise<unknown> | undefined,
): { promise: Promise<NasValidationResult['stoppedBy']>; cancel: () => void } {
  const cleanups: (() => void)[] = [];
  const promise = new Promise<NasValidationResult['stoppedBy']>((resolve) => {
    if (options.durationMs !== undefined) {
      const timer = options.clock.setTimeout(() => resolve('duration'), options.durationMs);
      cleanups.push(() => options.clock.clearTimeout(timer));
    }
    if (options.signal !== undefined) {
      const abort = (): void => resolve('signal');
      if (options.signal.aborted) abort();
      options.signal.addEventListener('abort', abort, { once: true });
      cleanups.push(() => options.signal?.removeEventListener('abort', abort));
    }
    void steps?.then(() => resolve('steps'));
  });
  return { promise, cancel: () => cleanups.forEach((c) => c()) };
}

export async function runValidationSession(options: SessionOptions): Promise<SessionOutput> {
  const startedAt = options.clock.now();
  const servers = await startProbeServers({
    settings: options.settings,
    clock: options.clock,
    transport: options.transport,
  });
  let stepOutcomes: StepOutcome[] | undefined;
  let stoppedBy: NasValidationResult['stoppedBy'];
  try {
    for (const line of instructions(servers, options.settings)) options.say?.(line);
    // The probe-code user's SMS, shown when its Access-Challenge goes out (the NAS then asks for it).
    const unsubscribe = servers.capture.onDatagram((datagram: CapturedDatagram) => {
      if (datagram.direction !== 'to-nas' || datagram.data[0] !== PacketCode.AccessChallenge) return;
      const sms = servers.mock.service.outbox.latest({ user: `probe-code@${PROBE_DOMAIN}` });
      if (sms !== undefined)
        options.say?.(`probe-code: the SMS code is ${sms.code}; type it at the NAS's prompt`);
    });
    options.onListening?.(servers);
    const steps =
      options.steps !== undefined
        ? runSteps(options.steps, servers, options).then((outcomes) => {
            stepOutcomes = outcomes;
          })
        : undefined;
    const stop = stopCondition(options, steps);
    stoppedBy = await stop.promise;
    stop.cancel();
    unsubscribe();
  } catch (error) {
    await servers.close();
    throw error;
  }
  const endpoints = { primary: servers.endpoints('primary'), secondary: servers.endpoints('secondary') };
  const datagrams = [...servers.capture.datagrams];
  const portOf = portResolver({
    ...(endpoints.primary !== undefined ? { primary: endpoints.primary.auth.port } : {}),
    ...(endpoints.secondary !== undefined ? { secondary: endpoints.secondary.auth.port } : {}),
  });
  const packets = datagrams.map((d) => viewPacket(d, portOf));
  const prompts = promptsOf(servers);
  await servers.close();
  const analysis = analyse({
    packets,
    prompts,
    users: PROBE_USERS,
    secondary: endpoints.secondary !== undefined,
  });
  const pcap = pcapFile(
    datagrams.map((d) =>
      d.direction === 'from-nas'
        ? { at: d.at, from: d.nas, to: d.local, data: d.data }
        : { at: d.at, from: d.local, to: d.nas, data: d.data },
    ),
  );
  const result: NasValidationResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'nas-validation',
    tool: { name: 'radmfa', version: toolVersion() },
    startedAt: new Date(startedAt).toISOString(),
    durationMs: options.clock.now() - startedAt,
    stoppedBy,
    servers: {
      primary: endpoints.primary !== undefined ? hostPort(endpoints.primary.auth) : '',
      ...(endpoints.secondary !== undefined ? { secondary: hostPort(endpoints.secondary.auth) } : {}),
    },
    summary: summarise(analysis.nas),
    nas: analysis.nas,
    users: analysis.users,
    capture: {
      packets: datagrams.length,
      dropped: servers.capture.dropped,
      ...(options.pcapPath !== undefined ? { pcap: options.pcapPath } : {}),
    },
    ...(stepOutcomes !== undefined ? { steps: stepOutcomes } : {}),
  };
  return { result, packets, pcap };
}

/** 0 every check passed (warnings allowed), 1 a check or a step failed, or no NAS was heard at all. */
export function verdictExit(result: NasValidationResult): 0 | 1 {
  const stepFailed = result.steps?.some((s) => s.outcome === 'failed') ?? false;
  return result.summary.fail > 0 || stepFailed || result.nas.length === 0 ? 1 : 0;
}
