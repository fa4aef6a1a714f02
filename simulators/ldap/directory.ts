// The stub's directory engine: simple binds and searches over the fixture's entries, with Active
// Directory's answers. Pure: no sockets, no clock (callers pass the time), no ldapjs.
import { accountState, type AccountState } from './account-state.ts';
import { depthBelow, normalizeDn, parentDn, type NormalizedDn } from './dn.ts';
import { buildDirectoryEntries, DirectoryEntry, type EntryAttribute } from './entries.ts';
import { matchesFilter, type LdapFilter } from './filter.ts';
import type { DirectoryFixture, DirectoryUser } from './fixture.ts';
import { LdapResultCode } from './result-codes.ts';

export type SearchScope = 'base' | 'one' | 'sub';

/** Who a connection is bound as. Connections start anonymous (RFC 4513 section 5.1). */
export type BoundIdentity =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'entry'; readonly dn: string; readonly entryKind: 'service-account' | 'user' };

export const ANONYMOUS: BoundIdentity = { kind: 'anonymous' };

export type BindFailureReason =
  | 'anonymous-not-allowed'
  | 'unauthenticated-bind'
  | 'no-such-entry'
  | 'not-a-user'
  | 'no-password'
  | 'wrong-password'
  | Exclude<AccountState, 'active'>;

export type BindDecision =
  | { readonly ok: true; readonly identity: BoundIdentity }
  | {
      readonly ok: false;
      readonly reason: BindFailureReason;
      readonly resultCode: number;
      readonly diagnosticMessage: string;
    };

/**
 * The "data" codes AD puts in an invalidCredentials (49) diagnostic so that clients can tell why a
 * bind failed. The stub uses the same strings, so a server written against AD parses them unchanged.
 */
export const AD_BIND_DATA_CODES: Readonly<Record<BindFailureReason, string | undefined>> = {
  'anonymous-not-allowed': undefined,
  'unauthenticated-bind': undefined,
  'no-such-entry': '525',
  'not-a-user': '525',
  'no-password': '52e',
  'wrong-password': '52e',
  'password-expired': '532',
  disabled: '533',
  'account-expired': '701',
  'password-must-change': '773',
  locked: '775',
};

function adBindDiagnostic(dataCode: string): string {
  return `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${dataCode}, v4563`;
}

/** AD's answer to an operation on a connection that has not bound. */
const AD_BIND_REQUIRED =
  '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563';

export interface DirectorySearchRequest {
  readonly baseDn: string;
  readonly scope: SearchScope;
  readonly filter: LdapFilter;
  /** Requested attribute descriptions; empty or "*" for all user attributes, "1.1" for none. */
  readonly attributes: readonly string[];
  /** 0 means no limit. */
  readonly sizeLimit: number;
  readonly typesOnly: boolean;
}

export interface SearchResultEntry {
  readonly dn: string;
  readonly attributes: readonly EntryAttribute[];
}

export interface DirectorySearchResult {
  readonly resultCode: number;
  readonly diagnosticMessage: string;
  readonly matchedDn: string;
  readonly entries: readonly SearchResultEntry[];
}

export interface DirectoryOptions {
  /** Allow anonymous binds and anonymous searches (default false, as AD's default is). */
  readonly allowAnonymous?: boolean;
}

export class Directory {
  readonly entries: readonly DirectoryEntry[];
  readonly baseDn: string;
  readonly serviceAccount: { readonly dn: string; readonly password: string };
  private readonly byKey: ReadonlyMap<string, DirectoryEntry>;
  private readonly rootDse: DirectoryEntry;
  private readonly allowAnonymous: boolean;
  private readonly accounts: ReadonlyMap<string, DirectoryUser>;

  constructor(
    readonly fixture: DirectoryFixture,
    options: DirectoryOptions = {},
  ) {
    this.entries = buildDirectoryEntries(fixture);
    this.byKey = new Map(this.entries.map((entry) => [entry.normalized.key, entry]));
    this.baseDn = fixture.baseDn;
    this.serviceAccount = { dn: fixture.serviceAccount.dn, password: fixture.serviceAccount.password ?? '' };
    this.allowAnonymous = options.allowAnonymous ?? false;
    this.accounts = new Map(
      [fixture.serviceAccount, ...fixture.users].map((account) => [
        normalizeDn(account.dn)?.key ?? '',
        account,
      ]),
    );
    this.rootDse = new DirectoryEntry('', 'base', [
      { name: 'objectClass', values: ['top'] },
      { name: 'namingContexts', values: [fixture.baseDn] },
      { name: 'defaultNamingContext', values: [fixture.baseDn] },
      { name: 'supportedLDAPVersion', values: ['3'] },
      { name: 'vendorName', values: ['radmfa LDAP stub'] },
    ]);
  }

  entry(dn: string): DirectoryEntry | undefined {
    const key = normalizeDn(dn);
    return key === undefined ? undefined : this.byKey.get(key.key);
  }

