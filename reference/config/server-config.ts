import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { ADMISSION_DEFAULTS, type AdmissionLimits } from '../admission.ts';
import { parseCidr } from './cidr.ts';
import {
  duplicateProfileNames,
  normaliseDuplicateSettings,
  type DuplicateSettings,
  type DuplicateSettingsInput,
} from '../duplicates/index.ts';
import {
  IssueCollector,
  describeValue,
  isPlainObject,
  jsonSchemaOf,
  validate,
  z,
  type Issue,
  type PlainObject,
} from '../../runtime/validation/index.ts';
import { checkInputFile, checkOutputFile } from './paths.ts';
import { normalisePolicy, policySchema, type PolicyConfig } from './policy-config.ts';
import { mfaSchema, normaliseMfa, type MfaSettings } from './mfa-config.ts';
import {
  CODE_PROMPT_PLACEHOLDERS,
  DEFAULT_PERSONALITY,
  personalities,
  personalityNames,
  replyMessageAuthenticatorModes,
  statusServerModes,
  type PersonalityName,
  type PersonalityValues,
  type PresetField,
  type ReplyMessageAuthenticator,
  type StatusServerMode,
} from './personality.ts';

/** A Blast-RADIUS setting as FreeRADIUS 3.2.5 spells it: on, off, or learned from the client. */
export type BlastRadiusSetting = boolean | 'auto';

export interface ClientConfig {
  readonly name: string;
  /** Address or CIDR the datagrams must come from. */
  readonly address: string;
  readonly secret: string;
  /** Drop Access-Requests without Message-Authenticator; auto: once this client has sent one. */
  readonly requireMessageAuthenticator: BlastRadiusSetting;
  /** Drop Access-Requests with Proxy-State but no Message-Authenticator; auto: learned from the first. */
  readonly limitProxyState: BlastRadiusSetting;
}

export interface ListenConfig {
  /** Every address gets an auth and an accounting socket (IPv4 and IPv6 alike). */
  readonly hosts: readonly string[];
  readonly authPort: number;
  readonly acctPort: number;
  readonly recvBufferSize: number;
  /** Also listen on the legacy ports 1645 (auth) and 1646 (accounting), as NPS does. */
  readonly legacyPorts: boolean;
  /** Processes answering on the same ports (1: this process alone); `auto` is resolved to the cores. */
  readonly workers: number;
}

export interface DirectoryConfig {
  /** `ldap://` or `ldaps://` URL of a real directory; absent when the embedded stub is used. */
  readonly url?: string;
  /** Directory fixture for the embedded LDAP stub (started by the command, not by the server). */
  readonly embeddedFixture?: string;
  /** Directory fixture held in memory, no LDAP at all (FreeRADIUS's `files`, for load tests). */
  readonly staticFixture?: string;
  /** Bounded LDAP connection pool (url and embedded only). */
  readonly pool: LdapPoolConfig;
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

export interface LdapPoolConfig {
  /** Connections for user binds; a bind waits for a free one beyond this. */
  readonly maxBindConnections: number;
  /** Service connections searches are spread over (LDAP multiplexes requests on each). */
  readonly searchConnections: number;
  /** Binds waiting for a connection; beyond this the directory counts as unavailable. */
  readonly maxQueue: number;
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
  /** The server this one behaves like; its preset filled every setting the file left out. */
  readonly personality: PersonalityName;
  /** Preset values the file set itself (PRESET_KEYS names their settings). */
  readonly personalityOverrides: readonly PresetField[];
  /** Wait before sending Access-Reject, as FreeRADIUS's reject_delay (slows guessing). */
  readonly rejectDelayMs: number;
  /** Answer Status-Server (RFC 5997), or drop it as a code the server does not serve. */
  readonly statusServer: StatusServerMode;
  readonly replies: RepliesConfig;
  readonly npsCompat: NpsCompatConfig;
  /** EAP method proposed after EAP-Identity; a peer's Nak switches to the other (FreeRADIUS: md5). */
  readonly eap: { readonly defaultMethod: 'md5' | 'mschapv2' };
  /** How much work the server holds at once; beyond it requests are dropped as overload. */
  readonly limits: AdmissionLimits;
  readonly memory: MemoryConfig;
}

export interface MemoryConfig {
  /** V8's old-generation growth before a full collection, percent of the live heap; null: V8's own. */
  readonly heapGrowthPercent: number | null;
}

/**
 * 20%: measured by bench/pending on Node 20, the server's memory per waiting MFA login falls from
 * about 15 KB of RSS to about 8 KB (runtime/heap-growth.ts says why), at no CPU cost that
 * bench/server could tell from noise.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

export interface RepliesConfig {
  readonly messageAuthenticator: ReplyMessageAuthenticator;
  /** Reply-Message of a code challenge: `{prompt}` the MFA service's wording, `{user}` the User-Name. */
  readonly codePrompt: string;
  /** Reply-Message added to an Access-Reject without EAP-Message; absent: none. */
  readonly rejectMessage?: string;
}

