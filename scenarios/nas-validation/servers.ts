// The reference server (and, with --secondary-port, a second instance) serving the probe tenant, for
// `radmfa validate-nas`. Both instances share one directory and one MFA mock, as two NPS servers share
// AD and the cloud MFA tenant, so a NAS that fails over from one to the other reaches the same phone
// and a second prompt shows up in the mock's call history. Each instance keeps its own duplicate
// cache, as two real servers do: that is exactly why a failover can cost a second prompt.
//
// The pieces are those of scenarios/embedded/stacks.ts: the directory in memory (StaticDirectory,
// which follows a VirtualClock where an LDAP connection would not) and the mock's handlers called in
// process. The same code runs on UDP in real time (the command, radclient) and on a MemoryNetwork in
// virtual time (the vendor-profile tests, where a 60 s NAS timeout costs nothing).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../runtime/clock.ts';
import type { Endpoint, Transport } from '../../runtime/transport.ts';
import { ValidationError, isPlainObject, type Issue } from '../../runtime/validation/index.ts';
import { openAccountingStore, type AccountingStore } from '../../reference/accounting/index.ts';
import { normaliseServerConfig, type ServerConfig } from '../../reference/config/server-config.ts';
import { StaticDirectory } from '../../reference/directory/static-directory.ts';
import { ServerEvents, type ServerEventMap } from '../../reference/events.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import { ReferenceServer } from '../../reference/server.ts';
import { createMfaMock, type MfaMock } from '../../simulators/mfa/index.ts';
import { embeddedCredential } from '../embedded/certificates.ts';
import { inProcessFetch, staticRecords, VIRTUAL_MFA_URL } from '../embedded/stacks.ts';
import { CaptureTransport, PacketCapture, type ServerRole } from './capture.ts';
import { PROBE_PROMPT_TIMEOUT_MS, probeDirectoryInput, probeTenant, probeTenantInput } from './probe.ts';

export const PROBE_DIRECTORY_FILE = 'probe-directory.yaml';
export const PROBE_TENANT_FILE = 'probe-tenant.yaml';

export interface ProbeServerSettings {
  /** A server config (a --config file) whose clients, duplicates and replies are kept; default none. */
  readonly base?: Readonly<Record<string, unknown>>;
  readonly host: string;
  readonly authPort: number;
  readonly acctPort: number;
  /** Auth port of the second instance; its accounting port is the next one (or any free with 0). */
  readonly secondaryPort?: number;
  /** Secret for every NAS address when the base config lists no clients. */
  readonly secret: string;
  readonly password: string;
  /** Where the generated probe directory and tenant files are written (the report directory). */
  readonly workDir: string;
}

/**
 * The server config the probe runs with: the base's settings, the probe tenant's files, accounting in
 * memory, no admin port; listen and clients from the command line unless the base sets clients.
 */
export function probeServerConfig(
  settings: ProbeServerSettings,
  role: ServerRole,
): { ok: true; config: ServerConfig } | { ok: false; issues: readonly Issue[] } {
  const base = settings.base ?? {};
  const port =
    role === 'primary'
      ? { authPort: settings.authPort, acctPort: settings.acctPort }
      : {
          authPort: settings.secondaryPort ?? 0,
          acctPort:
            settings.secondaryPort === undefined || settings.secondaryPort === 0
              ? 0
              : settings.secondaryPort + 1,
        };
  const mfaBase = isPlainObject(base.mfa) ? base.mfa : {};
  const result = normaliseServerConfig({
    ...base,
    listen: { ...(isPlainObject(base.listen) ? base.listen : {}), hosts: [settings.host], ...port },
    clients: base.clients ??
      // A lab NAS has an address radmfa cannot guess: any address with the one secret.
      [
        { name: 'any-ipv4', address: '0.0.0.0/0', secret: settings.secret },
        { name: 'any-ipv6', address: '::/0', secret: settings.secret },
      ],
    directory: { embedded: { fixture: join(settings.workDir, PROBE_DIRECTORY_FILE) } },
    accounting: { path: ':memory:' },
    policy: base.policy ?? { rules: [] },
    mfa: {
      ...mfaBase,
      enabled: true,
      embedded: { tenant: join(settings.workDir, PROBE_TENANT_FILE) },
      // Longer than the slowest probe user (90 s), shorter than the mock's prompt timeout.
      approvalTimeoutMs: PROBE_PROMPT_TIMEOUT_MS - 10_000,
    },
    admin: null,
  });
  return result.ok ? { ok: true, config: result.config } : { ok: false, issues: result.issues };
}

