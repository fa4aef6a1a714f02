import { BerWriter, FilterParser, SearchRequest } from 'ldapts';
import type { Clock } from '../../runtime/clock.ts';
import { SearchRequestTemplate } from '../../protocol/ldap/messages.ts';
import type { DirectoryConfig } from '../config/server-config.ts';
import type { AuthMethod } from '../methods.ts';
import { withTimeout, type TimedOutcome } from '../timeout.ts';
import { accountState } from './account-state.ts';
import {
  LdapConnection,
  LdapOperationError,
  ldapTarget,
  type LdapEntry,
  type LdapTarget,
  type SearchOutcome,
} from './ldap-connection.ts';
import { ConnectionPool, type PooledConnection } from './ldap-pool.ts';
import { SECRET_NEEDS, loginAttributeLists, secretNeedOf, type SecretNeed } from './login-attributes.ts';
import type { BindResult, Directory, DirectoryStats, DirectoryUser, LookupResult } from './types.ts';

/** RFC 4515 3: characters that must be escaped inside a filter value. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** "RADMFA\\alice" logs in as alice: NPS strips the NetBIOS domain before looking the user up. */
export function stripNetbiosDomain(userName: string): string {
  const slash = userName.indexOf('\\');
  return slash >= 0 ? userName.slice(slash + 1) : userName;
}

function groupNames(memberOf: readonly string[]): string[] {
  // Policies name groups by CN ("VPN-Users") or by full DN; keep both forms.
  const names = new Set<string>();
  for (const dn of memberOf) {
    names.add(dn);
    const cn = /^cn=([^,]+)/i.exec(dn)?.[1];
    if (cn !== undefined) names.add(cn);
  }
  return [...names];
}

/** Stands for the User-Name while the filter template is encoded once; no filter metacharacter. */
const VALUE_PLACEHOLDER = 'radmfa-user-value-7c1e94b2d05f';

/** What every search sends besides the filter: as ldapts sent it before (scope sub, 10 s limit). */
const SEARCH_SHAPE = { scope: 2, derefAliases: 0, sizeLimit: 2, timeLimit: 10, typesOnly: false } as const;

/** Encodes the user search for one User-Name and message ID. */
export type UserSearchEncoder = (messageId: number, userName: string) => Buffer;

/** The SearchRequest ldapts would send for `filter` (a string): the reference for the template. */
function ldaptsSearchRequest(
  messageId: number,
  baseDn: string,
  filter: string,
  attributes: readonly string[],
): Buffer {
  return new SearchRequest({
    messageId,
    baseDN: baseDn,
    scope: 'sub',
    derefAliases: 'never',
    filter: FilterParser.parseString(filter),
    sizeLimit: SEARCH_SHAPE.sizeLimit,
    timeLimit: SEARCH_SHAPE.timeLimit,
    attributes: [...attributes],
  }).write();
}

/**
 * The filter with `{user}` replaced by the RFC 4515-escaped value: what ldapts parsed per search.
 * A replacer function, not a string: a string replacement would expand $', $` and $& in the
 * User-Name into pieces of the filter template (unbalanced parentheses, a different search).
 */
export function userFilterString(template: string, userName: string): string {
  const value = escapeFilterValue(userName);
  return template.replaceAll('{user}', () => value);
}

/**
 * The user search, encoded from a template built once: the filter string is parsed (by ldapts's
 * parser) at start-up only, with a placeholder where `{user}` stands, and each search writes the
 * User-Name's octets into the places the placeholder took. Before trusting the template it is
 * checked against ldapts's own encoding of the escaped filter for an awkward probe value; a filter
 * it cannot reproduce exactly (or cannot parse) is parsed per search instead, as before.
 */