export interface NpsCompatConfig {
  /**
   * After an OTP challenge the Accept carries no policy attributes (the seed's NPS limitation).
   * Resolved from the personality, npsCompat.crpUsernameStuffing and the explicit setting.
   */
  readonly dropPolicyAttributesAfterChallenge: boolean;
  /** The seed's CrpUsernameStuffing workaround is installed (nps only): attributes are forwarded. */
  readonly crpUsernameStuffing: boolean;
}

export type ServerConfigResult =
  | { readonly ok: true; readonly config: ServerConfig }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export const serverConfigDefaults = {
  hosts: ['127.0.0.1'],
  authPort: 1812,
  acctPort: 1813,
  // The default 208 KB receive buffer overflows above ~150 outstanding requests on loopback.
  recvBufferSize: 4 * 1024 * 1024,
  workers: 1,
  pool: { maxBindConnections: 16, searchConnections: 2, maxQueue: 10_000 },
  userFilter: '(|(sAMAccountName={user})(userPrincipalName={user}))',
  directoryTimeoutMs: 5000,
  accountingPath: 'radmfa-accounting.sqlite',
  cleartextPasswordAttribute: 'userPassword',
  ntHashAttribute: 'sambaNTPassword',
} as const;

const nonEmpty = z.string().min(1);
const port = z.int().min(0).max(65535);

const listenSchema = z
  .object({
    host: nonEmpty.optional().meta({ description: 'one address; hosts wins when both are given' }),
    hosts: z
      .array(nonEmpty)
      .optional()
      .meta({ description: 'one auth and one accounting socket per address (IPv4 and IPv6)' }),
    authPort: port.default(serverConfigDefaults.authPort).meta({ description: '0 = ephemeral' }),
    acctPort: port.default(serverConfigDefaults.acctPort).meta({ description: '0 = ephemeral' }),
    recvBufferSize: z
      .int()
      .min(65536)
      .max(1 << 30)
      .default(serverConfigDefaults.recvBufferSize),
    legacyPorts: z.boolean().default(false).meta({
      description: 'also listen on 1645/1646, the ports NPS answers on besides 1812/1813',
    }),
    workers: z
      .union([z.int().min(1).max(256), z.literal('auto')])
      .default(serverConfigDefaults.workers)
      .meta({
        fix: 'write a whole number of processes from 1 to 256, or auto (one per core)',
        description: 'processes answering on the same ports (auto: one per core); README "Workers"',
      }),
  })
  .strict();

const blastRadiusSetting = z.union([z.boolean(), z.literal('auto')]).default('auto');

