// The conformance engine's public API: run loaded suites on a target and get the versioned result.
//   embedded-virtual  a fresh in-memory stack per case, in virtual time (cheap; long waits cost nothing)
//   embedded-udp      the embedded default on loopback sockets in real time, one stack per topology
//   embedded          each case on the first embedded target it lists
//   external          a server the user names: only cases that list `external`, with their needs met
import { readFileSync } from 'node:fs';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import {
  EMBEDDED_SECRET,
  UNKNOWN_CLIENT_ADDRESS,
  startUdpStack,
  startVirtualStack,
  type EmbeddedKind,
  type EmbeddedStack,
} from '../embedded/stacks.ts';
import {
  RESULT_SCHEMA_VERSION,
  countStatuses,
  type CaseResult,
  type ConformanceResult,
  type SuiteResult,
  type TargetInfo,
  type TargetKind,
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
  /** Called as each case ends (progress lines). */
  readonly onCase?: (result: CaseResult) => void;
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

function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

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

/** Runs one case where its placement says, building or reusing the stack it needs. */
async function runPlaced(
  testCase: LoadedCase,
  kind: TargetKind,
  target: TargetSpec,
  seed: number,
  udpStacks: Map<string, Promise<EmbeddedStack>>,
): Promise<CaseResult> {
  if (kind === 'external' && typeof target !== 'string') {
    return runExternalCase(testCase, externalTarget(target), { seed });
  }
  const input = {
    serverConfig: testCase.resolved.serverConfig,
    directoryFixture: testCase.resolved.directoryFixture,
    ...(testCase.resolved.tenant !== undefined ? { tenant: testCase.resolved.tenant } : {}),
    seed,
  };
  if ((kind as EmbeddedKind) === 'embedded-virtual') {
    let stack: EmbeddedStack;
    try {
      stack = await startVirtualStack({
        ...input,
        ...(testCase.topology.network !== undefined ? { network: testCase.topology.network } : {}),
      });
    } catch (error) {
      return broken(testCase, kind, error);
    }
    try {
      return await runCase(testCase, embeddedTarget(stack), { seed });
    } finally {
      await stack.close();
    }
  }
  // Cases with the same topology share one UDP stack, started once.
  let starting = udpStacks.get(testCase.resolved.topologyKey);
  if (starting === undefined) {
    starting = startUdpStack(input);
    udpStacks.set(testCase.resolved.topologyKey, starting);
  }
  let stack: EmbeddedStack;
  try {
    stack = await starting;
  } catch (error) {
    return broken(testCase, kind, error);
  }
  return runCase(testCase, embeddedTarget(stack), { seed });
}

/** One case on a fresh virtual stack: what property tests call for each generated case. */
export async function runVirtualCase(testCase: LoadedCase, seed: number): Promise<CaseResult> {
  return runPlaced(testCase, 'embedded-virtual', 'embedded-virtual', seed, new Map());
}

function selected(testCase: LoadedCase, grep: string | undefined): boolean {
  if (grep === undefined || grep === '') return true;
  const text = grep.toLowerCase();
  return (
    `${testCase.suite}/${testCase.id}`.toLowerCase().includes(text) ||
    testCase.title.toLowerCase().includes(text)
  );
}

/** Runs every selected case of every suite on the target; cases run one after another. */
export async function runConformance(options: RunConformanceOptions): Promise<ConformanceResult> {
  const startedAt = new Date();
  const started = performance.now();
  const udpStacks = new Map<string, Promise<EmbeddedStack>>();
  const suites: SuiteResult[] = [];
  try {
    for (const suite of options.suites) {
      const suiteStart = performance.now();
      const cases: CaseResult[] = [];
      for (const testCase of suite.cases) {
        if (!selected(testCase, options.grep)) continue;
        const placement = placeCase(testCase, options.target);
        const result =
          'skip' in placement
            ? skipped(testCase, placement.skip, placement.reason)
            : await runPlaced(testCase, placement.run, options.target, options.seed, udpStacks).catch(
                (error: unknown) => broken(testCase, placement.run, error),
              );
        cases.push(result);
        options.onCase?.(result);
      }
      suites.push({
        name: suite.name,
        description: suite.description,
        file: suite.file,
        summary: countStatuses(cases.map((c) => c.status)),
        durationMs: Math.round(performance.now() - suiteStart),
        cases,
      });
    }
  } finally {
    for (const starting of udpStacks.values()) {
      await starting.then((stack) => stack.close()).catch(() => undefined);
    }
  }
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
