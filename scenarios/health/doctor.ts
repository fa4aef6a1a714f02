// `radmfa doctor`'s composition: from a loaded configuration to the table of checks. The checks are
// reference/health's; what happens here is what only scenarios/ may do: start the embedded peers a
// configuration names (the LDAP stub for directory.embedded.fixture, the MFA mock for
// mfa.embedded.tenant, over HTTPS with a run CA when asked), so the embedded default is checked the
// way `radmfa serve` would run it. Everything started here is stopped before the report returns.
import { SystemClock, type Clock } from '../../runtime/clock.ts';
import type { Issue } from '../../runtime/validation/index.ts';
import type { MfaSettings } from '../../reference/config/mfa-config.ts';
import { normaliseServerConfig, type ServerConfig } from '../../reference/config/server-config.ts';
import type { DirectoryTarget } from '../../reference/health/directory-check.ts';
import {
  configRow,
  runDoctorChecks,
  skippedRows,
  type MfaTarget,
  type Unavailable,
} from '../../reference/health/doctor-checks.ts';
import { overallStatus, type HealthRow, type OverallStatus } from '../../reference/health/rows.ts';
import { loadCertificateDir } from '../../reference/mfa/client-certificates.ts';
import { CertificateCredential } from '../../reference/mfa/client-credential.ts';
import { startLdapStub } from '../../simulators/ldap/index.ts';
import { embeddedCredential } from '../embedded/certificates.ts';
import { embeddedResource, serveEmbeddedCloud } from '../embedded/mfa-cloud-embedded.ts';

/** The configuration as read: its raw value, or why it could not be read (file missing, bad YAML). */
export type DoctorInput =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: readonly Issue[] };

export interface DoctorReport {
  readonly schemaVersion: 1;
  /** What was checked: the config file, or "the embedded default". */
  readonly source: string;
  readonly status: OverallStatus;
  readonly rows: readonly HealthRow[];
}

export interface DoctorOptions {
  readonly clock?: Clock;
}

type Cleanup = () => Promise<void> | void;

function report(source: string, rows: readonly HealthRow[]): DoctorReport {
  return { schemaVersion: 1, source, status: overallStatus(rows), rows };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function directoryTarget(
  config: ServerConfig,
  clock: Clock,
  cleanups: Cleanup[],
): Promise<DirectoryTarget | Unavailable> {
  const { directory } = config;
  const common = { timeoutMs: directory.timeoutMs };
  if (directory.embeddedFixture === undefined) {
    return {
      ...common,
      url: directory.url ?? '',
      bindDn: directory.bindDn,
      bindPassword: directory.bindPassword,
      baseDn: directory.baseDn,
    };
  }
  try {
    const stub = await startLdapStub({ fixturePath: directory.embeddedFixture, clock });
    cleanups.push(() => stub.stop());
    // As the embedded stack does: the stub's own service account and base unless the file sets them.
    return {
      ...common,
      url: stub.url,
      bindDn: directory.bindDn || stub.serviceAccount.dn,
      bindPassword: directory.bindPassword || stub.serviceAccount.password,
      baseDn: directory.baseDn || stub.baseDn,
      embedded: true,
    };
  } catch (error) {
    return {
      unavailable: `the embedded directory stub could not start: ${messageOf(error)}`,
      fix: 'correct directory.embedded.fixture (example: fixtures/directory/demo.yaml)',
    };
  }
}

/** The certificates of mfa.certificates.dir, with the files that could not be used. */
function credentialFromDir(settings: MfaSettings, dir: string, clock: Clock): Omit<MfaTarget, 'settings'> {
  const loaded = loadCertificateDir(dir);
  const credential = new CertificateCredential({
    certificates: loaded.certificates,
    tenantId: settings.tenantId,
    clock,
    ...(settings.CLIENT_CERT_IDENTIFIER !== undefined ? { identifier: settings.CLIENT_CERT_IDENTIFIER } : {}),
  });
  return { credential, certificateSource: dir, problems: loaded.problems };
}

/** The embedded mock, served as `radmfa serve` would serve it, and the credential it knows. */
async function embeddedMfaTarget(
  settings: MfaSettings,
  tenantFile: string,
  clock: Clock,
  cleanups: Cleanup[],
): Promise<MfaTarget> {
  const { createMfaMock, loadTenantFile, serveMfaMock } = await import('../../simulators/mfa/index.ts');
  const loaded = await loadTenantFile(tenantFile);
  let effective: MfaSettings = { ...settings, tenantId: settings.tenantId || loaded.id };
  let client: Omit<MfaTarget, 'settings'>;
  let tenant = loaded;
  if (effective.certificateDir !== undefined) {
    client = credentialFromDir(effective, effective.certificateDir, clock);
  } else {
    const embedded = await embeddedCredential(effective, clock, loaded);
    tenant = embedded.tenant ?? loaded;
    client = {
      credential: embedded.credential,
      certificateSource: 'generated at start-up for the embedded tenant',
      problems: [],
    };
  }
  cleanups.push(() => client.credential.close());
  const mock = createMfaMock({
    tenant,
    clock,
    ...(effective.embeddedHttps ? { resource: embeddedResource(effective) } : {}),
  });
  cleanups.push(() => mock.dispose());
  if (effective.embeddedHttps) {
    const cloud = await serveEmbeddedCloud(mock, effective);
    cleanups.push(() => cloud.servers.close());
    return { ...client, settings: cloud.settings, ca: cloud.caPem };
  }
  const http = await serveMfaMock(mock, { host: '127.0.0.1', port: 0 });
  cleanups.push(() => http.close());
  effective = { ...effective, serviceUrl: effective.serviceUrl || http.url };
  return { ...client, settings: effective };
}

async function mfaTarget(
  config: ServerConfig,
  clock: Clock,
  cleanups: Cleanup[],
): Promise<MfaTarget | Unavailable | undefined> {
  const settings = config.mfa;
  if (!settings.enabled) return undefined;
  if (settings.embeddedTenant !== undefined) {
    try {
      return await embeddedMfaTarget(settings, settings.embeddedTenant, clock, cleanups);
    } catch (error) {
      return {
        unavailable: `the embedded MFA mock could not start: ${messageOf(error)}`,
        fix: 'correct mfa.embedded.tenant (format: docs/mfa-api.md, "Tenant file")',
      };
    }
  }
  // The config's rules require certificates.dir for a service of its own.
  const dir = settings.certificateDir ?? '';
  const client = credentialFromDir(settings, dir, clock);
  cleanups.push(() => client.credential.close());
  return { ...client, settings };
}

/** Every check, in order, on this configuration; the embedded peers it names are started and stopped. */
export async function runDoctor(
  input: DoctorInput,
  source: string,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const clock = options.clock ?? new SystemClock();
  const normalised = input.ok ? normaliseServerConfig(input.value) : input;
  if (!normalised.ok) {
    return report(source, [
      configRow(normalised.issues, source),
      ...skippedRows('not checked: the configuration is invalid'),
    ]);
  }
  const { config } = normalised;
  const cleanups: Cleanup[] = [];
  try {
    const directory = await directoryTarget(config, clock, cleanups);
    const mfa = await mfaTarget(config, clock, cleanups);
    const rows = await runDoctorChecks({ config, clock, directory, ...(mfa !== undefined ? { mfa } : {}) });
    return report(source, [configRow([], source), ...rows]);
  } finally {
    // Last started, first stopped; one failing cleanup must not leave the others running.
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Nothing to report: the rows are the result, and the peer is gone either way.
      }
    }
  }
}