const clientSchema = z
  .object({
    name: nonEmpty.optional().meta({ description: 'unique; default: the address' }),
    address: nonEmpty.meta({
      fix: 'write the NAS address or a CIDR such as 127.0.0.1 or 10.0.0.0/8',
      description: 'address or CIDR the datagrams must come from',
    }),
    secret: nonEmpty.meta({ fix: 'write the shared secret configured on the NAS' }),
    requireMessageAuthenticator: blastRadiusSetting.meta({
      fix: 'write true, false or auto (auto: required once the client has sent one)',
      description:
        'drop Access-Requests without Message-Authenticator (Blast-RADIUS); auto: from a single-host client once it has sent one',
    }),
    limitProxyState: blastRadiusSetting.meta({
      fix: 'write true, false or auto (auto: learned from the first Access-Request)',
      description:
        "drop Access-Requests with Proxy-State but no Message-Authenticator; auto: on unless a single-host client's first Access-Request has Proxy-State unsigned",
    }),
  })
  .strict();

const clientsSchema = z
  .array(clientSchema)
  .min(1, 'no RADIUS client is configured, so every packet would be dropped')
  .meta({
    fix: 'add at least one client with name, address and secret',
    description: 'who may talk to the server; the most specific CIDR wins',
  });

const directorySchema = z
  .object({
    url: z
      .string()
      .regex(/^ldaps?:\/\//, 'is not an LDAP URL')
      .optional()
      .meta({ fix: 'write ldap://host:port or ldaps://host:port' }),
    embedded: z
      .object({ fixture: nonEmpty.meta({ fix: 'write the path of a directory fixture file' }) })
      .strict()
      .nullish(),
    static: z
      .object({ fixture: nonEmpty.meta({ fix: 'write the path of a directory fixture file' }) })
      .strict()
      .nullish()
      .meta({ description: 'the fixture held in memory, no LDAP protocol (as FreeRADIUS files)' }),
    pool: z
      .object({
        maxBindConnections: z
          .int()
          .min(1)
          .max(1024)
          .default(serverConfigDefaults.pool.maxBindConnections)
          .meta({ description: 'connections for user binds; binds beyond wait in the queue' }),
        searchConnections: z
          .int()
          .min(1)
          .max(64)
          .default(serverConfigDefaults.pool.searchConnections)
          .meta({ description: 'service connections searches are spread over' }),
        maxQueue: z
          .int()
          .min(0)
          .max(1_000_000)
          .default(serverConfigDefaults.pool.maxQueue)
          .meta({ description: 'binds waiting for a connection; beyond, the directory is unavailable' }),
      })
      .strict()
      .nullish(),
    bindDn: nonEmpty.optional().meta({ fix: 'write the DN of the service account that searches users' }),
    bindPassword: nonEmpty.optional().meta({ fix: 'write the service account password' }),
    baseDn: nonEmpty.optional().meta({ fix: 'write the search base, e.g. DC=example,DC=com' }),
    userFilter: z
      .string()
      .regex(/\{user\}/, 'does not contain {user}')
      .default(serverConfigDefaults.userFilter)
      .meta({ fix: 'write a filter such as (sAMAccountName={user})' }),
    timeoutMs: z.int().min(100).max(120_000).default(serverConfigDefaults.directoryTimeoutMs),
    onUnavailable: z.enum(['reject', 'discard']).default('reject'),
    cleartextPasswordAttribute: nonEmpty.default(serverConfigDefaults.cleartextPasswordAttribute),
    ntHashAttribute: nonEmpty.default(serverConfigDefaults.ntHashAttribute),
  })
  .strict()
  .meta({
    fix: 'set directory.url (a real LDAP server), directory.embedded.fixture (the stub) or directory.static.fixture (in memory)',
    description:
      'a real LDAP directory (url), the embedded stub (embedded.fixture) or the fixture in memory (static.fixture)',
  });

const duplicatesSchema = z
  .object({
    profile: z.enum(duplicateProfileNames).optional().meta({ description: 'default nps' }),
    windowMs: z.int().optional().meta({ description: 'the range depends on the profile' }),
    inFlightTimeoutMs: z.int().optional(),
    maxEntries: z.int().optional(),
  })
  .strict();

const accountingSchema = z.object({ path: nonEmpty.default(serverConfigDefaults.accountingPath) }).strict();

const adminSchema = z.object({ host: nonEmpty.default('127.0.0.1'), port: port.default(9812) }).strict();

const eapSchema = z.object({ defaultMethod: z.enum(['md5', 'mschapv2']).default('md5') }).strict();

const npsCompatSchema = z
  .object({
    dropPolicyAttributesAfterChallenge: z.boolean().optional().meta({
      description:
        'true: the Accept after an OTP challenge carries no policy attributes (default: the personality; nps true)',
    }),
    crpUsernameStuffing: z.boolean().optional().meta({
      description:
        "nps only: the seed's CrpUsernameStuffing workaround, policy attributes forwarded after an OTP challenge",
    }),
  })
  .strict();

/** Reply-Message octets (RFC 2865 5.18: the value is at most 253 octets). */
const REPLY_MESSAGE_MAX = 253;

const repliesSchema = z
  .object({
    messageAuthenticator: z.enum(replyMessageAuthenticatorModes).optional().meta({
      description:
        'when replies carry Message-Authenticator: always, when-requested (request had it or EAP-Message), with-eap',
    }),
    codePrompt: z.string().min(1).max(REPLY_MESSAGE_MAX).optional().meta({
      description: "code challenge Reply-Message; {prompt}: the MFA service's text, {user}: User-Name",
    }),
    rejectMessage: z
      .string()
      .min(1)
      .max(REPLY_MESSAGE_MAX)
      .nullish()
      .meta({ description: 'Reply-Message on Access-Reject (not with EAP); null for none' }),
  })
  .strict();

const limitsSchema = z
  .object({
    maxInFlight: z.int().min(1).max(1_000_000).default(ADMISSION_DEFAULTS.maxInFlight).meta({
      description:
        'requests worked on at once, logins waiting on MFA not counted; more are dropped (overload)',
      fix: 'write a whole number of requests, e.g. 1024',
    }),
    maxPendingMfa: z.int().min(1).max(1_000_000).default(ADMISSION_DEFAULTS.maxPendingMfa).meta({
      description: 'logins waiting on the MFA service at once; more are dropped (mfa-overload)',
      fix: 'write a whole number of logins, e.g. 10000',
    }),
  })
  .strict();

const memorySchema = z
  .object({
    heapGrowthPercent: z
      .int()
      .min(5)
      .max(300)
      .nullable()
      .default(DEFAULT_HEAP_GROWTH_PERCENT)
      .meta({
        description:
          "how far the JavaScript heap grows past its live size before V8 collects it in full, percent; null for V8's own factor (1.1x to 4x)",
        fix: `write a whole number from 5 to 300 (default ${DEFAULT_HEAP_GROWTH_PERCENT}), or null`,
      }),
  })
  .strict();

/**
 * The configuration file's shape. normaliseServerConfig checks each section with its part of this
 * schema and adds what a schema cannot say (addresses parse, names are unique, settings that need
 * each other); `radmfa schema config` publishes it so editors complete and check the file.
 */
export const serverConfigSchema = z
  .object({
    listen: listenSchema.nullish(),
    clients: clientsSchema,
    directory: directorySchema,
    duplicates: duplicatesSchema.nullish(),
    accounting: accountingSchema.nullish(),
    policy: policySchema.nullish(),
    mfa: mfaSchema.nullish(),
    admin: z
      .union([adminSchema, z.null(), z.literal(false)])
      .optional()
      .meta({ description: 'Prometheus /metrics and /health; absent, null or false to disable' }),
    personality: z.enum(personalityNames).optional().meta({
      description:
        'the server to behave like: nps (default), freeradius or duo; its preset fills unset values',
    }),
    rejectDelayMs: z.int().min(0).max(10_000).optional().meta({
      description: "wait before an Access-Reject, as FreeRADIUS's reject_delay (default: the personality)",
    }),
    statusServer: z.enum(statusServerModes).optional().meta({
      description: 'answer Status-Server (RFC 5997) or drop it (default: the personality)',
    }),
    replies: repliesSchema.nullish(),
    npsCompat: npsCompatSchema.nullish(),
    eap: eapSchema.nullish(),
    limits: limitsSchema.nullish(),
    memory: memorySchema.nullish(),
  })
  .strict();

/** JSON Schema (draft 2020-12) of the server configuration file, for editors and `radmfa schema config`. */
export function serverConfigJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(serverConfigSchema, 'radmfa server configuration');
}

