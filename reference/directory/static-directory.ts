// A directory held in memory: the records a fixture describes, looked up and checked the way
// LdapDirectory reads a real one (sAMAccountName or UPN, NetBIOS domain stripped, account state from
// userAccountControl and the time attributes, NT hash for MS-CHAP, cleartext for CHAP). It serves
// virtual-time runs, where an LDAP connection over real sockets would not follow the VirtualClock,
// and is what `directory: { static: { fixture } }` names in the server config (the analogue of
// FreeRADIUS `files`: load tests that are not about the directory pay no LDAP round trip).
import { ntPasswordHash } from '../../protocol/auth/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import { adAccountExpiresAt } from '../../protocol/ad-account.ts';
import { accountState } from './account-state.ts';
import { stripNetbiosDomain } from './ldap-directory.ts';
import type { BindResult, Directory, DirectoryUser, LookupResult } from './types.ts';

/** One user as a fixture states it: the LDAP attributes AD would serve, plus the password. */
export interface StaticUserRecord {
  readonly dn: string;
  readonly sAMAccountName: string;
  readonly userPrincipalName?: string;
  /** Absent: the account has no password a bind could match. */
  readonly password?: string;
  /** Group DNs or names, as memberOf lists them. */
  readonly memberOf: readonly string[];
  /**
   * Every other attribute, names as in the fixture (userAccountControl, accountExpires, lockoutTime,
   * pwdLastSet, mail...); read case-insensitively.
   */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export interface StaticDirectoryOptions {
  readonly users: readonly StaticUserRecord[];
  readonly clock: Clock;
  /** Latency of every lookup and bind, on the clock. Default 0. */
  readonly latencyMs?: number;
}

const NOT_FOUND: LookupResult = { kind: 'not-found' };

function groupNames(memberOf: readonly string[]): string[] {
  // Policies name groups by CN or by DN, as with LdapDirectory: keep both forms.
  const names = new Set<string>();
  for (const dn of memberOf) {
    names.add(dn);
    const cn = /^cn=([^,]+)/i.exec(dn)?.[1];
    if (cn !== undefined) names.add(cn);
  }
  return [...names];
}

/**
 * A record with its answers worked out once, at load: the account state changes only when the
 * account expires (accountExpires is the one rule that reads the time), so there are at most two.
 */
interface Prepared {
  readonly record: StaticUserRecord;
  /** Clock time (ms) from which `expired` is the answer; undefined: the account never expires. */
  readonly expiresAt: number | undefined;
  readonly beforeExpiry: LookupResult;
  readonly expired: LookupResult;
}

function prepare(record: StaticUserRecord): Prepared {
  const user = prepareUser(record);
  const expiresAt = adAccountExpiresAt(user.attributes);
  const found = (now: number): LookupResult => ({
    kind: 'found',
    user: { ...user, state: accountState(user.attributes, now) },
  });
  // Without an expiry any time gives the same state; 0 stands for all of them.
  const beforeExpiry = found(expiresAt === undefined ? 0 : expiresAt - 1);
  return {
    record,
    expiresAt,
    beforeExpiry,
    expired: expiresAt === undefined ? beforeExpiry : found(expiresAt),
  };
}

export class StaticDirectory implements Directory {
  private readonly byName = new Map<string, Prepared>();
  private readonly clock: Clock;
  private readonly latencyMs: number;

  constructor(options: StaticDirectoryOptions) {
    this.clock = options.clock;
    this.latencyMs = options.latencyMs ?? 0;
    for (const record of options.users) {
      // The NT hash (MD4) and the attribute map are built here, not per lookup: under load the
      // per-request MD4 and copies were most of this directory's cost.
      const prepared = prepare(record);
      this.byName.set(record.sAMAccountName.toLowerCase(), prepared);
      if (record.userPrincipalName !== undefined)
        this.byName.set(record.userPrincipalName.toLowerCase(), prepared);
    }
  }

  get size(): number {
    return new Set(this.byName.values()).size;
  }

  findUser(userName: string): LookupResult | Promise<LookupResult> {
    if (this.latencyMs > 0) return this.clock.sleep(this.latencyMs).then(() => this.lookup(userName));
    return this.lookup(userName);
  }

  private lookup(userName: string): LookupResult {
    const prepared = this.byName.get(stripNetbiosDomain(userName).toLowerCase());
    if (prepared === undefined) return NOT_FOUND;
    // Every login shares one of the two answers (callers only read them): parsing the account's
    // FILETIMEs and copying the user per lookup was most of this directory's cost and garbage.
    const { expiresAt } = prepared;
    return expiresAt !== undefined && Math.trunc(this.clock.now()) >= expiresAt
      ? prepared.expired
      : prepared.beforeExpiry;
  }

  bindAsUser(user: DirectoryUser, password: string): BindResult | Promise<BindResult> {
    if (this.latencyMs > 0) return this.clock.sleep(this.latencyMs).then(() => this.bind(user, password));
    return this.bind(user, password);
  }

  private bind(user: DirectoryUser, password: string): BindResult {
    const record = this.byName.get(user.accountName.toLowerCase())?.record;
    // An empty password would be an anonymous bind, which LDAP accepts (RFC 4513 5.1.2): refuse it.
    if (record?.password === undefined || password === '' || record.password !== password) {
      return 'invalid-credentials';
    }
    return 'ok';
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function prepareUser(record: StaticUserRecord): Omit<DirectoryUser, 'state'> {
  const attributes: Record<string, readonly string[]> = {};
  for (const [name, values] of Object.entries(record.attributes)) attributes[name.toLowerCase()] = values;
  attributes.samaccountname = [record.sAMAccountName];
  if (record.userPrincipalName !== undefined) attributes.userprincipalname = [record.userPrincipalName];
  if (record.memberOf.length > 0) attributes.memberof = record.memberOf;
  return {
    dn: record.dn,
    accountName: record.sAMAccountName,
    ...(record.userPrincipalName !== undefined ? { userPrincipalName: record.userPrincipalName } : {}),
    groups: groupNames(record.memberOf),
    ...(record.password !== undefined
      ? { ntHash: ntPasswordHash(record.password), cleartextPassword: record.password }
      : {}),
    attributes,
  };
}
