// Public surface of the LDAP directory stub.
export { startLdapStub, type LdapStub, type LdapStubOptions } from './stub.ts';
export {
  checkDirectoryFixture,
  DEFAULT_PWD_LAST_SET,
  DEMO_DIRECTORY_FIXTURE_PATH,
  loadDirectoryFixture,
  parseDirectoryFixture,
  validateDirectoryFixture,
  type DirectoryFixture,
  type DirectoryFixtureInput,
  type DirectoryGroup,
  type DirectoryUser,
  type FixtureCheck,
  type GroupInput,
  type UserInput,
} from './fixture.ts';
export {
  AD_BIND_DATA_CODES,
  Directory,
  selectAttributes,
  type BindDecision,
  type BindFailureReason,
  type BoundIdentity,
  type DirectorySearchRequest,
  type DirectorySearchResult,
  type SearchScope,
} from './directory.ts';
export { buildDirectoryEntries, DirectoryEntry, sambaNtPassword, type EntryAttribute } from './entries.ts';
export * from './account-state.ts';
export { filetimeFromUnixMs, unixMsFromFiletime, FILETIME_NEVER, parseTimeValue } from './filetime.ts';
export { filterToString, matchesFilter, type LdapFilter } from './filter.ts';
export {
  DEFAULT_REFUSAL,
  NO_FAULTS,
  type LdapFaults,
  type LdapFaultsInput,
  type LdapOperationKind,
} from './faults.ts';
export {
  LdapHistory,
  type LdapBindRecord,
  type LdapOperationRecord,
  type LdapSearchRecord,
} from './history.ts';
export { DirectoryFixtureError, LdapStubError, type LdapStubErrorCode } from './errors.ts';
export { LdapResultCode } from './result-codes.ts';
export { directoryToLdif } from './ldif.ts';
export { RADMFA_OPENLDAP_SCHEMA } from './openldap-schema.ts';