  /** Simple bind (RFC 4513 section 5.1) decided as AD does, at `nowMs` for expiry checks. */
  bind(dn: string, password: string, nowMs: number): BindDecision {
    if (dn.trim() === '') {
      if (password !== '')
        return this.refuse(
          'unauthenticated-bind',
          LdapResultCode.unwillingToPerform,
          'empty DN with a password',
        );
      return this.allowAnonymous
        ? { ok: true, identity: ANONYMOUS }
        : this.refuse(
            'anonymous-not-allowed',
            LdapResultCode.inappropriateAuthentication,
            'anonymous bind disallowed',
          );
    }
    // RFC 4513 5.1.2: a name without a password is an unauthenticated bind, refused by default.
    if (password === '') {
      return this.refuse(
        'unauthenticated-bind',
        LdapResultCode.unwillingToPerform,
        'unauthenticated bind (DN with no password) disallowed',
      );
    }
    const entry = this.entry(dn);
    if (entry === undefined) return this.refuseAd('no-such-entry');
    if (entry.kind !== 'user' && entry.kind !== 'service-account') return this.refuseAd('not-a-user');
    const account = this.accounts.get(entry.normalized.key);
    if (account === undefined) return this.refuseAd('no-such-entry');
    const state = accountState(account, nowMs);
    // AD reports a lockout whatever the password; the other states only once the password is right.
    if (state === 'locked') return this.refuseAd('locked');
    if (account.password === undefined) return this.refuseAd('no-password');
    if (account.password !== password) return this.refuseAd('wrong-password');
    if (state !== 'active') return this.refuseAd(state);
    return { ok: true, identity: { kind: 'entry', dn: entry.dn, entryKind: entry.kind } };
  }

  search(request: DirectorySearchRequest, identity: BoundIdentity): DirectorySearchResult {
    const base = normalizeDn(request.baseDn);
    if (base === undefined) {
      return this.searchError(LdapResultCode.invalidDnSyntax, `invalid base DN: ${request.baseDn}`);
    }
    const isRootDse = base.rdns.length === 0 && request.scope === 'base';
    if (identity.kind === 'anonymous' && !this.allowAnonymous && !isRootDse) {
      return this.searchError(LdapResultCode.operationsError, AD_BIND_REQUIRED);
    }
    const candidates = isRootDse ? [this.rootDse] : this.inScope(base, request.scope);
    if (candidates === undefined) {
      return {
        resultCode: LdapResultCode.noSuchObject,
        diagnosticMessage: `no such object: ${request.baseDn}`,
        matchedDn: this.closestAncestor(base),
        entries: [],
      };
    }
    const entries: SearchResultEntry[] = [];
    for (const entry of candidates) {
      if (!matchesFilter(entry, request.filter)) continue;
      if (request.sizeLimit > 0 && entries.length === request.sizeLimit) {
        return {
          resultCode: LdapResultCode.sizeLimitExceeded,
          diagnosticMessage: '',
          matchedDn: '',
          entries,
        };
      }
      entries.push({
        dn: entry.dn,
        attributes: selectAttributes(entry, request.attributes, request.typesOnly),
      });
    }
    return { resultCode: LdapResultCode.success, diagnosticMessage: '', matchedDn: '', entries };
  }

  /** The entries a scope covers below `base`, or undefined when the base entry does not exist. */
  private inScope(base: NormalizedDn, scope: SearchScope): readonly DirectoryEntry[] | undefined {
    if (!this.byKey.has(base.key)) return undefined;
    return this.entries.filter((entry) => {
      const depth = depthBelow(entry.normalized, base);
      if (depth === undefined) return false;
      return scope === 'base' ? depth === 0 : scope === 'one' ? depth === 1 : true;
    });
  }

  private closestAncestor(dn: NormalizedDn): string {
    let current = dn;
    // Bounded by the DN's depth: each step drops one RDN.
    while (current.rdns.length > 0) {
      current = parentDn(current);
      const found = this.byKey.get(current.key);
      if (found !== undefined) return found.dn;
    }
    return '';
  }

  private searchError(resultCode: number, diagnosticMessage: string): DirectorySearchResult {
    return { resultCode, diagnosticMessage, matchedDn: '', entries: [] };
  }

  private refuse(reason: BindFailureReason, resultCode: number, diagnosticMessage: string): BindDecision {
    return { ok: false, reason, resultCode, diagnosticMessage };
  }

  private refuseAd(reason: BindFailureReason): BindDecision {
    const data = AD_BIND_DATA_CODES[reason] ?? '52e';
    return this.refuse(reason, LdapResultCode.invalidCredentials, adBindDiagnostic(data));
  }
}

/** RFC 4511 4.5.1.8: which attributes a search returns, names matched without regard to case. */
export function selectAttributes(
  entry: DirectoryEntry,
  requested: readonly string[],
  typesOnly: boolean,
): EntryAttribute[] {
  const wanted = requested.map((name) => name.toLowerCase());
  const all = wanted.length === 0 || wanted.includes('*');
  const noneButSpecial = wanted.length === 1 && wanted[0] === '1.1';
  const chosen = noneButSpecial
    ? []
    : entry.attributes.filter((attribute) => all || wanted.includes(attribute.name.toLowerCase()));
  return chosen.map((attribute) => ({
    name: attribute.name,
    values: typesOnly ? [] : [...attribute.values],
  }));
}
