import { isIP } from 'node:net';
import { parseCidr } from './cidr.ts';
import { normaliseDuplicateSettings, type DuplicateSettings } from '../duplicates/index.ts';
import { IssueCollector, type ConfigIssue, type PlainObject } from './issues.ts';
import { normalisePolicy, type PolicyConfig } from './policy-config.ts';
import { normaliseMfa, type MfaSettings } from './mfa-config.ts';

export interface ClientConfig {
  readonly name: string;
  /** Address or CIDR the datagrams must come from. */
  readonly address: string;
  readonly secret: string;
  readonly requireMessageAuthenticator: boolean;
}

export interface ListenConfig {
  /** Every address gets an auth and an accounting socket (IPv4 and IPv6 alike). */
  readonly hosts: readonly string[];
  readonly authPort: number;
  readonly acctPort: number;
  readonly recvBufferSize: number;
  /** Also listen on the legacy ports 1645 (auth) and 1646 (accounting), as NPS does. */
  readonly legacyPorts: boolean;
}

export interface DirectoryConfig {
  /** `ldap://` or `ldaps://` URL of a real directory; absent when the embedded stub is used. */
  readonly url?: string;
  /** Directory fixture for the embedded LDAP stub (started by the command, not by the server). */
  readonly embeddedFixture?: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  /** `{user}` is replaced by the escaped User-Name (domain prefix and suffix kept as sent). */
  readonly userFilter: string;
  readonly timeoutMs: number;
  /** What to do with a request when the directory cannot answer: reject it, or stay silent. */
  readonly onUnavailable: 'reject' | 'discard';
  /** Attribute holding a cleartext password for CHAP / EAP-MD5 (they need one). */
  readonly cleartextPasswordAttribute: string;
  /** Attribute holding the NT hash for MS-CHAPv2 (Samba schema, as FreeRADIUS reads it). */
  readonly ntHashAttribute: string;
}

export interface AccountingConfig {
  readonly path: string;
}

export interface AdminConfig {
  readonly host: string;
  readonly port: number;
}

export interface ServerConfig {
  readonly listen: ListenConfig;
  readonly clients: readonly ClientConfig[];
  readonly directory: DirectoryConfig;
  readonly duplicates: DuplicateSettings;
  readonly accounting: AccountingConfig;
  readonly policy: PolicyConfig;
  readonly mfa: MfaSettings;
  /** Admin HTTP port for /metrics and /health; absent to disable. */
  readonly admin?: AdminConfig;
  /** Wait before sending Access-Reject, as FreeRADIUS's reject_delay (slows guessing). */
  readonly rejectDelayMs: number;
  readonly npsCompat: { readonly dropPolicyAttributesAfterChallenge: boolean };
  /** EAP method proposed after EAP-Identity; a peer's Nak switches to the other (FreeRADIUS: md5). */
  readonly eap: { readonly defaultMethod: 'md5' | 'mschapv2' };
}

