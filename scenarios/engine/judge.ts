// Every expectation a suite file can state, compared with what was observed. Each mismatch becomes a
// Failure named by its path in the suite file (`steps[2].expect.outcome`), so a report points at the
// line to read. An expectation the target could not observe is not judged here: the engine skips the
// case before running it (see unobservable()).
import { readOctetsText } from '../../protocol/index.ts';
import type { Failure } from '../result.ts';
import type { Step, SuiteCase } from '../suites/schema.ts';
import type { CaseSeen, SeenAttribute, ServerAnswer, StepSeen } from './observations.ts';

type AttributeExpect = {
  readonly present?: readonly string[] | undefined;
  readonly absent?: readonly string[] | undefined;
  readonly equals?: Readonly<Record<string, string | number>> | undefined;
};
type LatencyExpect = { readonly minMs?: number | undefined; readonly maxMs?: number | undefined };

class Judgement {
  readonly failures: Failure[] = [];

  constructor(private readonly at: string) {}

  equal(field: string, expected: unknown, actual: unknown): void {
    if (expected === undefined) return;
    if (expected !== actual) this.fail(field, show(expected), show(actual));
  }

  fail(field: string, expected: string, actual: string): void {
    this.failures.push({ expectation: `${this.at}.${field}`, expected, actual });
  }

  contains(field: string, expected: string | undefined, actual: string | undefined): void {
    if (expected === undefined) return;
    if (actual === undefined || !actual.includes(expected)) {
      this.fail(
        field,
        `contains ${JSON.stringify(expected)}`,
        actual === undefined ? 'none' : JSON.stringify(actual),
      );
    }
  }

  attributes(field: string, expected: AttributeExpect | undefined, seen: readonly SeenAttribute[]): void {
    if (expected === undefined) return;
    const names = new Set(seen.map((a) => a.name.toLowerCase()));
    const list = (): string => (seen.length === 0 ? 'no attributes' : seen.map((a) => a.name).join(', '));
    for (const name of expected.present ?? []) {
      if (!names.has(name.toLowerCase())) this.fail(`${field}.present`, `${name} present`, list());
    }
    for (const name of expected.absent ?? []) {
      if (names.has(name.toLowerCase())) this.fail(`${field}.absent`, `${name} absent`, `${name} present`);
    }
    for (const [name, value] of Object.entries(expected.equals ?? {})) {
      const matching = seen.filter((a) => a.name.toLowerCase() === name.toLowerCase());
      const wanted = String(value);
      // `0x...` names octets by their bytes, whatever case its digits are in (protocol's one rule).
      const read = readOctetsText(wanted);
      const bytes = read.kind === 'hex' ? `0x${read.bytes.toString('hex')}` : undefined;
      const hit = matching.some(
        (a) => a.value === wanted || a.aliases.includes(wanted) || (bytes !== undefined && a.hex === bytes),
      );
      if (!hit) {
        this.fail(
          `${field}.equals.${name}`,
          `${name} = ${wanted}`,
          matching.length === 0
            ? `${name} absent`
            : matching.map((a) => `${name} = ${a.aliases[0] ?? a.value}`).join(', '),
        );
      }
    }
  }

  /** The server's reason starts with `expected`; judged only where the server's events are visible. */
  serverReason(
    field: string,
    expected: string | undefined,
    seen: { readonly serverObserved: boolean; readonly server?: ServerAnswer },
  ): void {
    if (expected === undefined || !seen.serverObserved) return;
    const actual = seen.server;
    if (actual === undefined || !actual.reason.startsWith(expected)) {
      this.fail(
        field,
        `starts with ${JSON.stringify(expected)}`,
        actual === undefined
          ? 'no answer'
          : `${JSON.stringify(actual.reason)}${actual.detail !== undefined ? ` (${actual.detail})` : ''}`,
      );
    }
  }

