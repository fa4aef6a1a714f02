// A directory held in memory: the records a fixture describes, looked up and checked the way
// LdapDirectory reads a real one (sAMAccountName or UPN, NetBIOS domain stripped, account state from
// userAccountControl and the time attributes, NT hash for MS-CHAP, cleartext for CHAP). It serves
// virtual-time runs, where an LDAP connection over real sockets would not follow the VirtualClock,
// and is what `directory: { static: { fixture } }` will name in the server config.
import { ntPasswordHash } from '../../protocol/auth/index.ts';
import type { Clock } from '../../runtime/clock.ts';
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

export class StaticDirectory implements Directory {
  private readonly byName = new Map<string, StaticUserRecord>();
  private readonly clock: Clock;
  private readonly latencyMs: number;

  constructor(options: StaticDirectoryOptions) {
    this.clock = options.clock;
    this.latencyMs = options.latencyMs ?? 0;
    for (const user of options.users) {
      this.byName.set(user.sAMAccountName.toLowerCase(), user);
      if (user.userPrincipalName !== undefined) this.byName.set(user.userPrincipalName.toLowerCase(), user);
    }
  }

  async findUser(userName: string): Promise<LookupResult> {
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    const record = this.byName.get(stripNetbiosDomain(userName).toLowerCase());
    return record === undefined ? { kind: 'not-found' } : { kind: 'found', user: this.toUser(record) };
  }

  async bindAsUser(user: DirectoryUser, password: string): Promise<BindResult> {
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    const record = this.byName.get(user.accountName.toLowerCase());
    // An empty password would be an anonymous bind, which LDAP accepts (RFC 4513 5.1.2): refuse it.
    if (record?.password === undefined || password === '' || record.password !== password) {
      return 'invalid-credentials';
    }
    return 'ok';
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private toUser(record: StaticUserRecord): DirectoryUser {
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
      state: accountState(attributes, this.clock.now()),
      ...(record.password !== undefined
        ? { ntHash: ntPasswordHash(record.password), cleartextPassword: record.password }
        : {}),
      attributes,
    };
  }
}
