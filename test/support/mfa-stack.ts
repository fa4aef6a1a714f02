// Stacks for the second-factor tests: the embedded default (LDAP stub + MFA mock + reference server)
// with a tweaked config over real loopback sockets, and the same pieces in virtual time (MemoryNetwork,
// MemoryDirectory, the MFA mock in process through msw/node) so a 45 s push or a 60 s NAS timeout
// costs no wall-clock time.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SetupServer } from 'msw/node';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { startStack, type Stack } from '../../scenarios/embedded/compose.ts';
import { demoTenantFixture, embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { VIRTUAL_MFA_URL as MFA_BASE_URL, VIRTUAL_START_MS } from '../../scenarios/embedded/stacks.ts';
import { SystemClock, VirtualClock } from '../../runtime/clock.ts';
import { MemoryNetwork } from '../../runtime/memory-transport.ts';
import type { Endpoint } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { openAccountingStore, type AccountingStore } from '../../reference/accounting/index.ts';
import { formatIssues } from '../../runtime/validation/index.ts';
import { normaliseServerConfig, type ServerConfig } from '../../reference/config/server-config.ts';
import { ServerEvents, type ServerEventMap } from '../../reference/events.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import { ReferenceServer } from '../../reference/server.ts';
import {
  createMfaMock,
  loadTenantFile,
  parseTenantYaml,
  tenantOrThrow,
  type MfaMock,
  type TenantDefinition,
} from '../../simulators/mfa/index.ts';
import type { AttributeInput } from '../../protocol/index.ts';
import {
  createNas,
  type ChallengeResponder,
  type LoginMethod,
  type LoginResult,
  type Nas,
  type RetryPolicyInput,
} from '../../simulators/nas/index.ts';
import { testCredential, withTestCertificate } from './certificates.ts';
import { MemoryDirectory, type MemoryUser } from './memory-directory.ts';
import { runNasJson } from './radmfa-cli.ts';

export const DEMO_PASSWORD = 'Passw0rd!';
export const DEMO_SECRET = 'testing123';
/** bob's app-code secret in the demo tenant (and the one the test tenant gives alice's app). */
export const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
/** The demo tenant's current client certificate. */
export { TEST_THUMBPRINT as DEMO_THUMBPRINT } from './certificates.ts';
/** Where the in-process mock answers, and where virtual time starts: the engine's virtual stacks' values. */
export { VIRTUAL_MFA_URL as MFA_BASE_URL, VIRTUAL_START_MS } from '../../scenarios/embedded/stacks.ts';

export const upn = (name: string): string => `${name}@radmfa.test`;

/** What a test changes in the embedded default: `mfa` keys are merged, other keys replace. */
export interface StackTweaks {
  readonly mfa?: Readonly<Record<string, unknown>>;
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface EventLog {
  readonly access: ServerEventMap['access'][];
  readonly warnings: ServerEventMap['warning'][];
  readonly duplicates: ServerEventMap['duplicate'][];
  readonly errors: ServerEventMap['error'][];
}

function recordEvents(events: ServerEvents): EventLog {
  const log: EventLog = { access: [], warnings: [], duplicates: [], errors: [] };
  events.on('access', (e) => log.access.push(e));
  events.on('warning', (e) => log.warnings.push(e));
  events.on('duplicate', (e) => log.duplicates.push(e));
  events.on('error', (e) => log.errors.push(e));
  return log;
}

function normalised(raw: unknown): ServerConfig {
  const result = normaliseServerConfig(raw);
  if (!result.ok) throw new Error(`test config is invalid:\n${formatIssues(result.issues)}`);
  return result.config;
}

/**
 * The embedded default (demo directory, demo tenant, policies vpn-admins / vpn-users), on ephemeral
 * loopback ports, accounting in memory, no admin port, with `tweaks` applied.
 */
export function embeddedTestConfig(tweaks: StackTweaks = {}): ServerConfig {
  const base = embeddedDefaultConfig();
  const { admin: _admin, ...rest } = base;
  const mfa = { ...(base.mfa as Record<string, unknown>), ...tweaks.mfa };
  return normalised({
    ...rest,
    listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
    accounting: { path: ':memory:' },
    mfa,
    ...tweaks.config,
  });
}

export interface NasRun {
  readonly exitCode: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

/** A reply attribute from `radmfa nas --json` output. */
export function replyAttribute(run: NasRun, name: string): unknown {
  const attributes = Array.isArray(run.json.attributes) ? (run.json.attributes as unknown[]) : [];
  const found = attributes.find(
    (a): a is { name: string; value: unknown } =>
      typeof a === 'object' && a !== null && (a as { name?: unknown }).name === name,
  );
  return found?.value;
}

export interface InProcessLogin {
  readonly user: string;
  readonly password?: string;
  readonly method?: LoginMethod;
  readonly challengeResponder?: ChallengeResponder;
  readonly attributes?: readonly AttributeInput[];
}

/** A reply attribute of an in-process login; octets come back as text. */
export function loginAttribute(result: LoginResult, name: string): string | number | undefined {
  const value = result.attributes.find((a) => a.name === name)?.value;
  if (value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'number' || typeof value === 'string' ? value : String(value);
}

/** One login by the simulated NAS over UDP against `endpoint` (nps-recommended profile). */
export async function loginOver(endpoint: Endpoint, login: InProcessLogin): Promise<LoginResult> {
  const nas = createNas({
    transport: new UdpTransport(),
    clock: new SystemClock(),
    servers: [{ host: endpoint.address, port: endpoint.port, secret: DEMO_SECRET }],
    profile: 'nps-recommended',
    ...(login.attributes !== undefined ? { accessAttributes: login.attributes } : {}),
  });
  try {
    return await nas.login({
      method: login.method ?? 'pap',
      user: login.user,
      password: login.password ?? DEMO_PASSWORD,
      ...(login.challengeResponder !== undefined ? { challengeResponder: login.challengeResponder } : {}),
    });
  } finally {
    await nas.close();
  }
}

export interface RunningMfaStack {
  readonly stack: Stack;
  readonly endpoint: Endpoint;
  readonly mock: MfaMock;
  /** Base URL of the mock over loopback HTTP (its admin endpoints included). */
  readonly mfaUrl: string;
  readonly events: EventLog;
  /** `radmfa nas --server ... --secret testing123 ARGS --json`, the real command in a child process. */
  nas(args: readonly string[]): Promise<NasRun>;
  /**
   * The same simulated NAS in this process, over UDP (nps-recommended profile: 60 s, one datagram
   * per login), for the logins where the command line itself is not what is tested.
   */
  login(options: InProcessLogin): Promise<LoginResult>;
  /** Prompts the mock sent this user (begin calls). */
  begins(user: string): number;
  close(): Promise<void>;
}

/** The embedded default over real loopback sockets (SystemClock, UdpTransport), in this process. */
export async function startMfaStack(tweaks: StackTweaks = {}): Promise<RunningMfaStack> {
  const events = new ServerEvents();
  const log = recordEvents(events);
  const stack = await startStack(embeddedTestConfig(tweaks), {
    clock: new SystemClock(),
    transport: new UdpTransport(),
    events,
  });
  const [endpoint] = stack.server.endpoints('auth');
  const mock = stack.mfaMock;
  const mfaUrl = stack.mfaUrl;
  if (endpoint === undefined || mock === undefined || mfaUrl === undefined) {
    await stack.close();
    throw new Error('the stack started without an auth socket or without the embedded MFA mock');
  }
  return {
    stack,
    endpoint,
    mock,
    mfaUrl,
    events: log,
    nas: (args) =>
      runNasJson(
        ['--server', `${endpoint.address}:${endpoint.port}`, '--secret', DEMO_SECRET, ...args],
        30_000,
      ),
    login: (login) => loginOver(endpoint, login),
    begins: (user) => mock.service.history.count({ endpoint: 'begin', user }),
    close: () => stack.close(),
  };
}

/**
 * The demo tenant YAML with `edit` applied, written to a fresh temp file. Returns the file and a
 * function that removes it.
 */
export function writeTenantVariant(edit: (tenant: Record<string, unknown>) => void): {
  file: string;
  remove: () => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-mfa-tenant-'));
  const tenant = parseYaml(readFileSync(demoTenantFixture, 'utf8')) as Record<string, unknown>;
  // The demo's certificate files are relative to fixtures/tenant; the copy lives elsewhere.
  const demo = tenant.tenant as { certificates?: { file?: string }[] } | undefined;
  for (const entry of demo?.certificates ?? [])
    if (entry.file !== undefined) entry.file = path.resolve(path.dirname(demoTenantFixture), entry.file);
  edit(tenant);
  const file = path.join(dir, 'tenant.yaml');
  writeFileSync(file, toYaml(tenant));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Replaces one user's entry of a tenant object (as parsed from YAML). */
export function replaceTenantUser(
  tenant: Record<string, unknown>,
  upnValue: string,
  user: Record<string, unknown>,
): void {
  const users = Array.isArray(tenant.users) ? (tenant.users as Record<string, unknown>[]) : [];
  tenant.users = users.map((u) => (u.upn === upnValue ? user : u));
}

/**
 * alice with an authenticator app that does both push (her default, approved after 2 s) and codes
 * (TOTP, DEMO_TOTP_SECRET): the user OVERRIDE_NUMBER_MATCHING_WITH_OTP is about.
 */
export const ALICE_PUSH_AND_APP_CODE: Record<string, unknown> = {
  upn: upn('alice'),
  alternateIds: ['alice.anderson@radmfa.test'],
  methods: ['push', 'app_code'],
  defaultMethod: 'push',
  totp: { secret: DEMO_TOTP_SECRET, algorithm: 'SHA1', digits: 6, period: 30 },
  behaviour: { prompt: { outcome: 'approve', after: '2s' } },
};

// ---------------------------------------------------------------- virtual time

/** The demo directory (fixtures/directory/demo.yaml) as MemoryDirectory users. */
export const DEMO_MEMORY_USERS: readonly MemoryUser[] = [
  ...(
    [
      ['alice', 'anderson'],
      ['bob', 'brown'],
      ['carol', 'clark'],
      ['dave', 'davis'],
      ['erin', 'evans'],
      ['frank', 'foster'],
      ['ivan', 'ivanov'],
      ['judy', 'jones'],
    ] as const
  ).map(([name, surname]): MemoryUser => ({
    name,
    password: DEMO_PASSWORD,
    userPrincipalName: upn(name),
    groups: name === 'alice' ? ['VPN-Users', 'VPN-Admins'] : ['VPN-Users'],
    attributes: { mail: [`${name}.${surname}@radmfa.test`] },
  })),
  { name: 'grace', password: DEMO_PASSWORD, userPrincipalName: upn('grace'), state: 'disabled' },
  { name: 'heidi', password: DEMO_PASSWORD, userPrincipalName: upn('heidi'), state: 'password-expired' },
];

let demoTenant: Promise<TenantDefinition> | undefined;

/** The demo tenant, loaded once. */
export function loadDemoTenant(): Promise<TenantDefinition> {
  demoTenant ??= loadTenantFile(demoTenantFixture).then(withTestCertificate);
  return demoTenant;
}

/** A tenant from the demo YAML with `edit` applied, in memory. */
export function demoTenantVariant(edit: (tenant: Record<string, unknown>) => void): TenantDefinition {
  const tenant = parseYaml(readFileSync(demoTenantFixture, 'utf8')) as Record<string, unknown>;
  edit(tenant);
  return withTestCertificate(
    tenantOrThrow(
      parseTenantYaml(toYaml(tenant), { baseDir: path.dirname(demoTenantFixture) }),
      'test tenant',
    ),
  );
}

export interface VirtualStackOptions {
  /** The msw server of the test file (listening); its handlers are replaced by this mock's. */
  readonly msw: SetupServer;
  readonly mfa?: Readonly<Record<string, unknown>>;
  /** Other top-level config keys (duplicates, npsCompat, ...). */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly tenant?: TenantDefinition;
  readonly clock?: VirtualClock;
  /** Directory latency of every lookup (ms of virtual time). */
  readonly directoryLatencyMs?: number;
}

export interface VirtualMfaStack {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  readonly directory: MemoryDirectory;
  readonly mock: MfaMock;
  readonly server: ReferenceServer;
  readonly config: ServerConfig;
  readonly endpoint: Endpoint;
  readonly events: EventLog;
  /** A simulated NAS on the same network and clock. */
  nas(options?: {
    profile?: string;
    policy?: RetryPolicyInput;
    accessAttributes?: readonly { name: string; value: string | number }[];
  }): Nas;
  /** Ms of virtual time since the stack started. */
  elapsed(): number;
  begins(user: string): number;
  close(): Promise<void>;
}

/**
 * The reference server + CloudMfa composed as scenarios/embedded/compose.ts does, but in virtual time: the
 * directory in memory, the MFA mock's msw handlers in process on the same VirtualClock.
 */
export async function startVirtualMfaStack(options: VirtualStackOptions): Promise<VirtualMfaStack> {
  const clock = options.clock ?? new VirtualClock(VIRTUAL_START_MS);
  const started = clock.now();
  const tenant = options.tenant ?? (await loadDemoTenant());
  const mock = createMfaMock({ tenant, clock });
  options.msw.resetHandlers(...mock.handlers);
  const network = new MemoryNetwork(clock);
  const directory = new MemoryDirectory({
    clock,
    users: DEMO_MEMORY_USERS,
    ...(options.directoryLatencyMs !== undefined ? { latencyMs: options.directoryLatencyMs } : {}),
  });
  const base = embeddedDefaultConfig();
  const config = normalised({
    listen: { hosts: ['127.0.0.1'], authPort: 1812, acctPort: 1813 },
    clients: base.clients,
    directory: { url: 'ldap://127.0.0.1:389' },
    accounting: { path: ':memory:' },
    policy: base.policy,
    duplicates: { profile: 'nps' },
    mfa: {
      enabled: true,
      serviceUrl: MFA_BASE_URL,
      tenantId: tenant.id,
      certificates: { dir: 'test/fixtures/certificates' },
      // msw/node intercepts node:http(s) requests only, not HTTP/2 sessions.
      http: 'http1.1',
      ...options.mfa,
    },
    ...options.config,
  });
  const events = new ServerEvents();
  const log = recordEvents(events);
  const secondFactor = new CloudMfa({
    settings: config.mfa,
    baseUrl: config.mfa.serviceUrl,
    clock,
    credential: testCredential(clock, tenant.id),
    onWarning: (code, message, context) =>
      events.emit('warning', { code, message, client: context.client, userName: context.user.accountName }),
  });
  const accounting: AccountingStore = openAccountingStore(':memory:');
  const server = await ReferenceServer.start({
    config,
    transport: network,
    clock,
    directory,
    accounting,
    events,
    secondFactor,
  });
  const [endpoint] = server.endpoints('auth');
  if (endpoint === undefined) throw new Error('no auth endpoint');
  const nasList: Nas[] = [];
  return {
    clock,
    network,
    directory,
    mock,
    server,
    config,
    endpoint,
    events: log,
    nas: (nasOptions = {}) => {
      const nas = createNas({
        transport: network,
        clock,
        servers: [{ host: endpoint.address, port: endpoint.port, secret: DEMO_SECRET }],
        ...(nasOptions.profile !== undefined ? { profile: nasOptions.profile } : {}),
        ...(nasOptions.policy !== undefined ? { policy: nasOptions.policy } : {}),
        ...(nasOptions.accessAttributes !== undefined
          ? { accessAttributes: nasOptions.accessAttributes }
          : {}),
      });
      nasList.push(nas);
      return nas;
    },
    elapsed: () => clock.now() - started,
    begins: (user) => mock.service.history.count({ endpoint: 'begin', user }),
    close: async () => {
      for (const nas of nasList) await nas.close();
      await server.close();
      accounting.close();
      mock.dispose();
      options.msw.resetHandlers();
    },
  };
}
