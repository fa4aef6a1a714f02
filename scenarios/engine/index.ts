// The conformance engine's public API: run loaded suites on a target and get the versioned result.
//   embedded-virtual  a fresh in-memory stack per case, in virtual time (cheap; long waits cost nothing)
//   embedded-udp      the embedded default on loopback sockets in real time, one stack per topology
//   embedded          each case on the first embedded target it lists
//   external          a server the user names: only cases that list `external`, with their needs met
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import {
  EMBEDDED_SECRET,
  UNKNOWN_CLIENT_ADDRESS,
  startUdpStack,
  startVirtualStack,
  type EmbeddedStack,
  type StackInput,
} from '../embedded/stacks.ts';
import {
  RESULT_SCHEMA_VERSION,
  countStatuses,
  type CaseResult,
  type ConformanceResult,
  type SuiteResult,
  type TargetInfo,
  type TargetKind,
  toolVersion,
} from '../result.ts';
import type { LoadedCase, LoadedSuite } from '../suites/loader.ts';
import { runCase, type CaseTarget } from './case.ts';
import { planExternal, runExternalCase } from './external.ts';

export { runCase, type CaseTarget, type RunCaseOptions } from './case.ts';
export { driveUntilSettled } from './drive.ts';

export interface ExternalTarget {
  readonly host: string;
  readonly port: number;
  /** Default port + 1. */
  readonly acctPort?: number;
  readonly secret: string;
  readonly user?: string;
  readonly password?: string;
}

export type TargetSpec = 'embedded-virtual' | 'embedded-udp' | 'embedded' | ExternalTarget;

export interface RunConformanceOptions {
  readonly suites: readonly LoadedSuite[];
  readonly target: TargetSpec;
  readonly seed: number;
  /** Only cases whose `suite/id` or title contains this text (case-insensitive). */
  readonly grep?: string;
  /** Called as each case ends (progress lines), in the order they end. */
  readonly onCase?: (result: CaseResult) => void;
  /** Lanes of cases run at once (default DEFAULT_CONCURRENCY); 1 runs every case one after another. */
  readonly concurrency?: number;
}

const DEFAULT_TARGETS: readonly TargetKind[] = ['embedded-virtual', 'embedded-udp'];

const NEED_WORDS: Record<string, string> = {
  'pap-user': 'a PAP user',
  'chap-user': 'a CHAP user (password stored in cleartext)',
  'mschapv2-user': 'an MS-CHAPv2 user',
  'eap-md5-user': 'an EAP-MD5 user',
  'eap-mschapv2-user': 'an EAP-MSCHAPv2 user',
  'wrong-password': 'a user to send a wrong password for',
};

function describeTarget(target: TargetSpec): TargetInfo {
  if (typeof target === 'string') {
    const words = {
      'embedded-virtual': 'reference server (embedded default), in memory and virtual time',
      'embedded-udp': 'reference server (embedded default), over loopback UDP in real time',
      embedded: 'reference server (embedded default), each case on its first embedded target',
    } as const;
    return { kind: target, description: words[target] };
  }
  const address = `${target.host}:${target.port}`;
  return { kind: 'external', address, description: `RADIUS server at ${address}` };
}

type Placement = { readonly run: TargetKind } | { readonly skip: TargetKind; readonly reason: string };

/** Where a case runs on this target, or why it is skipped there. */
export function placeCase(testCase: LoadedCase, target: TargetSpec): Placement {
  const listed = testCase.targets ?? DEFAULT_TARGETS;
  if (typeof target !== 'string') {
    if (!listed.includes('external')) return { skip: 'external', reason: 'embedded only' };
    const plan = planExternal(testCase);
    if (!plan.judgeable) {
      return {
        skip: 'external',
        reason: `${plan.unobserved.join(', ')} can only be observed on an embedded target`,
      };
    }
    const missing = (testCase.needs ?? []).filter(
      () => target.user === undefined || target.password === undefined,
    );
    if (missing.length > 0) {
      return {
        skip: 'external',
        reason: `needs ${missing.map((n) => NEED_WORDS[n] ?? n).join(' and ')}: pass --user and --password`,
      };
    }
    if (testCase.steps.some((s) => s.kind === 'login' && s.code?.kind === 'sms')) {
      return { skip: 'external', reason: 'reads the SMS code from the embedded MFA mock' };
    }
    if (testCase.topology.network !== undefined) {
      return { skip: 'external', reason: 'network impairments need embedded-virtual' };
    }
    const unknownSource = testCase.steps.some((s) => s.kind === 'packet' && s.fromUnknownClient);
    if (unknownSource && !target.host.startsWith('127.')) {
      return {
        skip: 'external',
        reason: `sends from ${UNKNOWN_CLIENT_ADDRESS}, which only reaches a server on IPv4 loopback`,
      };
    }
    const otherSource = testCase.steps.find((s) => s.kind === 'packet' && s.sourceAddress !== undefined);
    if (otherSource?.kind === 'packet' && !target.host.startsWith('127.')) {
      return {
        skip: 'external',
        reason: `sends from ${otherSource.sourceAddress ?? ''}, which only reaches a server on IPv4 loopback`,
      };
    }
    return { run: 'external' };
  }
  const wanted: TargetKind | undefined =
    target === 'embedded' ? listed.find((t) => t !== 'external') : target;
  if (wanted === undefined) return { skip: 'embedded-virtual', reason: 'external only' };
  if (!listed.includes(wanted)) return { skip: wanted, reason: `runs on ${listed.join(', ')} only` };
  if (wanted === 'embedded-udp' && testCase.topology.network !== undefined) {
    return { skip: wanted, reason: 'network impairments need embedded-virtual' };
  }
  return { run: wanted };
}

