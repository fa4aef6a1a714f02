// Errors the LDAP stub raises, each with a stable code callers can branch on.

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

/** One problem in a directory fixture: where it is (`users[2].dn`) and what to do about it. */
export interface FixtureIssue {
  readonly path: string;
  readonly message: string;
}

/** Every problem found in a fixture at once, so one edit can fix them all. */
export class DirectoryFixtureError extends LdapStubError {
  constructor(
    readonly issues: readonly FixtureIssue[],
    readonly source?: string,
  ) {
    const where = source === undefined ? 'directory fixture' : `directory fixture ${source}`;
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`);
    super('LDAP_FIXTURE_INVALID', `${where} is invalid (${issues.length} problem(s)):\n${lines.join('\n')}`);
    this.name = 'DirectoryFixtureError';
  }
}
