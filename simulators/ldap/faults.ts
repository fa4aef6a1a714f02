// Faults the LDAP stub can inject, changeable while it runs: what a flaky or dead domain controller
// looks like to the RADIUS server in front of it.
import { LdapStubError } from './errors.ts';
import { LdapResultCode } from './result-codes.ts';

export type LdapOperationKind = 'bind' | 'search' | 'other';

export const LDAP_OPERATION_KINDS: readonly LdapOperationKind[] = ['bind', 'search', 'other'];

export interface LdapRefusal {
  readonly resultCode: number;
  readonly diagnosticMessage: string;
}

export interface LdapFaults {
  /** Added before every answer, measured on the stub's Clock. */
  readonly latencyMs: number;
  /** When set, every bind gets this error instead of a password check. */
  readonly refuseBinds: LdapRefusal | null;
  /** Operations that are received but never answered; the connection stays open. */
  readonly hang: readonly LdapOperationKind[];
  /** Listener closed and open connections reset: clients get ECONNREFUSED until it is up again. */
  readonly down: boolean;
}

export interface LdapFaultsInput {
  readonly latencyMs?: number;
  /** true: refuse with unavailable (52); an object picks the code and message; false/null: stop. */
  readonly refuseBinds?: boolean | Partial<LdapRefusal> | null;
  /** true: every operation; a list: just those; false: none. */
  readonly hang?: boolean | readonly LdapOperationKind[];
  readonly down?: boolean;
}

export const NO_FAULTS: LdapFaults = { latencyMs: 0, refuseBinds: null, hang: [], down: false };

export const DEFAULT_REFUSAL: LdapRefusal = {
  resultCode: LdapResultCode.unavailable,
  diagnosticMessage: 'radmfa ldap stub: binds refused (fault injection)',
};

/** Applies a partial change to the current faults; fields left out keep their value. */
export function mergeFaults(current: LdapFaults, input: LdapFaultsInput): LdapFaults {
  const problems: string[] = [];
  let latencyMs = current.latencyMs;
  if (input.latencyMs !== undefined) {
    if (!Number.isFinite(input.latencyMs) || input.latencyMs < 0) {
      problems.push(`latencyMs must be a finite number >= 0 (got ${input.latencyMs})`);
    } else {
      latencyMs = input.latencyMs;
    }
  }
  let refuseBinds = current.refuseBinds;
  if (input.refuseBinds !== undefined) {
    if (input.refuseBinds === false || input.refuseBinds === null) refuseBinds = null;
    else if (input.refuseBinds === true) refuseBinds = DEFAULT_REFUSAL;
    else {
      const code = input.refuseBinds.resultCode ?? DEFAULT_REFUSAL.resultCode;
      if (!Number.isInteger(code) || code <= 0 || code > 0x7fffffff) {
        problems.push(
          `refuseBinds.resultCode must be a non-zero LDAP result code such as 51 or 52 (got ${code})`,
        );
      }
      refuseBinds = {
        resultCode: code,
        diagnosticMessage: input.refuseBinds.diagnosticMessage ?? DEFAULT_REFUSAL.diagnosticMessage,
      };
    }
  }
  let hang = current.hang;
  if (input.hang !== undefined) {
    if (input.hang === true) hang = LDAP_OPERATION_KINDS;
    else if (input.hang === false) hang = [];
    else {
      const unknown = input.hang.filter((kind) => !LDAP_OPERATION_KINDS.includes(kind));
      if (unknown.length > 0)
        problems.push(
          `hang lists unknown operations ${unknown.join(', ')}; use ${LDAP_OPERATION_KINDS.join(', ')}`,
        );
      hang = [...new Set(input.hang)];
    }
  }
  if (problems.length > 0)
    throw new LdapStubError('LDAP_FAULTS_INVALID', `invalid faults: ${problems.join('; ')}`);
  return { latencyMs, refuseBinds, hang, down: input.down ?? current.down };
}