export function userSearchEncoder(
  baseDn: string,
  filterTemplate: string,
  attributes: readonly string[],
): UserSearchEncoder {
  const perSearch: UserSearchEncoder = (messageId, userName) =>
    ldaptsSearchRequest(messageId, baseDn, userFilterString(filterTemplate, userName), attributes);
  let template: SearchRequestTemplate;
  try {
    const writer = new BerWriter();
    FilterParser.parseString(filterTemplate.replaceAll('{user}', VALUE_PLACEHOLDER)).write(writer);
    template = new SearchRequestTemplate({
      baseDn,
      ...SEARCH_SHAPE,
      filter: writer.buffer,
      placeholder: Buffer.from(VALUE_PLACEHOLDER, 'utf8'),
      attributes,
    });
  } catch {
    return perSearch;
  }
  const occurrences = filterTemplate.split('{user}').length - 1;
  const probe = 'pr*be)(x=\\5c\u00e9$&\u0000';
  const same =
    template.placeholders === occurrences &&
    template.encode(7, Buffer.from(probe, 'utf8')).equals(perSearch(7, probe));
  if (!same) return perSearch;
  return (messageId, userName) => template.encode(messageId, Buffer.from(userName, 'utf8'));
}

/** A pooled bind connection: opened on first use, and opened again when the directory closed it. */
class BindConnection implements PooledConnection {
  /** The open connection, kept apart from its opening so a bind on it awaits nothing more. */
  private open: LdapConnection | undefined;
  private opening: Promise<LdapConnection> | undefined;
  private closed = false;

  constructor(private readonly target: LdapTarget) {}

  bind(dn: string, password: string): Promise<void> {
    const open = this.open;
    if (open !== undefined && open.isOpen) return open.bind(dn, password);
    return this.reopen().then((connection) => connection.bind(dn, password));
  }

  private reopen(): Promise<LdapConnection> {
    this.open = undefined;
    const opening = LdapConnection.open(this.target);
    this.opening = opening;
    return opening.then((connection) => {
      // unbind() while this was opening: the pool has let go of it, so nothing may keep it open.
      if (this.closed || this.opening !== opening) connection.close();
      else this.open = connection;
      return connection;
    });
  }

  async unbind(): Promise<void> {
    this.closed = true;
    const { open, opening } = this;
    this.open = undefined;
    this.opening = undefined;
    open?.close();
    if (open === undefined) (await opening?.catch(() => undefined))?.close();
  }
}

export interface LdapDirectoryOptions {
  readonly config: DirectoryConfig;
  /** URL to use (the embedded stub's, when the config names a fixture instead of a URL). */
  readonly url: string;
  /** LDAP_ALTERNATE_LOGINID_ATTRIBUTE when MFA is on: the MFA step reads it from the entry. */
  readonly alternateLoginIdAttribute?: string;
  readonly clock: Clock;
}

function isBroken(error: Error): boolean {
  // Anything but a result code (reset, refused, an undecodable response) means the connection is gone.
  return !(error instanceof LdapOperationError) || error.broken;
}

function isInvalidCredentials(error: Error): boolean {
  return error instanceof LdapOperationError && error.invalidCredentials;
}

/**
 * Primary authentication against a real LDAP directory. Searches are spread over a few service
 * connections (LDAP multiplexes requests on each, so a slow search does not hold up others); user
 * binds take a connection from a bounded pool, since a bind changes the connection's identity and
 * needs it to itself for the round trip. Both speak through LdapConnection (protocol/ldap).
 */
export class LdapDirectory implements Directory {
  private readonly target: LdapTarget;
  /** One search encoder per secret need: each asks for exactly the attributes that login reads. */
  private readonly encodeSearch: Readonly<Record<SecretNeed, UserSearchEncoder>>;
  /** Service connections, opened on first use; a broken one is replaced on the next search. */
  private readonly services: (Promise<LdapConnection> | undefined)[];
  /** The same connections once open, so a search on one awaits nothing before it is written. */
  private readonly openServices: (LdapConnection | undefined)[];
  private nextService = 0;
  private searches = 0;
  private readonly binders: ConnectionPool<BindConnection>;