/** Writes the probe directory and tenant as YAML files an operator can read (and the config names). */
export async function writeProbeFiles(workDir: string, password: string): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const note = '# Generated by radmfa validate-nas: the probe tenant. Every user has the same password.\n';
  await writeFile(join(workDir, PROBE_DIRECTORY_FILE), note + stringify(probeDirectoryInput(password)));
  await writeFile(join(workDir, PROBE_TENANT_FILE), note + stringify(probeTenantInput()));
}

export type AccessEvent = ServerEventMap['access'] & { readonly server: ServerRole; readonly at: number };

export interface ProbeServers {
  readonly primary: ReferenceServer;
  readonly secondary?: ReferenceServer;
  readonly config: ServerConfig;
  readonly mock: MfaMock;
  readonly capture: PacketCapture;
  /** Every answered Access-Request, from both instances. */
  readonly accessEvents: AccessEvent[];
  endpoints(role: ServerRole): { readonly auth: Endpoint; readonly acct: Endpoint } | undefined;
  close(): Promise<void>;
}

export interface StartProbeServersOptions {
  readonly settings: ProbeServerSettings;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly capture?: PacketCapture;
}

export async function startProbeServers(options: StartProbeServersOptions): Promise<ProbeServers> {
  const { settings, clock } = options;
  await writeProbeFiles(settings.workDir, settings.password);
  const roles: ServerRole[] = settings.secondaryPort === undefined ? ['primary'] : ['primary', 'secondary'];
  const configs = roles.map((role) => {
    const result = probeServerConfig(settings, role);
    if (!result.ok) throw new ValidationError('the validate-nas server config', result.issues);
    return result.config;
  });
  const [primaryConfig] = configs;
  if (primaryConfig === undefined) throw new Error('no primary config');
  const probe = probeTenant(settings.password);
  const mfaSettings = {
    ...primaryConfig.mfa,
    serviceUrl: VIRTUAL_MFA_URL,
    tenantId: probe.tenant.id,
  };
  const capture = options.capture ?? new PacketCapture();
  const accessEvents: AccessEvent[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };
  try {
    const embedded = await embeddedCredential(mfaSettings, clock, probe.tenant);
    cleanups.push(() => embedded.credential.close());
    const mock = createMfaMock({ tenant: embedded.tenant ?? probe.tenant, clock });
    cleanups.push(() => mock.dispose());
    const directory = new StaticDirectory({ users: staticRecords(probe.directory), clock });
    cleanups.push(() => directory.close());
    const servers: ReferenceServer[] = [];
    for (const [i, role] of roles.entries()) {
      const config = configs[i];
      if (config === undefined) continue;
      const effective: ServerConfig = { ...config, mfa: mfaSettings };
      const secondFactor = new CloudMfa({
        settings: effective.mfa,
        baseUrl: effective.mfa.serviceUrl,
        clock,
        credential: embedded.credential,
        fetch: inProcessFetch(mock),
      });
      cleanups.push(() => secondFactor.close());
      const accounting: AccountingStore = openAccountingStore(':memory:');
      cleanups.push(() => accounting.close());
      const events = new ServerEvents();
      events.on('access', (payload) => accessEvents.push({ ...payload, server: role, at: clock.now() }));
      const server = await ReferenceServer.start({
        config: effective,
        transport: new CaptureTransport(options.transport, clock, capture, role),
        clock,
        directory,
        accounting,
        events,
        secondFactor,
      });
      cleanups.push(() => server.close());
      servers.push(server);
    }
    const [primary, secondary] = servers;
    if (primary === undefined) throw new Error('the primary server did not start');
    const endpointsOf = (server: ReferenceServer | undefined) => {
      const [auth] = server?.endpoints('auth') ?? [];
      const [acct] = server?.endpoints('acct') ?? [];
      return auth !== undefined && acct !== undefined ? { auth, acct } : undefined;
    };
    return {
      primary,
      ...(secondary !== undefined ? { secondary } : {}),
      config: { ...primaryConfig, mfa: mfaSettings },
      mock,
      capture,
      accessEvents,
      endpoints: (role) => endpointsOf(role === 'primary' ? primary : secondary),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