function skipped(testCase: LoadedCase, target: TargetKind, reason: string): CaseResult {
  return {
    suite: testCase.suite,
    id: testCase.id,
    title: testCase.title,
    why: testCase.why,
    target,
    status: 'skipped',
    reason,
    failures: [],
    durationMs: 0,
    steps: [],
    timeline: [],
    ...(testCase.matrix !== undefined ? { matrix: testCase.matrix } : {}),
  };
}

function broken(testCase: LoadedCase, target: TargetKind, error: unknown): CaseResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...skipped(testCase, target, `could not start: ${message}`),
    status: 'failed',
    failures: [
      { expectation: '(case)', expected: 'the case runs to its end', actual: `could not start: ${message}` },
    ],
  };
}

/** The CaseTarget for a running embedded stack (property tests run many cases on their own stacks). */
export function embeddedTarget(stack: EmbeddedStack): CaseTarget {
  return {
    kind: stack.kind,
    clock: stack.clock,
    ...(stack.virtualClock !== undefined ? { virtualClock: stack.virtualClock } : {}),
    transport: stack.transport,
    host: stack.auth.address,
    authPort: stack.auth.port,
    acctPort: stack.acct.port,
    secret: EMBEDDED_SECRET,
    localAddress: '127.0.0.1',
    unknownClientAddress: UNKNOWN_CLIENT_ADDRESS,
    stack,
  };
}

function externalTarget(target: ExternalTarget): CaseTarget {
  const loopback6 = target.host.includes(':');
  return {
    kind: 'external',
    clock: new SystemClock(),
    transport: new UdpTransport(),
    host: target.host,
    authPort: target.port,
    acctPort: target.acctPort ?? target.port + 1,
    secret: target.secret,
    localAddress: loopback6 ? '::1' : target.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0',
    unknownClientAddress: loopback6 ? '::1' : UNKNOWN_CLIENT_ADDRESS,
    ...(target.user !== undefined && target.password !== undefined
      ? { credentials: { user: target.user, password: target.password } }
      : {}),
  };
}

/** One case on a fresh embedded-virtual stack (with the case's network impairments). */
async function runOnVirtualStack(testCase: LoadedCase, seed: number): Promise<CaseResult> {
  let stack: EmbeddedStack;
  try {
    stack = await startVirtualStack({
      ...stackInput(testCase, seed),
      ...(testCase.topology.network !== undefined ? { network: testCase.topology.network } : {}),
    });
  } catch (error) {
    return broken(testCase, 'embedded-virtual', error);
  }
  try {
    return await runCase(testCase, embeddedTarget(stack), { seed });
  } finally {
    await stack.close();
  }
}

function stackInput(testCase: LoadedCase, seed: number): StackInput {
  return {
    serverConfig: testCase.resolved.serverConfig,
    directoryFixture: testCase.resolved.directoryFixture,
    ...(testCase.resolved.tenant !== undefined ? { tenant: testCase.resolved.tenant } : {}),
    seed,
  };
}

/** One case on a fresh virtual stack: what property tests call for each generated case. */
export async function runVirtualCase(testCase: LoadedCase, seed: number): Promise<CaseResult> {
  return runOnVirtualStack(testCase, seed);
}

function selected(testCase: LoadedCase, grep: string | undefined): boolean {
  if (grep === undefined || grep === '') return true;
  const text = grep.toLowerCase();
  return (
    `${testCase.suite}/${testCase.id}`.toLowerCase().includes(text) ||
    testCase.title.toLowerCase().includes(text)
  );
}

/** Where one selected case stands in the run: its suite and place, and where it runs. */
export interface Slot {
  readonly suite: number;
  readonly testCase: LoadedCase;
  readonly placement: Placement;
}

/**
 * Cases that must run one after another, in suite order. Cases on embedded-udp with the same
 * topology share one stack, whose counters and events each case reads while it runs, so they form
 * one lane; the cases on an external server form one lane (the server under test is not ours to
 * load, and its reject delay or duplicate cache must see one case at a time); every embedded-virtual
 * case has its own stack and clock, so it is a lane of its own.
 */