  constructor(private readonly options: LdapDirectoryOptions) {
    const { pool, baseDn, userFilter, cleartextPasswordAttribute, ntHashAttribute } = options.config;
    this.target = ldapTarget(options.url);
    const lists = loginAttributeLists({
      cleartextPasswordAttribute,
      ntHashAttribute,
      ...(options.alternateLoginIdAttribute !== undefined
        ? { alternateLoginIdAttribute: options.alternateLoginIdAttribute }
        : {}),
    });
    const encoders = {} as Record<SecretNeed, UserSearchEncoder>;
    for (const need of SECRET_NEEDS) encoders[need] = userSearchEncoder(baseDn, userFilter, lists[need]);
    this.encodeSearch = encoders;
    this.services = new Array<Promise<LdapConnection> | undefined>(pool.searchConnections).fill(undefined);
    this.openServices = new Array<LdapConnection | undefined>(pool.searchConnections).fill(undefined);
    this.binders = new ConnectionPool<BindConnection>({
      create: () => new BindConnection(this.target),
      max: pool.maxBindConnections,
      maxQueue: pool.maxQueue,
      clock: options.clock,
    });
  }

  stats(): DirectoryStats {
    return {
      bind: this.binders.stats(),
      search: {
        connections: this.services.filter((s) => s !== undefined).length,
        max: this.services.length,
        searches: this.searches,
      },
    };
  }

  private serviceConnection(slot: number): Promise<LdapConnection> {
    const existing = this.services[slot];
    if (existing !== undefined) return existing;
    const { bindDn, bindPassword } = this.options.config;
    const opening = LdapConnection.open(this.target).then(async (connection) => {
      try {
        if (bindDn !== '') await connection.bind(bindDn, bindPassword);
        return connection;
      } catch (error) {
        connection.close();
        throw error;
      }
    });
    this.services[slot] = opening;
    opening.then(
      (connection) => {
        if (this.services[slot] === opening) this.openServices[slot] = connection;
      },
      // A failed opening frees the slot, so the next search tries again.
      () => {
        if (this.services[slot] === opening) this.services[slot] = undefined;
      },
    );
    return opening;
  }

  private async dropService(slot: number): Promise<void> {
    const current = this.services[slot];
    this.services[slot] = undefined;
    this.openServices[slot] = undefined;
    (await current?.catch(() => undefined))?.close();
  }

  async findUser(userName: string, method?: AuthMethod): Promise<LookupResult> {
    const { config, clock } = this.options;
    const value = stripNetbiosDomain(userName);
    // No one has an empty name; and in a substring template ("(cn={user}*)") an empty value would
    // make the filter string "(cn=*)", a presence filter matching every entry.
    if (value === '') return { kind: 'not-found' };
    const slot = this.nextService;
    this.nextService = (slot + 1) % this.services.length;
    this.searches++;
    const encodeFor = this.encodeSearch[secretNeedOf(method)];
    const encode = (messageId: number): Buffer => encodeFor(messageId, value);
    const search = async (): Promise<SearchOutcome> => {
      const open = this.openServices[slot];
      if (open !== undefined && open.isOpen) {
        open.corkForTurn();
        return open.search(encode);
      }
      let connection = await this.serviceConnection(slot);
      if (!connection.isOpen) {
        // Closed since the last search (directory restart, idle timeout): a fresh one, bound again.
        await this.dropService(slot);
        connection = await this.serviceConnection(slot);
      }
      connection.corkForTurn();
      return connection.search(encode);
    };
    let outcome = await withTimeout(search(), config.timeoutMs, clock);
    if (outcome.kind === 'error' && isBroken(outcome.error)) {
      // The connection itself is gone (directory restarted, idle timeout): with several service
      // connections the others may be stale too, so one fresh try before calling it unavailable.
      await this.dropService(slot);
      outcome = await withTimeout(search(), config.timeoutMs, clock);
    }
    if (outcome.kind === 'timeout') {
      await this.dropService(slot);
      return { kind: 'unavailable', reason: `directory did not answer within ${config.timeoutMs} ms` };
    }
    if (outcome.kind === 'error') {
      if (isBroken(outcome.error)) await this.dropService(slot);
      return { kind: 'unavailable', reason: `directory error: ${outcome.error.message}` };
    }
    // Two or more entries for one login name (sizeLimitExceeded at 2, or both sent): ambiguous, so
    // no one, as NPS refuses.
    const { entries } = outcome.value;
    if (entries.length !== 1 || entries[0] === undefined) return { kind: 'not-found' };
    return { kind: 'found', user: this.toUser(entries[0], userName) };
  }

