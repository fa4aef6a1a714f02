// What can stop a valid configuration from starting: a fixture or tenant file that is missing or
// broken, a port another program holds. Checked before anything starts, and all of them at once,
// so a first run reports every such problem in the config validator's "field: problem. Fix:" form
// rather than the first exception's message.
import type { ServerConfig } from '../reference/config/server-config.ts';
import type { Issue } from '../runtime/validation/index.ts';
import { DirectoryFixtureError, LdapStubError, loadDirectoryFixture } from '../simulators/ldap/index.ts';
import { MfaMockError } from '../simulators/mfa/errors.ts';
import { loadTenantFile } from '../simulators/mfa/tenant.ts';
import { bindIssue, errnoOf, probeTcp, probeUdp } from '../reference/health/ports.ts';
import { certificateStartIssues, loadCertificateDir } from '../reference/mfa/client-certificates.ts';
import { demoCertificateDir } from '../scenarios/embedded/certificates.ts';

async function portIssues(config: ServerConfig): Promise<Issue[]> {
  const checks: Promise<Issue | undefined>[] = [];
  for (const host of config.listen.hosts) {
    for (const [path, port, flag] of [
      ['listen.authPort', config.listen.authPort, '--auth-port'],
      ['listen.acctPort', config.listen.acctPort, '--acct-port'],
    ] as const) {
      if (port === 0) continue;
      checks.push(
        probeUdp(host, port).then((e) =>
          e === undefined ? undefined : bindIssue(path, host, port, e, flag),
        ),
      );
    }
  }
  const admin = config.admin;
  if (admin !== undefined && admin.port !== 0) {
    checks.push(
      probeTcp(admin.host, admin.port).then((e) =>
        e === undefined ? undefined : bindIssue('admin.port', admin.host, admin.port, e, '--admin-port'),
      ),
    );
  }
  return (await Promise.all(checks)).filter((issue) => issue !== undefined);
}

async function fixtureIssues(path: string, field: string): Promise<Issue[]> {
  try {
    await loadDirectoryFixture(path);
    return [];
  } catch (error) {
    if (error instanceof DirectoryFixtureError) {
      return error.issues.map((issue) => ({
        path: field,
        message: `${path}: ${issue.path}: ${issue.message}`,
        fix: 'correct the directory fixture (docs: README, "The demo tenant"; example: fixtures/directory/demo.yaml)',
      }));
    }
    if (error instanceof LdapStubError) {
      return [
        {
          path: field,
          message: `cannot read ${path}`,
          fix: 'give the path of a directory fixture; in a config file it is relative to that file (the demo: fixtures/directory/demo.yaml)',
        },
      ];
    }
    throw error;
  }
}

async function tenantIssues(path: string): Promise<Issue[]> {
  const field = 'mfa.embedded.tenant';
  try {
    await loadTenantFile(path);
    return [];
  } catch (error) {
    if (!(error instanceof MfaMockError)) throw error;
    return [
      error.code === 'MFA_TENANT_UNREADABLE'
        ? {
            path: field,
            message: `cannot read ${path}`,
            fix: 'give the path of a tenant file; in a config file it is relative to that file (the demo: fixtures/tenant/demo.yaml)',
          }
        : {
            path: field,
            message: error.message.replace(/^\[radmfa mfa-mock\] \S+: /, ''),
            fix: 'correct the tenant file (format: docs/mfa-api.md, "Tenant file")',
          },
    ];
  }
}

/**
 * The client certificates the server would sign with: from mfa.certificates.dir, or with an embedded
 * tenant and no directory the generated one (always valid) plus the demo's, which only a
 * CLIENT_CERT_IDENTIFIER can pick.
 */
async function certificateIssues(config: ServerConfig, now: number): Promise<Issue[]> {
  const { mfa } = config;
  if (!mfa.enabled) return [];
  const dir =
    mfa.certificateDir ?? (mfa.CLIENT_CERT_IDENTIFIER !== undefined ? demoCertificateDir : undefined);
  if (dir === undefined) return [];
  // With an embedded tenant the id may be only in its file (a broken file is tenantIssues' to report).
  const embedded =
    mfa.tenantId === '' && mfa.embeddedTenant !== undefined
      ? await loadTenantFile(mfa.embeddedTenant).catch(() => undefined)
      : undefined;
  const tenantId = mfa.tenantId || (embedded?.id ?? '');
  return certificateStartIssues(dir, loadCertificateDir(dir), {
    tenantId,
    now,
    ...(mfa.CLIENT_CERT_IDENTIFIER !== undefined ? { identifier: mfa.CLIENT_CERT_IDENTIFIER } : {}),
  });
}

/** Every reason this configuration would fail to start, found without starting anything. */
export async function preflight(config: ServerConfig, now = Date.now()): Promise<Issue[]> {
  const [fixture, tenant, certificates, ports] = await Promise.all([
    config.directory.embeddedFixture !== undefined
      ? fixtureIssues(config.directory.embeddedFixture, 'directory.embedded.fixture')
      : config.directory.staticFixture !== undefined
        ? fixtureIssues(config.directory.staticFixture, 'directory.static.fixture')
        : [],
    config.mfa.enabled && config.mfa.embeddedTenant !== undefined
      ? tenantIssues(config.mfa.embeddedTenant)
      : [],
    certificateIssues(config, now),
    portIssues(config),
  ]);
  return [...fixture, ...tenant, ...certificates, ...ports];
}

/**
 * A start failure preflight could not foresee (a port taken in between) as an issue, when it is
 * one a user can fix; undefined for anything else (a bug, reported as such).
 */
export function startFailureIssue(error: unknown, config: ServerConfig): Issue | undefined {
  const errno = errnoOf(error);
  if (errno !== 'EADDRINUSE' && errno !== 'EACCES' && errno !== 'EADDRNOTAVAIL') return undefined;
  const { address, port } = error as { address?: unknown; port?: unknown };
  const host = typeof address === 'string' ? address : (config.listen.hosts[0] ?? '');
  const portNumber = typeof port === 'number' ? port : 0;
  const isAdmin = config.admin !== undefined && portNumber === config.admin.port && portNumber !== 0;
  const isAcct = portNumber === config.listen.acctPort && portNumber !== 0;
  const [path, flag] = isAdmin
    ? ['admin.port', '--admin-port']
    : isAcct
      ? ['listen.acctPort', '--acct-port']
      : ['listen.authPort', '--auth-port'];
  return bindIssue(path, host, portNumber, error, flag);
}
