// The versioned result JSON. Every report (JSON, JUnit, Markdown, HTML) renders from this alone, and
// every command that writes results (run, load, validate-nas) writes this family with one
// schemaVersion. Bump RESULT_SCHEMA_VERSION on any change a reader could notice.
import { readFileSync } from 'node:fs';

export const RESULT_SCHEMA_VERSION = 2;

let version: string | undefined;

/** radmfa's version from package.json, read once: every result file names the tool that wrote it. */
export function toolVersion(): string {
  if (version !== undefined) return version;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    version = pkg.version ?? '0.0.0';
  } catch {
    version = '0.0.0';
  }
  return version;
}

export type TargetKind = 'embedded-virtual' | 'embedded-udp' | 'external';
export const targetKinds: readonly TargetKind[] = ['embedded-virtual', 'embedded-udp', 'external'];

export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** What an external server did with an exact retransmission, named the way RFC 5080 and NPS differ. */
export type DuplicateBehaviour = 'discard' | 'replay' | 'reprocess';

/**
 * A way an external server differs from the NPS model (the reference server's default) where the
 * RFCs allow both. Reported by name beside the verdict, never as a failure by itself.
 *   duplicate-replay     an exact retransmission got the cached reply again (RFC 5080 2.2.2); NPS discards it
 *   duplicate-reprocess  it was processed as a new request where NPS discards it
 *   duplicate-discard    it was discarded where NPS (window over) processes it again
 *   reply-without-message-authenticator  an Access-Accept/Reject/Challenge carries none (Blast-RADIUS guidance: first)
 *   message-authenticator-not-first      the reply carries one, not as its first attribute
 *   reject-delayed       the Access-Reject came late on purpose (FreeRADIUS reject_delay)
 */
export type DifferenceKind =
  | 'duplicate-replay'
  | 'duplicate-reprocess'
  | 'duplicate-discard'
  | 'reply-without-message-authenticator'
  | 'message-authenticator-not-first'
  | 'reject-delayed';

export interface Difference {
  readonly kind: DifferenceKind;
  /** The step it was seen in: `steps[1]`. */
  readonly at: string;
  /** What this server did, in words ("rfc5080 replay: ..."). */
  readonly seen: string;
  /** What the NPS model (the reference server's default) does instead. */
  readonly expected: string;
}

export interface TargetInfo {
  /** The kind the run was asked for; `embedded` runs each case on its first embedded target. */
  readonly kind: TargetKind | 'embedded';
  /** `host:port` of the server under test, when there is one address for the whole run. */
  readonly address?: string;
  /** In words, for reports: "reference server (embedded default)", "FreeRADIUS at 127.0.0.1:1812". */
  readonly description: string;
}

/** One expectation that did not hold. */
export interface Failure {
  /** The expectation, as the suite file names it: `steps[2].expect.outcome`, `expect.mfaPrompts`. */
  readonly expectation: string;
  readonly expected: string;
  readonly actual: string;
}

/** An actor in the packet timeline (the sequence diagram of a case). */
export type Actor = 'nas' | 'server' | 'directory' | 'mfa' | 'user';

export interface TimelineEvent {
  /** ms since the case started (virtual or real). */
  readonly atMs: number;
  readonly from: Actor;
  readonly to: Actor;
  /** Short text on the arrow: "Access-Request id=7", "push sent", "discard (in-flight)". */
  readonly label: string;
  /** Marks what a reader should see at once: a retransmission, a discard, a timeout, a failure. */
  readonly tone?: 'normal' | 'retransmit' | 'discard' | 'timeout' | 'error';
}

/** A reply attribute as reports show it: secrets and codes are never carried. */
export interface ReportedAttribute {
  readonly name: string;
  /** Printable value; "<hidden>" for hidden attributes (User-Password, MS-MPPE keys, Tunnel-Password). */
  readonly value: string;
}

