// What the server needs from a directory, whatever speaks LDAP behind it.

import type { AdAccountState } from '../../protocol/ad-account.ts';
import type { AuthMethod } from '../methods.ts';
import type { PoolStats } from './ldap-pool.ts';

/** protocol/ad-account.ts decides it, in AD's order (disabled, locked, expired, password). */
export type AccountState = AdAccountState;

export interface DirectoryUser {
  readonly dn: string;
  /** The name the user logged in with, as found (sAMAccountName when present). */
  readonly accountName: string;
  readonly userPrincipalName?: string;
  readonly groups: readonly string[];
  readonly state: AccountState;
  /** For MS-CHAP / MS-CHAPv2 / EAP-MSCHAPv2. */
  readonly ntHash?: Buffer;
  /** For CHAP / EAP-MD5, which need the cleartext. */
  readonly cleartextPassword?: string;
  /**
   * The attributes the search returned, lower-cased names (for the alternate login id). An LDAP
   * directory asks for only what the login reads (login-attributes.ts): not the whole entry.
   */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export type LookupResult =
  | { readonly kind: 'found'; readonly user: DirectoryUser }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly reason: string };

export type BindResult = 'ok' | 'invalid-credentials' | { readonly unavailable: string };

/** Connection use of an LDAP directory, for the metrics (an in-memory directory has none). */
export interface DirectoryStats {
  readonly bind: PoolStats;
  readonly search: { readonly connections: number; readonly max: number; readonly searches: number };
}

/**
 * A directory that has the answer at hand (in memory) may return it instead of a Promise, so a
 * login that waits on nothing costs the server no promise per step; callers accept either.
 */
export interface Directory {
  /**
   * The login's method, when known, lets a directory read only the secret that method checks (none
   * for PAP, the cleartext for CHAP and EAP-MD5, the NT hash for the MS-CHAP family); without it,
   * both are read.
   */
  findUser(userName: string, method?: AuthMethod): LookupResult | Promise<LookupResult>;
  /** PAP: a bind as the user is the password check, as NPS does against AD. */
  bindAsUser(user: DirectoryUser, password: string): BindResult | Promise<BindResult>;
  close(): Promise<void>;
  stats?(): DirectoryStats;
}
