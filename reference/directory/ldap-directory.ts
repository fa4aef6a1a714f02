import { connect, type Socket } from 'node:net';
import { Client, InvalidCredentialsError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { Clock } from '../../runtime/clock.ts';
import type { DirectoryConfig } from '../config/server-config.ts';
import { withTimeout, type TimedOutcome } from '../timeout.ts';
import { accountState } from './account-state.ts';
import { ConnectionPool } from './ldap-pool.ts';
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

function asStrings(value: Entry[string]): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
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

/**
 * An LDAP result code is an answer on a healthy connection that other requests share: keep it.
 * Anything else (reset, refused, parse failure) means the connection itself is gone.
 */
function brokenConnection(error: Error): boolean {
  return !(error instanceof ResultCodeError);
}

/** How ldapts opens an ldap:// connection: createConnection(port, host), one of net.connect's forms. */
type Connect = (port: number, host?: string) => Socket;

/**
 * TCP connections to the directory without Nagle's algorithm (Node's default keeps it): with
 * several searches outstanding on a service connection, Nagle holds each new one back until the
 * directory acknowledges the last, which adds a round trip to a login. libldap (FreeRADIUS
 * rlm_ldap) sets TCP_NODELAY too. Batching is done on purpose instead, per event-loop turn.
 */
function noDelayConnect(port: number, host?: string): Socket {
  const socket = host === undefined ? connect(port) : connect(port, host);
  socket.setNoDelay(true);
  return socket;
}

export interface LdapDirectoryOptions {
  readonly config: DirectoryConfig;
  /** URL to use (the embedded stub's, when the config names a fixture instead of a URL). */
  readonly url: string;
  readonly clock: Clock;
}

/**
 * Primary authentication against a real LDAP directory through ldapts. Searches are spread over a
 * few service connections (LDAP multiplexes requests on each, so a slow search does not hold up
 * others); user binds take a connection from a bounded pool, since a bind changes the connection's
 * identity and needs it to itself for the round trip.
 */
export class LdapDirectory implements Directory {
  /** Service connections, opened on first use; a broken one is replaced on the next search. */
  private readonly services: (Promise<Client> | undefined)[];
  /** Each service connection's current socket (ldapts opens a new one when it reconnects). */
  private readonly serviceSockets: (Socket | undefined)[];
  private readonly corked: boolean[];
  private nextService = 0;
  private searches = 0;
  private readonly binders: ConnectionPool<Client>;

  constructor(private readonly options: LdapDirectoryOptions) {
    const { pool } = options.config;
    this.services = new Array<Promise<Client> | undefined>(pool.searchConnections).fill(undefined);
    this.serviceSockets = new Array<Socket | undefined>(pool.searchConnections).fill(undefined);
    this.corked = new Array<boolean>(pool.searchConnections).fill(false);
    this.binders = new ConnectionPool<Client>({
      create: () => this.newClient(noDelayConnect),
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

  private newClient(createConnection: Connect): Client {
    // ldapts types the option as net.connect with all its overloads but calls only (port, host).
    return new Client({
      url: this.options.url,
      strictDN: false,
      createConnection: createConnection as typeof connect,
    });
  }

  /**
   * Holds the searches a service connection gets in one turn of the event loop in the socket and
   * sends them in one write when the turn ends (a RADIUS burst read in one poll becomes one TCP
   * segment, not one write syscall each). setImmediate marks the end of the turn, not a time, so
   * it does not go through the Clock.
   */
  private corkForTurn(slot: number): void {
    const socket = this.serviceSockets[slot];
    if (socket === undefined || this.corked[slot] === true) return;
    this.corked[slot] = true;
    socket.cork();
    setImmediate(() => {
      this.corked[slot] = false;
      socket.uncork();
    });
  }

  private serviceClient(slot: number): Promise<Client> {
    const existing = this.services[slot];
    if (existing !== undefined) return existing;
    const opening = (async () => {
      const client = this.newClient((port, host) => {
        const socket = noDelayConnect(port, host);
        this.serviceSockets[slot] = socket;
        return socket;
      });
      try {
        if (this.options.config.bindDn !== '')
          await client.bind(this.options.config.bindDn, this.options.config.bindPassword);
        return client;
      } catch (error) {
        await client.unbind().catch(() => undefined);
        throw error;
      }
    })();
    this.services[slot] = opening;
    // A failed opening frees the slot, so the next search tries again.
    opening.catch(() => {
      if (this.services[slot] === opening) this.services[slot] = undefined;
    });
    return opening;
  }

  private async dropService(slot: number): Promise<void> {
    const current = this.services[slot];
    this.services[slot] = undefined;
    if (current !== undefined) await (await current.catch(() => undefined))?.unbind().catch(() => undefined);
  }

  async findUser(userName: string): Promise<LookupResult> {
    const { config, clock } = this.options;
    const value = escapeFilterValue(stripNetbiosDomain(userName));
    // A replacer function, not a string: a string replacement would expand $', $` and $& in the
    // User-Name into pieces of the filter template (unbalanced parentheses, a different search).
    const filter = config.userFilter.replaceAll('{user}', () => value);
    const slot = this.nextService;
    this.nextService = (slot + 1) % this.services.length;
    this.searches++;
    const search = async (): Promise<Entry[]> => {
      let client = await this.serviceClient(slot);
      if (!client.isConnected) {
        // ldapts reconnects a closed connection by itself, but not bound: the service account's
        // bind has to be redone, or the search runs anonymously (operationsError on AD).
        await this.dropService(slot);
        client = await this.serviceClient(slot);
      }
      this.corkForTurn(slot);
      const { searchEntries } = await client.search(config.baseDn, { scope: 'sub', filter, sizeLimit: 2 });
      return searchEntries;
    };
    let outcome = await withTimeout(search(), config.timeoutMs, clock);
    if (outcome.kind === 'error' && brokenConnection(outcome.error)) {
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
      // Two or more entries for one login name: ambiguous, so no one (NPS refuses the same way).
      if (outcome.error instanceof SizeLimitExceededError) return { kind: 'not-found' };
      if (brokenConnection(outcome.error)) await this.dropService(slot);
      return { kind: 'unavailable', reason: `directory error: ${outcome.error.message}` };
    }
    const entries = outcome.value;
    if (entries.length !== 1 || entries[0] === undefined) return { kind: 'not-found' };
    return { kind: 'found', user: this.toUser(entries[0], userName) };
  }

  private toUser(entry: Entry, loginName: string): DirectoryUser {
    const attributes: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'dn') continue;
      attributes[name.toLowerCase()] = asStrings(value);
    }
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
    let client = acquired.connection;
    let outcome = await this.bindOnce(client, user.dn, password);
    if (outcome.kind === 'error' && !(outcome.error instanceof InvalidCredentialsError)) {
      // The directory may have closed an idle pooled connection (restart, idle timeout): one fresh
      // try on a new connection, which takes the old one's place in the pool.
      void client.unbind().catch(() => undefined);
      client = this.newClient(noDelayConnect);
      outcome = await this.bindOnce(client, user.dn, password);
    }
    const healthy =
      outcome.kind === 'ok' || (outcome.kind === 'error' && outcome.error instanceof InvalidCredentialsError);
    this.binders.release(client, healthy);
    if (outcome.kind === 'ok') return 'ok';
    if (outcome.kind === 'error' && outcome.error instanceof InvalidCredentialsError)
      return 'invalid-credentials';
    if (outcome.kind === 'timeout') return { unavailable: `bind did not complete within ${timeoutMs} ms` };
    return { unavailable: `bind failed: ${outcome.error.message}` };
  }

  private bindOnce(client: Client, dn: string, password: string): Promise<TimedOutcome<void>> {
    return withTimeout(client.bind(dn, password), this.options.config.timeoutMs, this.options.clock);
  }

  async close(): Promise<void> {
    await this.binders.close();
    await Promise.all(this.services.map((_, slot) => this.dropService(slot)));
  }
}
