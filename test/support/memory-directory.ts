// An in-memory Directory for reference-server tests: users, groups, account state, NT hash and
// cleartext passwords, latency on the injected Clock (so a 10 s LDAP search takes no wall time
// under a VirtualClock), and switches that make the whole directory or one user unavailable.
import { ntPasswordHash } from '../../protocol/auth/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import type {
  AccountState,
  BindResult,
  Directory,
  DirectoryUser,
  LookupResult,
} from '../../reference/directory/types.ts';

export interface MemoryUser {
  readonly name: string;
  /** The password a bind checks; also the source of the NT hash and the cleartext by default. */
  readonly password: string;
  readonly groups?: readonly string[];
  readonly state?: AccountState;
  readonly userPrincipalName?: string;
  /** false: no NT hash stored (MS-CHAP fails as a real directory without sambaNTPassword would). */
  readonly storeNtHash?: boolean;
  /** false: no cleartext stored (CHAP and EAP-MD5 cannot be checked). */
  readonly storeCleartext?: boolean;
  /** Extra attributes, lower-cased names, as LdapDirectory reports them. */
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

export interface MemoryDirectoryOptions {
  readonly clock: Clock;
  readonly users?: readonly MemoryUser[];
  /** Latency of every findUser (the LDAP search), unless a per-user latency is set. Default 0. */
  readonly latencyMs?: number;
  /** Latency of every bindAsUser (the PAP password check). Default 0. */
  readonly bindLatencyMs?: number;
}

/** One call the server made, for assertions ("the directory was asked once"). */
export interface DirectoryCall {
  readonly kind: 'find' | 'bind';
  readonly userName: string;
  readonly at: number;
}

export class MemoryDirectory implements Directory {
  /** Every directory call, in order of arrival. */
  readonly calls: DirectoryCall[] = [];
  /** Whole-directory outage: every call answers `unavailable` (after its latency). */
  unavailable = false;
  /** Per-user outage: calls for these names answer `unavailable`, the others go on. */
  readonly unavailableUsers = new Set<string>();
  private readonly users = new Map<string, MemoryUser>();
  private readonly latencies = new Map<string, number>();
  private readonly clock: Clock;
  private defaultLatencyMs: number;
  private readonly bindLatencyMs: number;

  constructor(options: MemoryDirectoryOptions) {
    this.clock = options.clock;
    this.defaultLatencyMs = options.latencyMs ?? 0;
    this.bindLatencyMs = options.bindLatencyMs ?? 0;
    for (const user of options.users ?? []) this.addUser(user);
  }

  addUser(user: MemoryUser): this {
    this.users.set(user.name.toLowerCase(), user);
    return this;
  }

  /** Latency of one user's lookups (ms on the clock); `undefined` restores the default. */
  setLatency(userName: string, ms: number | undefined): this {
    if (ms === undefined) this.latencies.delete(userName.toLowerCase());
    else this.latencies.set(userName.toLowerCase(), ms);
    return this;
  }

  setDefaultLatency(ms: number): this {
    this.defaultLatencyMs = ms;
    return this;
  }

  /** How many calls of `kind` were made for `userName` (case-insensitive). */
  count(kind: DirectoryCall['kind'], userName?: string): number {
    return this.calls.filter(
      (call) =>
        call.kind === kind &&
        (userName === undefined || call.userName.toLowerCase() === userName.toLowerCase()),
    ).length;
  }

  async findUser(userName: string): Promise<LookupResult> {
    const name = stripDomain(userName);
    this.calls.push({ kind: 'find', userName: name, at: this.clock.now() });
    await this.wait(this.latencies.get(name.toLowerCase()) ?? this.defaultLatencyMs);
    if (this.isUnavailable(name)) return { kind: 'unavailable', reason: 'memory directory switched off' };
    const user = this.users.get(name.toLowerCase());
    return user === undefined ? { kind: 'not-found' } : { kind: 'found', user: toDirectoryUser(user) };
  }

  async bindAsUser(user: DirectoryUser, password: string): Promise<BindResult> {
    this.calls.push({ kind: 'bind', userName: user.accountName, at: this.clock.now() });
    await this.wait(this.bindLatencyMs);
    if (this.isUnavailable(user.accountName)) return { unavailable: 'memory directory switched off' };
    const stored = this.users.get(user.accountName.toLowerCase());
    // An empty password would be an anonymous bind, which LDAP accepts (RFC 4513 5.1.2): refuse it.
    if (stored === undefined || password === '' || stored.password !== password) return 'invalid-credentials';
    return 'ok';
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private isUnavailable(userName: string): boolean {
    return this.unavailable || this.unavailableUsers.has(userName.toLowerCase());
  }

  private async wait(ms: number): Promise<void> {
    if (ms > 0) await this.clock.sleep(ms);
  }
}

/** "DOMAIN\\alice" is looked up as alice, as LdapDirectory does. */
function stripDomain(userName: string): string {
  const slash = userName.indexOf('\\');
  return slash >= 0 ? userName.slice(slash + 1) : userName;
}

function toDirectoryUser(user: MemoryUser): DirectoryUser {
  return {
    dn: `CN=${user.name},OU=Users,DC=radmfa,DC=test`,
    accountName: user.name,
    ...(user.userPrincipalName !== undefined ? { userPrincipalName: user.userPrincipalName } : {}),
    groups: [...(user.groups ?? [])],
    state: user.state ?? 'active',
    ...(user.storeNtHash !== false ? { ntHash: ntPasswordHash(user.password) } : {}),
    ...(user.storeCleartext !== false ? { cleartextPassword: user.password } : {}),
    attributes: { samaccountname: [user.name], ...(user.attributes ?? {}) },
  };
}
