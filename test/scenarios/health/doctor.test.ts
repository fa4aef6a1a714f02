// Each of radmfa doctor's checks failing for its own reason, against real peers on loopback: the
// LDAP stub (started from the config, or stopped to leave a refused port), the MFA mock served as the
// public cloud over HTTPS with a CA made for the run, certificates made for the dates each case needs.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../runtime/clock.ts';
import { createNpsCertificate } from '../../../runtime/certificates.ts';
import { CLOUD_PRESETS } from '../../../reference/config/mfa-cloud.ts';
import type { HealthCheckId, HealthRow } from '../../../reference/health/rows.ts';
import { demoDirectoryFixture } from '../../../scenarios/embedded/defaults.ts';
import { runDoctor, type DoctorReport } from '../../../scenarios/health/doctor.ts';
import { startLdapStub } from '../../../simulators/ldap/index.ts';
import {
  createMfaMock,
  keyCredentialFromPem,
  serveMfaCloud,
  withKeyCredentials,
  type MfaCloudServers,
  type MfaMock,
  type TenantDefinition,
} from '../../../simulators/mfa/index.ts';
import { createRunCa, type RunCa } from '../../../simulators/mfa/run-ca.ts';
import { DEMO_TENANT_ID, TEST_CERTIFICATE_FILE } from '../../support/certificates.ts';
import { loadDemoTenant } from '../../support/mfa-stack.ts';

const clock = new SystemClock();
const DAY = 86_400_000;
const work = mkdtempSync(path.join(tmpdir(), 'radmfa-doctor-'));
const PUBLIC = CLOUD_PRESETS.public;
let ca: RunCa;
let caFile: string;