export interface StepResult {
  /** The step kind from the suite file (login, accounting, status-server, packet, retransmit, wait). */
  readonly kind: string;
  /** "alice pap", "Accounting Start s1", "Access-Request with a flipped Message-Authenticator". */
  readonly label: string;
  /** accept | reject | timeout | error for logins; answered | silent for packets. */
  readonly outcome: string;
  /** Name of the last reply's code (Access-Accept, Accounting-Response...), when one came. */
  readonly replyCode?: string;
  readonly replyMessage?: string;
  readonly attributes?: readonly ReportedAttribute[];
  readonly transmissions?: number;
  readonly retransmissions?: number;
  readonly challenges?: number;
  /** From the first send to the final reply or give-up. */
  readonly durationMs?: number;
  /** For retransmit steps against a server whose cache is not visible. */
  readonly duplicateBehaviour?: DuplicateBehaviour;
}

export interface CaseResult {
  readonly suite: string;
  readonly id: string;
  readonly title: string;
  /** The RFC section or seed passage the case checks. */
  readonly why: string;
  /** The target it ran on (or would have). */
  readonly target: TargetKind;
  readonly status: CaseStatus;
  /** Why it was skipped, or the first failure in words. */
  readonly reason?: string;
  readonly failures: readonly Failure[];
  readonly durationMs: number;
  readonly steps: readonly StepResult[];
  /** What the MFA service and the server were seen to do (embedded targets). */
  readonly observed?: {
    readonly mfaPrompts?: number;
    readonly discards?: Readonly<Record<string, number>>;
    readonly drops?: Readonly<Record<string, number>>;
    /** Server warnings by code (start-up ones included). */
    readonly warnings?: Readonly<Record<string, number>>;
    readonly accountingRecords?: number;
    readonly duplicateBehaviour?: DuplicateBehaviour;
  };
  /** External targets: where the server differs from the NPS model, by name (see DifferenceKind). */
  readonly differences?: readonly Difference[];
  /** External targets: the case's expectations only an embedded target can observe, not judged. */
  readonly unobserved?: readonly string[];
  readonly timeline: readonly TimelineEvent[];
  /** The cell of a matrix this case fills (nas-timeouts: row = NAS profile, column = MFA time). */
  readonly matrix?: {
    readonly name: string;
    readonly row: string;
    readonly column: string;
    /** What rows and columns stand for, as table headings ("NAS profile", "MFA answers after"). */
    readonly axes?: { readonly rows: string; readonly columns: string };
  };
}

export interface Counts {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface SuiteResult {
  readonly name: string;
  readonly description: string;
  /** The file it was read from, relative to the working directory. */
  readonly file?: string;
  readonly summary: Counts;
  readonly durationMs: number;
  readonly cases: readonly CaseResult[];
}

/** Results of one property (fast-check) run. */
export interface PropertyResult {
  readonly name: string;
  readonly title: string;
  readonly why: string;
  readonly status: CaseStatus;
  readonly runs: number;
  /** Logins generated over all runs (the issue asks for at least 1,000 per property in CI). */
  readonly logins: number;
  readonly seed: number;
  /** fast-check's counterexample path, to replay with --seed and this path. */
  readonly path?: string;
  readonly counterexample?: string;
  readonly reason?: string;
  readonly durationMs: number;
}

export interface ConformanceResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly kind: 'conformance';
  readonly tool: { readonly name: 'radmfa'; readonly version: string };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly target: TargetInfo;
  /** Seed of every random choice in the run (backoff jitter, impairments, user models, properties). */
  readonly seed: number;
  readonly summary: Counts;
  readonly suites: readonly SuiteResult[];
  readonly properties?: readonly PropertyResult[];
}

export function countStatuses(statuses: readonly CaseStatus[]): Counts {
  const count = (status: CaseStatus): number => statuses.filter((s) => s === status).length;
  return {
    total: statuses.length,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
  };
}
