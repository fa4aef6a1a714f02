// Errors the LDAP stub raises, each with a stable code callers can branch on.
import { formatIssues, type Issue } from '../../runtime/validation/index.ts';

export type LdapStubErrorCode =
  | 'LDAP_FIXTURE_INVALID'
  | 'LDAP_FIXTURE_UNREADABLE'
  | 'LDAP_FAULTS_INVALID'
  | 'LDAP_STUB_LISTEN_FAILED'
  | 'LDAP_STUB_STOPPED';

export class LdapStubError extends Error {
  constructor(
    readonly code: LdapStubErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`ldap stub: ${message}`, options);
    this.name = 'LdapStubError';
  }
}

/** Every problem found in a fixture at once, so one edit can fix them all. */
export class DirectoryFixtureError extends LdapStubError {
  constructor(
    readonly issues: readonly Issue[],
    readonly source?: string,
  ) {
    const where = source === undefined ? 'directory fixture' : `directory fixture ${source}`;
    super(
      'LDAP_FIXTURE_INVALID',
      `${where} is invalid (${issues.length} problem(s)):\n${formatIssues(issues)}`,
    );
    this.name = 'DirectoryFixtureError';
  }
}