type Check = (c: IssueCollector, raw: unknown) => void;

/** One section: its schema for the shape, `check` for the meaning, every issue filed under `path`. */
function section<S extends z.ZodType>(
  c: IssueCollector,
  path: string,
  schema: S,
  raw: unknown,
  check?: Check,
): z.output<S> | undefined {
  const parsed = validate(schema, raw, path);
  const semantic = new IssueCollector(path);
  check?.(semantic, raw);
  c.addChecked(parsed, semantic.issues);
  return parsed.ok ? parsed.value : undefined;
}

const fields = (raw: unknown): PlainObject => (isPlainObject(raw) ? raw : {});

const checkListen: Check = (c, raw) => {
  const input = fields(raw);
  const hosts = Array.isArray(input.hosts)
    ? (input.hosts as readonly unknown[]).map((host, i) => [host, `hosts[${i}]`] as const)
    : [[input.host, 'host'] as const];
  for (const [host, path] of hosts) {
    if (typeof host === 'string' && host !== '' && isIP(host) === 0) {
      c.add(path, `"${host}" is not an IP address`, 'use an address such as 127.0.0.1, ::1 or 0.0.0.0');
    }
  }
  const { authPort = serverConfigDefaults.authPort, acctPort = serverConfigDefaults.acctPort } = input;
  if (authPort !== 0 && authPort === acctPort) {
    c.add(
      'acctPort',
      `is the same port as listen.authPort (${String(authPort)})`,
      'use the pair 1812/1813 or 1645/1646, or 0 for ephemeral ports',
    );
  }
  if (input.legacyPorts === true && [authPort, acctPort].some((p) => p === 1645 || p === 1646)) {
    c.add(
      'legacyPorts',
      `is true while listen.authPort/acctPort already use 1645/1646 (${String(authPort)}/${String(acctPort)})`,
      'set authPort 1812 and acctPort 1813 with legacyPorts, or drop legacyPorts',
    );
  }
};

