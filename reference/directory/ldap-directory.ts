import { Client, InvalidCredentialsError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { Clock } from '../../runtime/clock.ts';
import type { DirectoryConfig } from '../config/server-config.ts';
import { withTimeout, type TimedOutcome } from '../timeout.ts';
import { accountState } from './account-state.ts';
import type { BindResult, Directory, DirectoryUser, LookupResult } from './types.ts';

/** Idle user-bind connections kept open; beyond this, connections close after their bind. */
const MAX_IDLE_BINDERS = 16;

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

export interface LdapDirectoryOptions {
  readonly config: DirectoryConfig;
  /** URL to use (the embedded stub's, when the config names a fixture instead of a URL). */
  readonly url: string;
  readonly clock: Clock;
}

/**
 * Primary authentication against a real LDAP directory through ldapts. Searches share one service
 * connection (LDAP multiplexes requests, so a slow search does not hold up others); each user bind
 * gets its own connection, since a bind changes the connection's identity.
 */
export class LdapDirectory implements Directory {
  private service: Promise<Client> | undefined;
  /** Connections last used for a user bind, kept for the next one. */
  private readonly idleBinders: Client[] = [];
  private closed = false;

  constructor(private readonly options: LdapDirectoryOptions) {}

  private newClient(): Client {
    return new Client({ url: this.options.url, strictDN: false });
  }

  private serviceClient(): Promise<Client> {
    this.service ??= (async () => {
      const client = this.newClient();
      try {
        if (this.options.config.bindDn !== '')
          await client.bind(this.options.config.bindDn, this.options.config.bindPassword);
        return client;
      } catch (error) {
        this.service = undefined;
        await client.unbind().catch(() => undefined);
        throw error;
      }
    })();
    return this.service;
  }

  private async dropService(): Promise<void> {
    const current = this.service;
    this.service = undefined;
    if (current !== undefined) await (await current.catch(() => undefined))?.unbind().catch(() => undefined);
  }

  async findUser(userName: string): Promise<LookupResult> {
    const { config, clock } = this.options;
    const value = escapeFilterValue(stripNetbiosDomain(userName));
    // A replacer function, not a string: a string replacement would expand $', $` and $& in the
    // User-Name into pieces of the filter template (unbalanced parentheses, a different search).
    const filter = config.userFilter.replaceAll('{user}', () => value);
    const search = async (): Promise<Entry[]> => {
      const client = await this.serviceClient();
      const { searchEntries } = await client.search(config.baseDn, { scope: 'sub', filter, sizeLimit: 2 });
      return searchEntries;
    };
    const outcome = await withTimeout(search(), config.timeoutMs, clock);
    if (outcome.kind === 'timeout') {
      await this.dropService();
      return { kind: 'unavailable', reason: `directory did not answer within ${config.timeoutMs} ms` };
    }
    if (outcome.kind === 'error') {
      // Two or more entries for one login name: ambiguous, so no one (NPS refuses the same way).
      if (outcome.error instanceof SizeLimitExceededError) return { kind: 'not-found' };
      // An LDAP result code is an answer on a healthy connection that other searches share: keep it.
      // Anything else (reset, refused, parse failure) means the connection itself is gone.
      if (!(outcome.error instanceof ResultCodeError)) await this.dropService();
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
    // A connection may be re-bound as someone else (RFC 4511 4.2), so bind connections are pooled:
    // a TCP connect and teardown per PAP login dominated the reference server's PAP cost.
    const pooled = this.idleBinders.pop();
    let client = pooled ?? this.newClient();
    let outcome = await this.bindOnce(client, user.dn, password);
    if (
      pooled !== undefined &&
      outcome.kind === 'error' &&
      !(outcome.error instanceof InvalidCredentialsError)
    ) {
      // The directory may have closed an idle pooled connection (restart, idle timeout): one fresh try.
      void client.unbind().catch(() => undefined);
      client = this.newClient();
      outcome = await this.bindOnce(client, user.dn, password);
    }
    const reusable =
      outcome.kind === 'ok' || (outcome.kind === 'error' && outcome.error instanceof InvalidCredentialsError);
    if (reusable && !this.closed && this.idleBinders.length < MAX_IDLE_BINDERS) this.idleBinders.push(client);
    else void client.unbind().catch(() => undefined);
    if (outcome.kind === 'ok') return 'ok';
    if (outcome.kind === 'error' && outcome.error instanceof InvalidCredentialsError)
      return 'invalid-credentials';
    if (outcome.kind === 'timeout')
      return { unavailable: `bind did not complete within ${this.options.config.timeoutMs} ms` };
    return { unavailable: `bind failed: ${outcome.error.message}` };
  }

  private bindOnce(client: Client, dn: string, password: string): Promise<TimedOutcome<void>> {
    return withTimeout(client.bind(dn, password), this.options.config.timeoutMs, this.options.clock);
  }

  async close(): Promise<void> {
    this.closed = true;
    const binders = this.idleBinders.splice(0);
    await Promise.all(binders.map((client) => client.unbind().catch(() => undefined)));
    await this.dropService();
  }
}
