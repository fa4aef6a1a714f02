// The result JSON of `radmfa validate-nas`: the same family as the conformance result (one
// RESULT_SCHEMA_VERSION), `kind: 'nas-validation'`. Reports (JSON, JUnit, Markdown, HTML) render from
// this alone. Nothing here carries a secret, a password, a State value or an MFA code.
import { RESULT_SCHEMA_VERSION } from '../result.ts';
import type { AuthKind, MessageAuthenticatorPlacement } from './packets.ts';

export type Verdict = 'pass' | 'warn' | 'fail';

/** Every check validate-nas makes, a closed list: a CI gate or a dashboard can match on the id. */
export type NasCheckId =
  | 'timeout-covers-mfa'
  | 'retransmission-same'
  | 'no-second-prompt'
  | 'failover-second-prompt'
  | 'message-authenticator'
  | 'nas-identification'
  | 'calling-station-id'
  | 'challenge-handling'
  | 'status-server'
  | 'accounting';

export const NAS_CHECK_IDS: readonly NasCheckId[] = [
  'timeout-covers-mfa',
  'retransmission-same',
  'no-second-prompt',
  'failover-second-prompt',
  'message-authenticator',
  'nas-identification',
  'calling-station-id',
  'challenge-handling',
  'status-server',
  'accounting',
];

/** What each check asks, in words, and the RFC section or seed passage behind it. */
export const NAS_CHECKS: Readonly<Record<NasCheckId, { readonly title: string; readonly why: string }>> = {
  'timeout-covers-mfa': {
    title: 'the NAS waits long enough for a user to answer MFA',
    why: 'seed (NPS extension for Entra MFA): VPN servers should wait at least 60 seconds for the RADIUS answer (90 or 120 s if needed)',
  },
  'retransmission-same': {
    title: 'retransmissions keep the Identifier and Request Authenticator',
    why: 'RFC 5080 2.2.1: a retransmission is the same packet, so the server can tell it is a duplicate; a new request starts a new MFA prompt',
  },
  'no-second-prompt': {
    title: 'one login causes one MFA prompt',
    why: 'seed: the extension discards duplicates within 10 s, but a request built anew is a new login and prompts the user again',
  },
  'failover-second-prompt': {
    title: 'failover to the secondary server does not prompt the user again',
    why: 'seed (field reports): a NAS that fails over to a second NPS server while the first is still waiting on MFA sends a second push',
  },
  'message-authenticator': {
    title: 'Access-Requests carry Message-Authenticator, as the first attribute',
    why: 'RFC 3579 3.2 and the Blast-RADIUS guidance (CVE-2024-3596): Message-Authenticator in every Access-Request, placed first',
  },
  'nas-identification': {
    title: 'Access-Requests say which NAS sent them',
    why: "RFC 2865 4.1: an Access-Request MUST contain NAS-IP-Address or NAS-Identifier (or both); the seed's IP_WHITELIST needs NAS-IP-Address",
  },
  'calling-station-id': {
    title: "Access-Requests carry the client's address (Calling-Station-Id)",
    why: "RFC 2865 5.31 and RFC 3580: Calling-Station-Id identifies the user's device; MFA logs and fraud reports need it",
  },
  'challenge-handling': {
    title: 'Access-Challenge is answered: State echoed unmodified, the code in User-Password',
    why: "RFC 2865 4.4 and 5.24: the reply to an Access-Challenge carries the State unmodified; the seed's OTP methods send the code in User-Password",
  },
  'status-server': {
    title: 'the NAS checks the server with Status-Server',
    why: 'RFC 5997: Status-Server tells a live server from a dead one without a login, so failover need not wait on a user',
  },
  accounting: {
    title: 'the NAS sends accounting',
    why: 'RFC 2866: Accounting-Request Start and Stop for each session',
  },
};

export interface NasCheck {
  readonly id: NasCheckId;
  readonly verdict: Verdict;
  /** The RFC section or seed passage behind the check. */
  readonly why: string;
  /** What was seen, in words (numbers, not secrets). */
  readonly detail: string;
}

export type BackoffShape = 'fixed' | 'exponential' | 'irregular' | 'single';

/** The per-transmission timeout this NAS needs for one MFA response time, given what was measured. */
export interface TimeoutAdvice {
  readonly mfaResponseMs: number;
  /** Per-transmission timeout to configure (with the measured transmission count and mode). */
  readonly neededTimeoutMs: number;
  /** The NAS as measured waits long enough already. */
  readonly meets: boolean;
}

export interface NasEntry {
  readonly address: string;
  /** The wait after the first transmission (ms); null when no retransmission or failover showed it. */
  readonly timeoutMs: number | null;
  /** Transmissions of one request to one server (first + retransmissions); null when not seen. */
  readonly transmissions: number | null;
  /** How long it waits on one server before giving up (sum of the waits); null when not measured. */
  readonly giveUpMs: number | null;
  /** Every wait between transmissions of the longest attempt, in order. */
  readonly intervalsMs: readonly number[];
  readonly backoff: BackoffShape;
  /** null: no retransmission was seen, so neither was shown. */
  readonly retransmission: 'same' | 'naive' | null;
  readonly messageAuthenticator: MessageAuthenticatorPlacement;
  readonly nasIpAddress?: string;
  readonly nasIdentifier?: string;
  readonly callingStationId: boolean;
  readonly authMethods: readonly AuthKind[];
  readonly statusServer: number;
  readonly accounting: {
    readonly start: number;
    readonly stop: number;
    readonly interim: number;
    readonly other: number;
  };
  readonly failovers: number;
  readonly packets: number;
  readonly advice: readonly TimeoutAdvice[];
  readonly checks: readonly NasCheck[];
}

export type ProbeOutcome = 'accept' | 'reject' | 'challenge' | 'late-accept' | 'no-answer' | 'not-tried';

export interface ProbeUserResult {
  readonly user: string;
  readonly nas: string;
  /** The MFA behaviour the name promises, in words. */
  readonly expectation: string;
  /** accept: the NAS got an Access-Accept in time; late-accept: it came after the NAS had given up. */
  readonly outcome: ProbeOutcome;
  readonly success: boolean;
  readonly attempts: number;
  /** Datagrams to and from the server for this user. */
  readonly packets: number;
  readonly prompts: number;
  /** From the first transmission to the last reply (ms), when there was one. */
  readonly durationMs?: number;
  readonly authMethod?: AuthKind;
}

export interface NasValidationResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly kind: 'nas-validation';
  readonly tool: { readonly name: 'radmfa'; readonly version: string };
  readonly startedAt: string;
  readonly durationMs: number;
  /** Why the run ended. */
  readonly stoppedBy: 'duration' | 'signal' | 'steps';
  readonly servers: { readonly primary: string; readonly secondary?: string };
  readonly summary: {
    readonly checks: number;
    readonly pass: number;
    readonly warn: number;
    readonly fail: number;
  };
  readonly nas: readonly NasEntry[];
  readonly users: readonly ProbeUserResult[];
  readonly capture: { readonly packets: number; readonly dropped: number; readonly pcap?: string };
  /** Steps file results, when --steps ran. */
  readonly steps?: readonly {
    readonly label: string;
    readonly outcome: 'ok' | 'failed';
    readonly detail?: string;
  }[];
}

export { RESULT_SCHEMA_VERSION };