const checkClients: Check = (c, raw) => {
  const names = new Map<string, number>();
  (Array.isArray(raw) ? (raw as readonly unknown[]) : []).forEach((item, i) => {
    const client = fields(item);
    const address = typeof client.address === 'string' ? client.address : '';
    if (address !== '' && parseCidr(address) === undefined) {
      c.add(
        `[${i}].address`,
        `"${address}" is not an address or CIDR`,
        'write e.g. 127.0.0.1, 192.0.2.0/24 or ::1/128',
      );
    }
    const name = typeof client.name === 'string' ? client.name : address;
    if (name === '') return;
    if (names.has(name)) {
      c.add(
        `[${i}].name`,
        `"${name}" is used by clients[${String(names.get(name))}]`,
        'give every client its own name (the name defaults to the address)',
      );
    } else {
      names.set(name, i);
    }
  });
};

const DIRECTORY_KINDS = ['url', 'embedded', 'static'] as const;
const DIRECTORY_KIND_WORDS: Readonly<Record<(typeof DIRECTORY_KINDS)[number], string>> = {
  url: 'a url',
  embedded: 'an embedded fixture',
  static: 'a static fixture',
};

const checkDirectory: Check = (c, raw) => {
  const input = fields(raw);
  checkInputFile(c, 'embedded.fixture', fields(input.embedded).fixture, 'a directory fixture file');
  checkInputFile(c, 'static.fixture', fields(input.static).fixture, 'a directory fixture file');
  const named = DIRECTORY_KINDS.filter((kind) => input[kind] !== undefined && input[kind] !== null);
  if (named.length > 1) {
    const words = named.map((kind) => DIRECTORY_KIND_WORDS[kind]);
    c.add(
      '',
      named.length === 2
        ? `names both ${words.join(' and ')}`
        : `names ${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`,
      'keep one: url for a real directory, embedded.fixture for the stub, static.fixture for the fixture in memory',
    );
  } else if (named.length === 0) {
    c.add(
      '',
      'names no directory',
      'set directory.url (a real LDAP server), directory.embedded.fixture (the stub) or directory.static.fixture (in memory)',
    );
  }
  if (named.length === 1 && named[0] === 'static' && input.pool !== undefined && input.pool !== null) {
    c.add('pool', 'is set for directory.static, which opens no LDAP connection', 'remove directory.pool');
  }
};