beforeAll(async () => {
  ca = await createRunCa({ now: clock.now() });
  caFile = path.join(work, 'run-ca.pem');
  writeFileSync(caFile, ca.certPem);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Cloud {
  readonly mock: MfaMock;
  readonly servers: MfaCloudServers;
}
const clouds: Cloud[] = [];
afterEach(async () => {
  for (const cloud of clouds.splice(0)) {
    await cloud.servers.close();
    cloud.mock.dispose();
  }
});

/** The demo tenant as the public cloud, on two HTTPS listeners with certificates from `issuer`. */
async function publicCloud(options: { tenant?: TenantDefinition; issuer?: RunCa } = {}): Promise<Cloud> {
  const tenant = options.tenant ?? (await loadDemoTenant());
  const mock = createMfaMock({ tenant, clock, resource: `https://${PUBLIC.AZURE_MFA_RESOURCE_HOSTNAME}` });
  const issuer = options.issuer ?? ca;
  const servers = await serveMfaCloud(mock, {
    hostnames: { sts: new URL(PUBLIC.STS_URL).hostname, mfa: PUBLIC.AZURE_MFA_HOSTNAME },
    certificateFor: (hostname) => issuer.issue([hostname]),
  });
  const cloud = { mock, servers };
  clouds.push(cloud);
  return cloud;
}

let dirs = 0;
/** A certificate directory holding these PEM files (certificate and key in each). */
function certificateDir(files: Record<string, string>): string {
  const dir = path.join(work, `certs-${++dirs}`);
  mkdirSync(dir);
  for (const [name, pem] of Object.entries(files)) writeFileSync(path.join(dir, name), pem, { mode: 0o600 });
  return dir;
}

function testCertificateDir(): string {
  const dir = certificateDir({});
  copyFileSync(TEST_CERTIFICATE_FILE, path.join(dir, 'test-client.pem'));
  return dir;
}

/** A demo-tenant certificate with these dates, as PEM (certificate and key). */
async function certificateValid(notBefore: number, notAfter: number): Promise<{ pem: string; cert: string }> {
  const made = await createNpsCertificate(DEMO_TENANT_ID, notBefore, {
    notBefore,
    validityDays: (notAfter - notBefore) / DAY,
    keyType: 'ec-p256',
  });
  return { pem: `${made.certificatePem}${made.privateKeyPem}`, cert: made.certificatePem };
}

/** The embedded directory on ephemeral ports, no admin port, MFA as `mfa` says. */
function config(overrides: { mfa?: Record<string, unknown>; directory?: Record<string, unknown> } = {}) {
  return {
    listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
    clients: [{ name: 'localhost', address: '127.0.0.1', secret: 'testing123' }],
    directory: overrides.directory ?? { embedded: { fixture: demoDirectoryFixture } },
    accounting: { path: ':memory:' },
    ...(overrides.mfa !== undefined ? { mfa: overrides.mfa } : {}),
  };
}

/** The mfa section for the public cloud mapped to `cloud`'s listeners, trusting the run CA. */
function cloudMfa(
  cloud: Cloud,
  certificates: string,
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    enabled: true,
    cloud: 'public',
    tenantId: DEMO_TENANT_ID,
    certificates: { dir: certificates },
    caFile,
    resolve: cloud.servers.resolve,
    httpTimeoutMs: 5_000,
    ...more,
  };
}

const doctor = (value: unknown): Promise<DoctorReport> =>
  runDoctor({ ok: true, value }, 'test config', { clock });

function row(report: DoctorReport, id: HealthCheckId): HealthRow {
  const found = report.rows.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no ${id} row in ${JSON.stringify(report.rows)}`);
  return found;
}

/** The ids of the rows with this status. */
const withStatus = (report: DoctorReport, status: HealthRow['status']): HealthCheckId[] =>
  report.rows.filter((r) => r.status === status).map((r) => r.id);

describe('radmfa doctor checks, each failing for its own reason', () => {
  it('all pass against a reachable cloud with a registered, valid certificate; rows in order', async () => {
    const cloud = await publicCloud();
    const report = await doctor(config({ mfa: cloudMfa(cloud, testCertificateDir()) }));
    expect(report.rows.map((r) => [r.id, r.status])).toEqual([
      ['config', 'pass'],
      ['radius-ports', 'pass'],
      ['directory', 'pass'],
      ['token-service', 'pass'],
      ['mfa-service', 'pass'],
      ['client-certificate', 'pass'],
      ['tenant-registration', 'pass'],
      ['require-user-match', 'pass'],
      ['fail-mode', 'pass'],
    ]);
    expect(report.status).toBe('pass');
    expect(row(report, 'mfa-service').message).toContain(
      `https://${PUBLIC.AZURE_MFA_HOSTNAME} answers over TLS`,
    );
    expect(row(report, 'mfa-service').message).toContain(`mfa.caFile (${caFile})`);
    expect(cloud.mock.service.history.list({}).map((c) => [c.endpoint, c.result])).toEqual([
      ['token', 'token_issued'],
    ]);
  });

  it('a bad config field: the config row lists every issue with its fix, the other checks are skipped', async () => {
    const report = await doctor({
      ...config(),
      listen: { hosts: ['not-an-address'], authPort: 1812, acctPort: 1812 },
    });
    expect(row(report, 'config')).toMatchObject({ status: 'fail' });
    expect(row(report, 'config').message).toContain('listen.hosts[0]: "not-an-address" is not an IP address');
    expect(row(report, 'config').message).toContain('listen.acctPort: is the same port as listen.authPort');
    expect(row(report, 'config').fix).toContain('listen.hosts[0]: use an address such as 127.0.0.1');
    expect(withStatus(report, 'skip')).toHaveLength(8);
    expect(report.status).toBe('fail');
  });

  it('LDAP unreachable: the directory row fails with the refused address, the others pass', async () => {
    const stub = await startLdapStub({ fixturePath: demoDirectoryFixture });
    const { url, serviceAccount, baseDn } = stub;
    await stub.stop();
    const report = await doctor(
      config({
        directory: {
          url,
          bindDn: serviceAccount.dn,
          bindPassword: serviceAccount.password,
          baseDn,
          timeoutMs: 3_000,
        },
      }),
    );
    expect(row(report, 'directory')).toMatchObject({ status: 'fail' });
    expect(row(report, 'directory').message).toBe(`cannot reach ${url} (ECONNREFUSED)`);
    expect(row(report, 'directory').fix).toMatch(/start the directory or correct directory\.url/);
    expect(withStatus(report, 'fail')).toEqual(['directory']);
  });

  it('wrong bind password: the service account is refused, and the password is not printed', async () => {
    const report = await doctor(
      config({
        directory: { embedded: { fixture: demoDirectoryFixture }, bindPassword: 'Wr0ng-S3cret-value' },
      }),
    );
    expect(row(report, 'directory')).toMatchObject({ status: 'fail' });
    expect(row(report, 'directory').message).toMatch(
      /refused the service account CN=svc-radius,OU=Service Accounts,DC=radmfa,DC=test: invalid credentials$/,
    );
    expect(row(report, 'directory').fix).toMatch(/correct directory\.bindDn and directory\.bindPassword/);
    expect(JSON.stringify(report)).not.toContain('Wr0ng-S3cret-value');
    expect(withStatus(report, 'fail')).toEqual(['directory']);
  });

  it('MFA host unreachable: its row fails as the seed\'s "HTTP connect error"; the token service still answers', async () => {
    const cloud = await publicCloud();
    cloud.mock.service.faults.set({ unreachable: { hosts: ['mfa'] } });
    await cloud.servers.settled();
    const report = await doctor(config({ mfa: cloudMfa(cloud, testCertificateDir()) }));
    expect(row(report, 'mfa-service')).toMatchObject({ status: 'fail' });
    expect(row(report, 'mfa-service').message).toMatch(
      new RegExp(
        `^https://${PUBLIC.AZURE_MFA_HOSTNAME.replace(/\./g, '\\.')} cannot be reached \\(HTTP_CONNECT_ERROR`,
      ),
    );
    expect(row(report, 'mfa-service').fix).toMatch(/reachable from this machine/);
    expect(withStatus(report, 'fail')).toEqual(['mfa-service']);
  });

  it('untrusted TLS certificate: TLS untrusted-certificate, the fix names mfa.caFile', async () => {
    const other = await createRunCa({ now: clock.now(), commonName: 'someone else' });
    const cloud = await publicCloud({ issuer: other });
    const report = await doctor(config({ mfa: cloudMfa(cloud, testCertificateDir()) }));
    for (const id of ['token-service', 'mfa-service'] as const) {
      expect(row(report, id)).toMatchObject({ status: 'fail' });
      expect(row(report, id).message).toMatch(/: TLS untrusted-certificate \(HTTPS_COMMUNICATION_ERROR\)$/);
      expect(row(report, id).fix).toMatch(/^set mfa\.caFile to the CA that signs/);
    }
    // No token without the STS: the registration check fails as the security token error.
    expect(row(report, 'tenant-registration').message).toMatch(/ESTS_TOKEN_ERROR: security token error/);
    expect(row(report, 'client-certificate').status).toBe('pass');
  });

  it('only an expired certificate: the certificate row fails as serve would refuse to start', async () => {
    const now = clock.now();
    const expired = await certificateValid(now - 800 * DAY, now - 70 * DAY);
    const cloud = await publicCloud();
    const report = await doctor(config({ mfa: cloudMfa(cloud, certificateDir({ 'old.pem': expired.pem })) }));
    expect(row(report, 'client-certificate')).toMatchObject({ status: 'fail' });
    expect(row(report, 'client-certificate').message).toMatch(
      /^every certificate that matches has expired: [0-9A-F]{40} on /,
    );
    expect(row(report, 'client-certificate').fix).toMatch(/radmfa cert rollover/);
  });

  it('a certificate expiring in 10 days: warn with the rollover, and the exit status stays "not failed"', async () => {
    const now = clock.now();
    const expiring = await certificateValid(now - 720 * DAY, now + 10 * DAY - 60_000);
    const tenant = withKeyCredentials(await loadDemoTenant(), [keyCredentialFromPem(expiring.cert)]);
    const cloud = await publicCloud({ tenant });
    const report = await doctor(
      config({ mfa: cloudMfa(cloud, certificateDir({ 'expiring.pem': expiring.pem })) }),
    );
    expect(row(report, 'client-certificate')).toMatchObject({ status: 'warn' });
    expect(row(report, 'client-certificate').message).toMatch(/expires in 10 day\(s\)$/);
    expect(row(report, 'client-certificate').fix).toMatch(/^run radmfa cert rollover/);
    expect(row(report, 'tenant-registration').status).toBe('pass');
    expect(report.status).toBe('warn');
  });

  it('an unregistered certificate: no token, the row carries the token error', async () => {
    const now = clock.now();
    const unregistered = await certificateValid(now - DAY, now + 700 * DAY);
    const cloud = await publicCloud();
    const report = await doctor(
      config({ mfa: cloudMfa(cloud, certificateDir({ 'new.pem': unregistered.pem })) }),
    );
    expect(row(report, 'client-certificate').status).toBe('pass');
    expect(row(report, 'tenant-registration')).toMatchObject({ status: 'fail' });
    expect(row(report, 'tenant-registration').message).toMatch(
      /^no token: ESTS_TOKEN_ERROR: .*unknown_certificate/,
    );
    expect(row(report, 'tenant-registration').fix).toMatch(/register the certificate with the tenant/);
    expect(withStatus(report, 'fail')).toEqual(['tenant-registration']);
  });

  it('REQUIRE_USER_MATCH FALSE and fail-open: warnings with "remove before production"', async () => {
    const cloud = await publicCloud();
    const report = await doctor(
      config({
        mfa: cloudMfa(cloud, testCertificateDir(), { REQUIRE_USER_MATCH: 'FALSE', failMode: 'fail-open' }),
      }),
    );
    expect(row(report, 'require-user-match')).toMatchObject({ status: 'warn' });
    expect(row(report, 'require-user-match').message).toMatch(
      /REQUIRE_USER_MATCH is FALSE.*remove before production/,
    );
    expect(row(report, 'fail-mode')).toMatchObject({ status: 'warn' });
    expect(row(report, 'fail-mode').message).toMatch(/FAIL-OPEN.*Remove before production/);
    expect(withStatus(report, 'fail')).toEqual([]);
    expect(report.status).toBe('warn');
  });
});