export interface Lane {
  readonly kind: TargetKind;
  readonly slots: readonly number[];
}

export function lanesOf(slots: readonly Slot[]): Lane[] {
  const byKey = new Map<string, { kind: TargetKind; slots: number[] }>();
  slots.forEach((slot, index) => {
    if (!('run' in slot.placement)) return;
    const kind = slot.placement.run;
    const key =
      kind === 'embedded-udp'
        ? `udp ${slot.testCase.resolved.topologyKey}`
        : kind === 'external'
          ? 'external'
          : `virtual ${index}`;
    const lane = byKey.get(key) ?? { kind, slots: [] };
    lane.slots.push(index);
    byKey.set(key, lane);
  });
  return [...byKey.values()];
}

/** Runs `tasks` with at most `limit` at a time, in order of the array. */
async function pool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
}

/** Real-time lanes running at once by default: they mostly wait, so most of them wait side by side. */
export const DEFAULT_CONCURRENCY = 12;

/**
 * Runs every selected case of every suite on the target. Independent real-time lanes (see Lane) run
 * side by side, at most `concurrency` at once, so the waits of the UDP cases overlap; then the
 * virtual cases, one at a time (CPU work gains nothing from sharing one thread). The result
 * lists the cases in suite-file order whatever order they finished in, so it is the same for the
 * same seed. Each suite's durationMs is the wall-clock span from its first case's start to its last
 * case's end.
 */
export async function runConformance(options: RunConformanceOptions): Promise<ConformanceResult> {
  const startedAt = new Date();
  const started = performance.now();
  const slots: Slot[] = options.suites.flatMap((suite, index) =>
    suite.cases
      .filter((testCase) => selected(testCase, options.grep))
      .map((testCase) => ({ suite: index, testCase, placement: placeCase(testCase, options.target) })),
  );
  const results: (CaseResult | undefined)[] = slots.map(() => undefined);
  const spans = options.suites.map(() => ({ from: Infinity, to: -Infinity }));
  const finish = (index: number, result: CaseResult, from: number): void => {
    results[index] = result;
    const span = spans[slots[index]?.suite ?? -1];
    if (span !== undefined) {
      span.from = Math.min(span.from, from);
      span.to = Math.max(span.to, performance.now());
    }
    options.onCase?.(result);
  };
  slots.forEach((slot, index) => {
    if ('skip' in slot.placement)
      finish(index, skipped(slot.testCase, slot.placement.skip, slot.placement.reason), performance.now());
  });
  const runLane = async (lane: Lane): Promise<void> => {
    let stack: Promise<EmbeddedStack> | undefined;
    try {
      for (const index of lane.slots) {
        const slot = slots[index];
        if (slot === undefined) continue;
        const from = performance.now();
        const run = async (): Promise<CaseResult> => {
          if (lane.kind === 'embedded-virtual') return runOnVirtualStack(slot.testCase, options.seed);
          if (lane.kind === 'external' && typeof options.target !== 'string') {
            return runExternalCase(slot.testCase, externalTarget(options.target), { seed: options.seed });
          }
          // One stack for the lane, started with its first case.
          stack ??= startUdpStack(stackInput(slot.testCase, options.seed));
          let started: EmbeddedStack;
          try {
            started = await stack;
          } catch (error) {
            return broken(slot.testCase, lane.kind, error);
          }
          return runCase(slot.testCase, embeddedTarget(started), { seed: options.seed });
        };
        finish(index, await run().catch((error: unknown) => broken(slot.testCase, lane.kind, error)), from);
      }
    } finally {
      await stack?.then((s) => s.close()).catch(() => undefined);
    }
  };
  // Real-time lanes side by side first, then the virtual cases one by one: virtual cases are CPU
  // work in this thread, and run beside the UDP lanes they would delay the packets those time.
  const lanes = lanesOf(slots);
  const limit = options.concurrency ?? DEFAULT_CONCURRENCY;
  await pool(
    lanes.filter((l) => l.kind !== 'embedded-virtual').map((lane) => () => runLane(lane)),
    limit,
  );
  await pool(
    lanes.filter((l) => l.kind === 'embedded-virtual').map((lane) => () => runLane(lane)),
    1,
  );
  const suites: SuiteResult[] = options.suites.map((suite, index) => {
    const cases = slots.flatMap((slot, i) => (slot.suite === index ? [results[i] as CaseResult] : []));
    const span = spans[index];
    return {
      name: suite.name,
      description: suite.description,
      file: suite.file,
      summary: countStatuses(cases.map((c) => c.status)),
      durationMs: span === undefined || span.to < span.from ? 0 : Math.round(span.to - span.from),
      cases,
    };
  });
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'conformance',
    tool: { name: 'radmfa', version: toolVersion() },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    target: describeTarget(options.target),
    seed: options.seed,
    summary: countStatuses(suites.flatMap((s) => s.cases.map((c) => c.status))),
    suites,
  };
}