/**
 * The duplicate cache validates its own settings (the window's range depends on the profile). The
 * personality fills profile and window; its window belongs to its profile, so a profile the file
 * names keeps that profile's own default window.
 */
function duplicateSettingsInput(raw: unknown, preset: PersonalityValues): DuplicateSettingsInput {
  const input = fields(raw);
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const named = typeof input.profile === 'string' ? input.profile : undefined;
  const profile = named ?? preset.duplicateProfile;
  const windowMs =
    number(input.windowMs) ?? (input.profile === undefined ? preset.duplicateWindowMs : undefined);
  const inFlightTimeoutMs = number(input.inFlightTimeoutMs);
  const maxEntries = number(input.maxEntries);
  return {
    profile,
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(inFlightTimeoutMs !== undefined ? { inFlightTimeoutMs } : {}),
    ...(maxEntries !== undefined ? { maxEntries } : {}),
  };
}

function normaliseDuplicates(
  c: IssueCollector,
  raw: unknown,
  preset: PersonalityValues,
): DuplicateSettings | undefined {
  const settings = normaliseDuplicateSettings(duplicateSettingsInput(raw, preset));
  section(c, 'duplicates', duplicatesSchema, raw ?? {}, (semantic) => {
    if (!settings.ok) semantic.addAll(settings.issues);
  });
  return settings.ok ? settings.settings : undefined;
}

type Sections = Omit<ServerConfig, 'policy' | 'mfa' | 'personality' | 'personalityOverrides'>;

/** What the seed's workaround and the explicit setting make of the personality's value. */
const checkNpsCompat =
  (personality: PersonalityName): Check =>
  (c, raw) => {
    const input = fields(raw);
    if (input.crpUsernameStuffing !== true) return;
    if (personality !== 'nps') {
      c.add(
        'crpUsernameStuffing',
        `is the NPS extension's workaround, but personality is ${personality}`,
        'remove it; to forward policy attributes after an OTP challenge set npsCompat.dropPolicyAttributesAfterChallenge: false',
      );
    }
    if (input.dropPolicyAttributesAfterChallenge === true) {
      c.add(
        'dropPolicyAttributesAfterChallenge',
        'is true while crpUsernameStuffing: true forwards the policy attributes after an OTP challenge',
        'keep one: crpUsernameStuffing: true to forward them, or dropPolicyAttributesAfterChallenge: true to drop them',
      );
    }
  };

function buildNpsCompat(input: z.output<typeof npsCompatSchema>, preset: PersonalityValues): NpsCompatConfig {
  const crpUsernameStuffing = input.crpUsernameStuffing ?? false;
  return {
    crpUsernameStuffing,
    dropPolicyAttributesAfterChallenge:
      input.dropPolicyAttributesAfterChallenge ??
      (crpUsernameStuffing ? false : preset.dropPolicyAttributesAfterChallenge),
  };
}