  private toUser(entry: LdapEntry, loginName: string): DirectoryUser {
    const attributes: Record<string, readonly string[]> = {};
    for (const { type, values } of entry.attributes) attributes[type.toLowerCase()] = values;
    const { config } = this.options;
    const ntHex = attributes[config.ntHashAttribute.toLowerCase()]?.[0];
    const cleartext = attributes[config.cleartextPasswordAttribute.toLowerCase()]?.[0];
    const upn = attributes.userprincipalname?.[0];
    return {
      dn: entry.dn,
      accountName: attributes.samaccountname?.[0] ?? attributes.uid?.[0] ?? stripNetbiosDomain(loginName),
      ...(upn !== undefined ? { userPrincipalName: upn } : {}),
      groups: groupNames(attributes.memberof ?? []),
      state: accountState(attributes, this.options.clock.now()),
      ...(ntHex !== undefined && /^[0-9a-f]{32}$/i.test(ntHex) ? { ntHash: Buffer.from(ntHex, 'hex') } : {}),
      ...(cleartext !== undefined ? { cleartextPassword: cleartext } : {}),
      attributes,
    };
  }

  async bindAsUser(user: DirectoryUser, password: string): Promise<BindResult> {
    // An empty password would be an unauthenticated bind, which LDAP servers accept (RFC 4513 5.1.2).
    if (password === '') return 'invalid-credentials';
    const { timeoutMs } = this.options.config;
    const acquired = await this.binders.acquire(timeoutMs);
    if (acquired.kind === 'timeout')
      return { unavailable: `no LDAP bind connection free within ${timeoutMs} ms (directory.pool)` };
    if (acquired.kind === 'queue-full')
      return { unavailable: 'too many binds waiting for an LDAP connection (directory.pool.maxQueue)' };
    if (acquired.kind === 'closed') return { unavailable: 'directory closed' };
    let connection = acquired.connection;
    let outcome = await this.bindOnce(connection, user.dn, password);
    if (outcome.kind === 'error' && !isInvalidCredentials(outcome.error)) {
      // The directory may have closed an idle pooled connection (restart, idle timeout): one fresh
      // try on a new connection, which takes the old one's place in the pool.
      void connection.unbind();
      connection = new BindConnection(this.target);
      outcome = await this.bindOnce(connection, user.dn, password);
    }
    const healthy =
      outcome.kind === 'ok' || (outcome.kind === 'error' && isInvalidCredentials(outcome.error));
    this.binders.release(connection, healthy);
    if (outcome.kind === 'ok') return 'ok';
    if (outcome.kind === 'timeout') return { unavailable: `bind did not complete within ${timeoutMs} ms` };
    if (isInvalidCredentials(outcome.error)) return 'invalid-credentials';
    return { unavailable: `bind failed: ${outcome.error.message}` };
  }

  private bindOnce(connection: BindConnection, dn: string, password: string): Promise<TimedOutcome<void>> {
    return withTimeout(connection.bind(dn, password), this.options.config.timeoutMs, this.options.clock);
  }

  async close(): Promise<void> {
    await this.binders.close();
    await Promise.all(this.services.map((_, slot) => this.dropService(slot)));
  }
}
