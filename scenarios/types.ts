import type { LoginMethod, LoginOutcome, RetryPolicyInput } from '../simulators/nas/index.ts';
import type { CodeBehaviour } from '../simulators/users/index.ts';

/** How the simulated user answers an MFA code prompt. */
export type CodeAnswer =
  | { readonly kind: 'totp'; readonly secretBase32: string }
  | { readonly kind: 'sms' }
  | { readonly kind: 'fixed'; readonly code: string };

/** One login and what must come of it. Data only, so suites can live in files and be reported on. */
export interface LoginCase {
  readonly id: string;
  readonly title: string;
  /** Why the case exists (the seed document section, the RFC, the bug). */
  readonly why: string;
  readonly user: string;
  readonly password: string;
  readonly method: LoginMethod;
  readonly code?: CodeAnswer;
  /** How the user types the code (typing time, mistakes, giving up); default: at once, correctly. */
  readonly typing?: CodeBehaviour;
  /** NAS vendor profile (default rfc5080) and overrides. */
  readonly nasProfile?: string;
  readonly nasPolicy?: RetryPolicyInput;
  readonly expect: {
    readonly outcome: LoginOutcome;
    /** Datagrams the NAS sends in all (first sends and retransmissions). */
    readonly transmissions?: number;
    /** MFA prompts (pushes, calls, SMS) the user gets: checked when the MFA service can be observed. */
    readonly mfaPrompts?: number;
  };
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  readonly cases: readonly LoginCase[];
}

export const RESULT_SCHEMA_VERSION = 1;

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly user: string;
  readonly method: LoginMethod;
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly expected: LoginCase['expect'];
  readonly actual: {
    readonly outcome: LoginOutcome;
    readonly replyCode?: string;
    readonly transmissions: number;
    readonly retransmissions: number;
    readonly challenges: number;
    readonly totalTimeMs: number;
    readonly mfaPrompts?: number;
    readonly error?: string;
  };
}

/** Versioned result JSON: every report renders from this alone. */
export interface SuiteResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly suite: string;
  readonly description: string;
  readonly target: { readonly host: string; readonly port: number; readonly kind: string };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly summary: { readonly total: number; readonly passed: number; readonly failed: number };
  readonly cases: readonly CaseResult[];
}