const checkReplies: Check = (c, raw) => {
  const input = fields(raw);
  if (typeof input.codePrompt === 'string') {
    const known: readonly string[] = CODE_PROMPT_PLACEHOLDERS;
    for (const [, name] of input.codePrompt.matchAll(/\{([^{}]*)\}/g)) {
      if (name !== undefined && !known.includes(name)) {
        c.add(
          'codePrompt',
          `uses the unknown placeholder {${name}}`,
          `use ${CODE_PROMPT_PLACEHOLDERS.map((p) => `{${p}}`).join(' or ')}, or write the text without braces`,
        );
      }
    }
  }
  for (const key of ['codePrompt', 'rejectMessage'] as const) {
    const text = input[key];
    if (typeof text === 'string' && Buffer.byteLength(text) > REPLY_MESSAGE_MAX) {
      c.add(
        key,
        `is ${Buffer.byteLength(text)} octets in UTF-8; a Reply-Message holds ${REPLY_MESSAGE_MAX}`,
        'shorten the text',
      );
    }
  }
};

function buildReplies(input: z.output<typeof repliesSchema>, preset: PersonalityValues): RepliesConfig {
  const rejectMessage = input.rejectMessage === undefined ? preset.rejectMessage : input.rejectMessage;
  return {
    messageAuthenticator: input.messageAuthenticator ?? preset.replyMessageAuthenticator,
    codePrompt: input.codePrompt ?? preset.codePrompt,
    ...(rejectMessage !== null ? { rejectMessage } : {}),
  };
}

/** The preset values the file sets itself, so logs and reports can say what was overridden. */
function overriddenFields(input: PlainObject): PresetField[] {
  const duplicates = fields(input.duplicates);
  const npsCompat = fields(input.npsCompat);
  const replies = fields(input.replies);
  const set: Readonly<Record<PresetField, boolean>> = {
    duplicateProfile: duplicates.profile !== undefined,
    duplicateWindowMs: duplicates.windowMs !== undefined,
    dropPolicyAttributesAfterChallenge:
      npsCompat.dropPolicyAttributesAfterChallenge !== undefined || npsCompat.crpUsernameStuffing === true,
    rejectDelayMs: input.rejectDelayMs !== undefined,
    statusServer: input.statusServer !== undefined,
    replyMessageAuthenticator: replies.messageAuthenticator !== undefined,
    codePrompt: replies.codePrompt !== undefined,
    rejectMessage: replies.rejectMessage !== undefined,
  };
  return (Object.keys(set) as PresetField[]).filter((field) => set[field]);
}

function buildListen(input: z.output<typeof listenSchema>): ListenConfig {
  const hosts = input.hosts ?? (input.host !== undefined ? [input.host] : [...serverConfigDefaults.hosts]);
  return {
    hosts,
    authPort: input.authPort,
    acctPort: input.acctPort,
    recvBufferSize: input.recvBufferSize,
    legacyPorts: input.legacyPorts,
    workers: input.workers === 'auto' ? availableParallelism() : input.workers,
  };
}

function buildDirectory(input: z.output<typeof directorySchema>): DirectoryConfig {
  const fixture = input.embedded?.fixture;
  const staticFixture = input.static?.fixture;
  return {
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(fixture !== undefined ? { embeddedFixture: fixture } : {}),
    ...(staticFixture !== undefined ? { staticFixture } : {}),
    pool: input.pool ?? serverConfigDefaults.pool,
    bindDn: input.bindDn ?? '',
    bindPassword: input.bindPassword ?? '',
    baseDn: input.baseDn ?? '',
    userFilter: input.userFilter,
    timeoutMs: input.timeoutMs,
    onUnavailable: input.onUnavailable,
    cleartextPasswordAttribute: input.cleartextPasswordAttribute,
    ntHashAttribute: input.ntHashAttribute,
  };
}