  latency(field: string, expected: LatencyExpect | undefined, actual: number | undefined): void {
    if (expected === undefined) return;
    if (actual === undefined) {
      if (expected.minMs !== undefined || expected.maxMs !== undefined)
        this.fail(field, 'a reply', 'no reply');
      return;
    }
    if (expected.minMs !== undefined && actual < expected.minMs) {
      this.fail(`${field}.minMs`, `at least ${expected.minMs} ms`, `${Math.round(actual)} ms`);
    }
    if (expected.maxMs !== undefined && actual > expected.maxMs) {
      this.fail(`${field}.maxMs`, `at most ${expected.maxMs} ms`, `${Math.round(actual)} ms`);
    }
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Failures of one step's expectations against what that step saw. */
export function judgeStep(step: Step, index: number, seen: StepSeen): Failure[] {
  const j = new Judgement(`steps[${index}].expect`);
  if (step.kind === 'login' && seen.kind === 'login' && step.expect !== undefined) {
    const e = step.expect;
    if (e.outcome !== undefined && e.outcome !== seen.outcome) {
      j.fail(
        'outcome',
        e.outcome,
        seen.errorCode !== undefined ? `${seen.outcome} (${seen.errorCode})` : seen.outcome,
      );
    }
    j.contains('replyMessage', e.replyMessage, seen.replyMessage);
    j.attributes('attributes', e.attributes, seen.attributes);
    j.equal('transmissions', e.transmissions, seen.transmissions);
    j.equal('retransmissions', e.retransmissions, seen.retransmissions);
    j.equal('challenges', e.challenges, seen.challenges);
    j.latency('latency', e.latency, seen.latencyMs);
    j.serverReason('serverReason', e.serverReason, seen);
  } else if (step.kind === 'accounting' && seen.kind === 'accounting' && step.expect !== undefined) {
    j.equal('answered', step.expect.answered, seen.answered);
    j.equal('transmissions', step.expect.transmissions, seen.transmissions);
  } else if (step.kind === 'status-server' && seen.kind === 'status-server' && step.expect !== undefined) {
    j.equal('answered', step.expect.answered, seen.answered);
    j.equal('reply', step.expect.reply, seen.replyCode ?? 'none');
  } else if (step.kind === 'packet' && seen.kind === 'packet' && step.expect !== undefined) {
    const e = step.expect;
    // A reply whose Response Authenticator does not verify is no reply to a NAS (RFC 2865 3).
    const reply =
      seen.replyCode === undefined
        ? 'none'
        : seen.replyVerified === false
          ? `${seen.replyCode} that does not verify with the secret`
          : seen.replyCode;
    j.equal('reply', e.reply, reply);
    j.equal('proxyStateEchoed', e.proxyStateEchoed, seen.proxyStateEchoed ?? false);
    j.equal(
      'messageAuthenticatorFirst',
      e.messageAuthenticatorFirst,
      seen.messageAuthenticatorFirst ?? false,
    );
    j.attributes('attributes', e.attributes, seen.attributes);
    j.latency('latency', e.latency, seen.latencyMs);
    j.serverReason('serverReason', e.serverReason, seen);
  } else if (step.kind === 'retransmit' && seen.kind === 'retransmit' && step.expect !== undefined) {
    j.equal('behaviour', step.expect.behaviour, seen.behaviour);
    j.equal('replies', step.expect.replies, seen.replies);
  }
  return j.failures;
}

function judgeCounts(
  j: Judgement,
  field: string,
  expected: Readonly<Record<string, number>> | undefined,
  actual: Readonly<Record<string, number>> | undefined,
): void {
  for (const [key, count] of Object.entries(expected ?? {})) {
    const got = actual?.[key] ?? 0;
    if (got !== count) j.fail(`${field}.${key}`, String(count), String(got));
  }
}

/** Failures of the case-level expectations (`expect:` beside `steps:`). */
export function judgeCase(expect: SuiteCase['expect'], seen: CaseSeen): Failure[] {
  if (expect === undefined) return [];
  const j = new Judgement('expect');
  j.equal('mfaPrompts', expect.mfaPrompts, seen.mfaPrompts);
  judgeCounts(j, 'discards', expect.discards, seen.discards);
  judgeCounts(j, 'drops', expect.drops, seen.drops);
  judgeCounts(j, 'warnings', expect.warnings, seen.warnings);
  j.equal('accountingRecords', expect.accountingRecords, seen.accountingRecords);
  return j.failures;
}

/** Expectations only the embedded stacks can observe (the MFA mock, the server's events, the store). */
export function embeddedOnlyExpectations(testCase: SuiteCase): string[] {
  const e = testCase.expect;
  if (e === undefined) return [];
  return [
    ...(e.mfaPrompts !== undefined ? ['expect.mfaPrompts'] : []),
    ...(e.discards !== undefined ? ['expect.discards'] : []),
    ...(e.drops !== undefined ? ['expect.drops'] : []),
    ...(e.warnings !== undefined ? ['expect.warnings'] : []),
    ...(e.accountingRecords !== undefined ? ['expect.accountingRecords'] : []),
  ];
}