export type ServerConfigResult =
  | { readonly ok: true; readonly config: ServerConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export const serverConfigDefaults = {
  hosts: ['127.0.0.1'],
  authPort: 1812,
  acctPort: 1813,
  // The default 208 KB receive buffer overflows above ~150 outstanding requests on loopback.
  recvBufferSize: 4 * 1024 * 1024,
  userFilter: '(|(sAMAccountName={user})(userPrincipalName={user}))',
  directoryTimeoutMs: 5000,
  accountingPath: 'radmfa-accounting.sqlite',
  cleartextPasswordAttribute: 'userPassword',
  ntHashAttribute: 'sambaNTPassword',
} as const;

const topLevelKeys = [
  'listen',
  'clients',
  'directory',
  'duplicates',
  'accounting',
  'policy',
  'mfa',
  'admin',
  'rejectDelayMs',
  'npsCompat',
  'eap',
];

function normaliseListen(c: IssueCollector, raw: unknown): ListenConfig {
  const input = c.object(raw, 'listen');
  c.knownKeys(input, 'listen', ['host', 'hosts', 'authPort', 'acctPort', 'recvBufferSize', 'legacyPorts']);
  let hosts: string[] = [...serverConfigDefaults.hosts];
  if (input.host !== undefined) hosts = [c.string(input.host, 'listen.host', '127.0.0.1')];
  if (input.hosts !== undefined)
    hosts = c
      .array(input.hosts, 'listen.hosts')
      .map((h, i) => c.string(h, `listen.hosts[${i}]`, '127.0.0.1'));
  hosts.forEach((host, i) => {
    if (isIP(host) === 0)
      c.add(
        input.hosts !== undefined ? `listen.hosts[${i}]` : 'listen.host',
        `"${host}" is not an IP address`,
        'use an address such as 127.0.0.1, ::1 or 0.0.0.0',
      );
  });
  const authPort = c.integer(input.authPort, 'listen.authPort', serverConfigDefaults.authPort, 0, 65535);
  const acctPort = c.integer(input.acctPort, 'listen.acctPort', serverConfigDefaults.acctPort, 0, 65535);
  if (authPort !== 0 && authPort === acctPort) {
    c.add(
      'listen.acctPort',
      `is the same port as listen.authPort (${authPort})`,
      'use the pair 1812/1813 or 1645/1646, or 0 for ephemeral ports',
    );
  }
  return {
    hosts,
    authPort,
    acctPort,
    recvBufferSize: c.integer(
      input.recvBufferSize,
      'listen.recvBufferSize',
      serverConfigDefaults.recvBufferSize,
      65536,
      1 << 30,
    ),
    legacyPorts: legacyPorts(c, input.legacyPorts, authPort, acctPort),
  };
}

function legacyPorts(c: IssueCollector, raw: unknown, authPort: number, acctPort: number): boolean {
  const legacy = c.boolean(raw, 'listen.legacyPorts', false);
  if (legacy && [authPort, acctPort].some((port) => port === 1645 || port === 1646)) {
    c.add(
      'listen.legacyPorts',
      `is true while listen.authPort/acctPort already use 1645/1646 (${authPort}/${acctPort})`,
      'set authPort 1812 and acctPort 1813 with legacyPorts, or drop legacyPorts',
    );
  }
  return legacy;
}

function normaliseClients(c: IssueCollector, raw: unknown): ClientConfig[] {
  const list = c.array(raw, 'clients');
  if (list.length === 0) {
    c.add(
      'clients',
      'no RADIUS client is configured, so every packet would be dropped',
      'add at least one client with name, address and secret',
    );
  }
  const names = new Set<string>();
  return list.map((item, i) => {
    const field = `clients[${i}]`;
    const input = c.object(item, field);
    c.knownKeys(input, field, ['name', 'address', 'secret', 'requireMessageAuthenticator']);
    const address = c.string(
      input.address,
      `${field}.address`,
      '',
      'write the NAS address or a CIDR such as 127.0.0.1 or 10.0.0.0/8',
    );
    if (input.address === undefined)
      c.add(`${field}.address`, 'is missing', 'write the NAS address or a CIDR such as 127.0.0.1/32');
    else if (address !== '' && parseCidr(address) === undefined) {
      c.add(
        `${field}.address`,
        `"${address}" is not an address or CIDR`,
        'write e.g. 127.0.0.1, 192.0.2.0/24 or ::1/128',
      );
    }
    const secret = c.string(
      input.secret,
      `${field}.secret`,
      '',
      'write the shared secret configured on the NAS',
    );
    if (input.secret === undefined)
      c.add(`${field}.secret`, 'is missing', 'write the shared secret configured on the NAS');
    const name = c.string(input.name, `${field}.name`, address || `client-${i}`);
    if (names.has(name))
      c.add(`${field}.name`, `"${name}" is used by another client`, 'give every client its own name');
    names.add(name);
    return {
      name,
      address,
      secret,
      requireMessageAuthenticator: c.boolean(
        input.requireMessageAuthenticator,
        `${field}.requireMessageAuthenticator`,
        false,
      ),
    };
  });
}

function normaliseDirectory(c: IssueCollector, raw: unknown): DirectoryConfig {
  const input = c.object(raw, 'directory');
  c.knownKeys(input, 'directory', [
    'url',
    'embedded',
    'bindDn',
    'bindPassword',
    'baseDn',
    'userFilter',
    'timeoutMs',
    'onUnavailable',
    'cleartextPasswordAttribute',
    'ntHashAttribute',
  ]);
  const url = c.optionalString(input.url, 'directory.url', 'write an ldap:// or ldaps:// URL');
  if (url !== undefined && !/^ldaps?:\/\//.test(url))
    c.add('directory.url', `"${url}" is not an LDAP URL`, 'write ldap://host:port or ldaps://host:port');
  const embedded = c.object(input.embedded, 'directory.embedded');
  c.knownKeys(embedded, 'directory.embedded', ['fixture']);
  const embeddedFixture = c.optionalString(
    embedded.fixture,
    'directory.embedded.fixture',
    'write the path of a directory fixture file',
  );
  if (url !== undefined && embeddedFixture !== undefined) {
    c.add(
      'directory',
      'names both a url and an embedded fixture',
      'keep one: url for a real directory, embedded.fixture for the stub',
    );
  }
  if (url === undefined && embeddedFixture === undefined) {
    c.add(
      'directory',
      'names no directory',
      'set directory.url (a real LDAP server) or directory.embedded.fixture (the stub)',
    );
  }
  const userFilter = c.string(input.userFilter, 'directory.userFilter', serverConfigDefaults.userFilter);
  if (!userFilter.includes('{user}'))
    c.add(
      'directory.userFilter',
      'does not contain {user}',
      'write a filter such as (sAMAccountName={user})',
    );
  return {
    ...(url !== undefined ? { url } : {}),
    ...(embeddedFixture !== undefined ? { embeddedFixture } : {}),
    bindDn: c.string(
      input.bindDn,
      'directory.bindDn',
      '',
      'write the DN of the service account that searches users',
    ),
    bindPassword: c.string(
      input.bindPassword,
      'directory.bindPassword',
      '',
      'write the service account password',
    ),
    baseDn: c.string(input.baseDn, 'directory.baseDn', '', 'write the search base, e.g. DC=example,DC=com'),
    userFilter,
    timeoutMs: c.integer(
      input.timeoutMs,
      'directory.timeoutMs',
      serverConfigDefaults.directoryTimeoutMs,
      100,
      120_000,
    ),
    onUnavailable: c.oneOf(input.onUnavailable, 'directory.onUnavailable', 'reject', [
      'reject',
      'discard',
    ] as const),
    cleartextPasswordAttribute: c.string(
      input.cleartextPasswordAttribute,
      'directory.cleartextPasswordAttribute',
      serverConfigDefaults.cleartextPasswordAttribute,
    ),
    ntHashAttribute: c.string(
      input.ntHashAttribute,
      'directory.ntHashAttribute',
      serverConfigDefaults.ntHashAttribute,
    ),
  };
}

/** Normalises partial user input into a full ServerConfig, or returns every issue found. */
export function normaliseServerConfig(raw: unknown): ServerConfigResult {
  const c = new IssueCollector();
  const input: PlainObject = c.object(raw, '(top level)');
  c.knownKeys(input, '', topLevelKeys);
  const listen = normaliseListen(c, input.listen);
  const clients = normaliseClients(c, input.clients);
  const directory = normaliseDirectory(c, input.directory);
  const dupInput = c.object(input.duplicates, 'duplicates');
  c.knownKeys(dupInput, 'duplicates', ['profile', 'windowMs', 'inFlightTimeoutMs', 'maxEntries']);
  const duplicatesResult = normaliseDuplicateSettings(dupInput, 'duplicates.');
  if (!duplicatesResult.ok) c.issues.push(...duplicatesResult.issues);
  const accountingInput = c.object(input.accounting, 'accounting');
  c.knownKeys(accountingInput, 'accounting', ['path']);
  const accounting = {
    path: c.string(accountingInput.path, 'accounting.path', serverConfigDefaults.accountingPath),
  };
  const policy = normalisePolicy(c, input.policy);
  const mfa = normaliseMfa(c, input.mfa);
  let admin: AdminConfig | undefined;
  if (input.admin !== undefined && input.admin !== null && input.admin !== false) {
    const adminInput = c.object(input.admin, 'admin');
    c.knownKeys(adminInput, 'admin', ['host', 'port']);
    admin = {
      host: c.string(adminInput.host, 'admin.host', '127.0.0.1'),
      port: c.integer(adminInput.port, 'admin.port', 9812, 0, 65535),
    };
  }
  const eapInput = c.object(input.eap, 'eap');
  c.knownKeys(eapInput, 'eap', ['defaultMethod']);
  const compat = c.object(input.npsCompat, 'npsCompat');
  c.knownKeys(compat, 'npsCompat', ['dropPolicyAttributesAfterChallenge']);
  const config: ServerConfig = {
    listen,
    clients,
    directory,
    duplicates: duplicatesResult.ok ? duplicatesResult.settings : normaliseFallbackDuplicates(),
    accounting,
    policy,
    mfa,
    ...(admin !== undefined ? { admin } : {}),
    rejectDelayMs: c.integer(input.rejectDelayMs, 'rejectDelayMs', 0, 0, 10_000),
    npsCompat: {
      dropPolicyAttributesAfterChallenge: c.boolean(
        compat.dropPolicyAttributesAfterChallenge,
        'npsCompat.dropPolicyAttributesAfterChallenge',
        false,
      ),
    },
    eap: {
      defaultMethod: c.oneOf(eapInput.defaultMethod, 'eap.defaultMethod', 'md5', [
        'md5',
        'mschapv2',
      ] as const),
    },
  };
  return c.issues.length > 0 ? { ok: false, issues: c.issues } : { ok: true, config };
}

function normaliseFallbackDuplicates(): DuplicateSettings {
  const fallback = normaliseDuplicateSettings({});
  if (!fallback.ok) throw new Error('duplicate defaults do not validate');
  return fallback.settings;
}