function normaliseSections(
  c: IssueCollector,
  input: PlainObject,
  personality: PersonalityName,
): Sections | undefined {
  const preset = personalities[personality].values;
  const listen = section(c, 'listen', listenSchema, input.listen ?? {}, checkListen);
  const clients = section(c, 'clients', clientsSchema, input.clients, checkClients);
  const directory = section(c, 'directory', directorySchema, input.directory, checkDirectory);
  const duplicates = normaliseDuplicates(c, input.duplicates, preset);
  const accounting = section(c, 'accounting', accountingSchema, input.accounting ?? {}, (semantic, raw) =>
    checkOutputFile(semantic, 'path', fields(raw).path),
  );
  const admin = section(c, 'admin', serverConfigSchema.shape.admin, input.admin);
  const rejectDelayMs = section(
    c,
    'rejectDelayMs',
    serverConfigSchema.shape.rejectDelayMs,
    input.rejectDelayMs,
  );
  const statusServer = section(c, 'statusServer', serverConfigSchema.shape.statusServer, input.statusServer);
  const replies = section(c, 'replies', repliesSchema, input.replies ?? {}, checkReplies);
  const npsCompat = section(
    c,
    'npsCompat',
    npsCompatSchema,
    input.npsCompat ?? {},
    checkNpsCompat(personality),
  );
  const eap = section(c, 'eap', eapSchema, input.eap ?? {});
  const limits = section(c, 'limits', limitsSchema, input.limits ?? {});
  const memory = section(c, 'memory', memorySchema, input.memory ?? {});
  if (
    listen === undefined ||
    clients === undefined ||
    directory === undefined ||
    duplicates === undefined ||
    accounting === undefined ||
    (admin === undefined && input.admin !== undefined) ||
    (rejectDelayMs === undefined && input.rejectDelayMs !== undefined) ||
    (statusServer === undefined && input.statusServer !== undefined) ||
    replies === undefined ||
    npsCompat === undefined ||
    eap === undefined ||
    limits === undefined ||
    memory === undefined
  ) {
    return undefined;
  }
  return {
    listen: buildListen(listen),
    clients: clients.map((client) => ({
      name: client.name ?? client.address,
      address: client.address,
      secret: client.secret,
      requireMessageAuthenticator: client.requireMessageAuthenticator,
      limitProxyState: client.limitProxyState,
    })),
    directory: buildDirectory(directory),
    duplicates,
    accounting,
    ...(admin !== undefined && admin !== null && admin !== false ? { admin } : {}),
    rejectDelayMs: rejectDelayMs ?? preset.rejectDelayMs,
    statusServer: statusServer ?? preset.statusServer,
    replies: buildReplies(replies, preset),
    npsCompat: buildNpsCompat(npsCompat, preset),
    eap,
    limits,
    memory,
  };
}

/** Normalises partial user input into a full ServerConfig, or returns every issue found. */
export function normaliseServerConfig(raw: unknown): ServerConfigResult {
  const c = new IssueCollector();
  if (!isPlainObject(raw)) {
    c.add(
      '',
      `must be a mapping, got ${describeValue(raw)}`,
      'write the configuration as key: value pairs (see examples/radmfa.yaml)',
    );
    return { ok: false, issues: c.issues };
  }
  c.knownKeys(raw, '', Object.keys(serverConfigSchema.shape));
  const personality =
    section(c, 'personality', serverConfigSchema.shape.personality, raw.personality) ?? DEFAULT_PERSONALITY;
  const sections = normaliseSections(c, raw, personality);
  const policy = normalisePolicy(c, raw.policy);
  const mfa = normaliseMfa(c, raw.mfa);
  if (sections === undefined || !c.ok) return { ok: false, issues: c.issues };
  return {
    ok: true,
    config: { personality, personalityOverrides: overriddenFields(raw), ...sections, policy, mfa },
  };
}
