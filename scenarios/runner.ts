import { base32Decode, totp } from '../protocol/auth/index.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Transport } from '../runtime/transport.ts';
import {
  createNas,
  type ChallengePrompt,
  type ChallengeResponder,
  type LoginResult,
} from '../simulators/nas/index.ts';
import { codeResponder, streamFor } from '../simulators/users/index.ts';
import {
  RESULT_SCHEMA_VERSION,
  type CaseResult,
  type LoginCase,
  type Suite,
  type SuiteResult,
} from './types.ts';

export interface SuiteTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  /** "reference" for the embedded server, "external" for a server under test. */
  readonly kind: string;
}

/** What the runner can learn from the MFA side, when it can see it (the embedded mock). */
export interface MfaObserver {
  /** Prompts (begin calls) for this user since `sinceMs`. */
  promptsFor(user: string, sinceMs: number): number;
  /** The latest SMS code sent to this user, if any. */
  smsCodeFor(user: string): string | undefined;
}

export interface RunOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly mfa?: MfaObserver;
  /** Called as each case ends (progress output). */
  readonly onCase?: (result: CaseResult) => void;
}

function responderFor(testCase: LoginCase, options: RunOptions): ChallengeResponder {
  const read = codeReader(testCase, options);
  if (testCase.typing === undefined) return (prompt) => Promise.resolve(read(prompt));
  return codeResponder({
    behaviour: testCase.typing,
    clock: options.clock,
    random: streamFor(1, testCase.user),
    correctCode: read,
  });
}

/** The code the user would read for this prompt: from the app, the SMS outbox, or the case itself. */
function codeReader(testCase: LoginCase, options: RunOptions): (prompt: ChallengePrompt) => string | null {
  return (prompt) => {
    const code = testCase.code;
    if (code === undefined || prompt.attempt > 1) return null;
    switch (code.kind) {
      case 'fixed':
        return code.code;
      case 'totp': {
        const key = base32Decode(code.secretBase32);
        return key.ok ? totp(key.value, options.clock.now()) : null;
      }
      case 'sms':
        return options.mfa?.smsCodeFor(testCase.user) ?? null;
    }
  };
}

function judge(testCase: LoginCase, result: LoginResult, prompts: number | undefined): string[] {
  const failures: string[] = [];
  const { expect } = testCase;
  if (result.outcome !== expect.outcome) {
    failures.push(
      `outcome ${result.outcome}${result.error !== undefined ? ` (${result.error.code})` : ''}, expected ${expect.outcome}`,
    );
  }
  if (expect.transmissions !== undefined && result.transmissions !== expect.transmissions) {
    failures.push(`${result.transmissions} datagrams sent, expected ${expect.transmissions}`);
  }
  if (expect.mfaPrompts !== undefined && prompts !== undefined && prompts !== expect.mfaPrompts) {
    failures.push(`${prompts} MFA prompts, expected ${expect.mfaPrompts}`);
  }
  return failures;
}

async function runCase(testCase: LoginCase, target: SuiteTarget, options: RunOptions): Promise<CaseResult> {
  const nas = createNas({
    transport: options.transport,
    clock: options.clock,
    servers: [{ host: target.host, port: target.port, secret: target.secret }],
    // A NAS that waits as long as the NPS extension documentation recommends, unless the case says otherwise.
    profile: testCase.nasProfile ?? (testCase.nasPolicy !== undefined ? 'custom' : 'nps-recommended'),
    ...(testCase.nasPolicy !== undefined ? { policy: testCase.nasPolicy } : {}),
    traceBytes: false,
  });
  const since = options.clock.now();
  try {
    const result = await nas.login({
      method: testCase.method,
      user: testCase.user,
      password: testCase.password,
      challengeResponder: responderFor(testCase, options),
    });
    const prompts = options.mfa?.promptsFor(testCase.user, since);
    const failures = judge(testCase, result, prompts);
    return {
      id: testCase.id,
      title: testCase.title,
      user: testCase.user,
      method: testCase.method,
      passed: failures.length === 0,
      failures,
      expected: testCase.expect,
      actual: {
        outcome: result.outcome,
        ...(result.replyCodeLabel !== undefined ? { replyCode: result.replyCodeLabel } : {}),
        transmissions: result.transmissions,
        retransmissions: result.retransmissions,
        challenges: result.challenges,
        totalTimeMs: result.totalTimeMs,
        ...(prompts !== undefined ? { mfaPrompts: prompts } : {}),
        ...(result.error !== undefined ? { error: `${result.error.code}: ${result.error.message}` } : {}),
      },
    };
  } finally {
    await nas.close();
  }
}

/** A case that could not run (bad NAS settings in the case, a harness bug) fails on its own. */
function failedCase(testCase: LoginCase, error: unknown): CaseResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id: testCase.id,
    title: testCase.title,
    user: testCase.user,
    method: testCase.method,
    passed: false,
    failures: [`could not run: ${message}`],
    expected: testCase.expect,
    actual: {
      outcome: 'error',
      transmissions: 0,
      retransmissions: 0,
      challenges: 0,
      totalTimeMs: 0,
      error: message,
    },
  };
}

/**
 * Runs a suite against one server. Cases of the same user run one after another (so prompt counts
 * belong to one case); different users run at once, as they would on a real VPN.
 */
export async function runSuite(suite: Suite, target: SuiteTarget, options: RunOptions): Promise<SuiteResult> {
  const started = options.clock.now();
  const byUser = new Map<string, LoginCase[]>();
  for (const testCase of suite.cases)
    byUser.set(testCase.user, [...(byUser.get(testCase.user) ?? []), testCase]);
  const results = new Map<string, CaseResult>();
  await Promise.all(
    [...byUser.values()].map(async (cases) => {
      for (const testCase of cases) {
        const result = await runCase(testCase, target, options).catch((error: unknown) =>
          failedCase(testCase, error),
        );
        results.set(testCase.id, result);
        options.onCase?.(result);
      }
    }),
  );
  const ordered = suite.cases.map((c) => results.get(c.id)).filter((r): r is CaseResult => r !== undefined);
  const passed = ordered.filter((r) => r.passed).length;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    suite: suite.name,
    description: suite.description,
    target: { host: target.host, port: target.port, kind: target.kind },
    startedAt: new Date(started).toISOString(),
    durationMs: options.clock.now() - started,
    summary: { total: ordered.length, passed, failed: ordered.length - passed },
    cases: ordered,
  };
}
