// The live readiness behind /health: a probe every few seconds must not hammer the token service or
// the directory. A report is reused for maxAgeMs; past it, the token still comes from the MFA client's
// cache, so the STS sees one token request per token lifetime. The certificate's window is live:
// inside its last 30 days the row warns and the server stays ready.
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock, VirtualClock } from '../../../runtime/clock.ts';
import { createNpsCertificate } from '../../../runtime/certificates.ts';
import { IssueCollector } from '../../../runtime/validation/index.ts';
import { CLOUD_PRESETS } from '../../../reference/config/mfa-cloud.ts';
import { normaliseMfa } from '../../../reference/config/mfa-config.ts';
import { Readiness } from '../../../reference/health/readiness.ts';
import { CloudMfa } from '../../../reference/mfa/cloud-mfa.ts';
import { clientCertificateFromPem } from '../../../reference/mfa/client-certificates.ts';
import { CertificateCredential } from '../../../reference/mfa/client-credential.ts';
import { startLdapStub, type LdapStub } from '../../../simulators/ldap/index.ts';
import {
  createMfaMock,
  keyCredentialFromPem,
  serveMfaCloud,
  withKeyCredentials,
  type MfaCloudServers,
  type MfaMock,
} from '../../../simulators/mfa/index.ts';
import { createRunCa } from '../../../simulators/mfa/run-ca.ts';
import { demoDirectoryFixture } from '../../../scenarios/embedded/defaults.ts';
import { DEMO_TENANT_ID, testCredential } from '../../support/certificates.ts';
import { loadDemoTenant } from '../../support/mfa-stack.ts';

const PUBLIC = CLOUD_PRESETS.public;
const DAY = 86_400_000;
const opened: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

interface Fixture {
  readonly stub: LdapStub;
  readonly mock: MfaMock;
  readonly servers: MfaCloudServers;
  readonly readiness: Readiness;
}

async function fixture(
  options: {
    maxAgeMs?: number;
    /** The credential and the certificates (PEM) to register with the tenant; default the test one. */
    credential?: (clock: SystemClock) => Promise<{ credential: CertificateCredential; register: string[] }>;
  } = {},
): Promise<Fixture> {
  const clock = new SystemClock();
  const stub = await startLdapStub({ fixturePath: demoDirectoryFixture });
  opened.push(() => stub.stop());
  const ca = await createRunCa({ now: clock.now() });
  const { credential, register } = await (
    options.credential ?? ((c) => Promise.resolve({ credential: testCredential(c), register: [] }))
  )(clock);
  const tenant = withKeyCredentials(
    await loadDemoTenant(),
    register.map((pem) => keyCredentialFromPem(pem)),
  );
  const mock = createMfaMock({ tenant, clock, resource: `https://${PUBLIC.AZURE_MFA_RESOURCE_HOSTNAME}` });
  opened.push(() => mock.dispose());
  const servers = await serveMfaCloud(mock, {
    hostnames: { sts: new URL(PUBLIC.STS_URL).hostname, mfa: PUBLIC.AZURE_MFA_HOSTNAME },
    certificateFor: (hostname) => ca.issue([hostname]),
  });
  opened.push(() => servers.close());
  const c = new IssueCollector();
  const settings = normaliseMfa(c, {
    enabled: true,
    cloud: 'public',
    tenantId: DEMO_TENANT_ID,
    certificates: { dir: '.' },
    resolve: servers.resolve,
  });
  expect(c.issues).toEqual([]);
  const cloud = new CloudMfa({ settings, clock, credential, ca: ca.certPem });
  opened.push(() => cloud.close());
  const readiness = new Readiness({
    clock,
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    directory: {
      bindDn: stub.serviceAccount.dn,
      bindPassword: stub.serviceAccount.password,
      url: stub.url,
      baseDn: stub.baseDn,
      timeoutMs: 3_000,
    },
    mfa: {
      settings,
      ca: ca.certPem,
      credential,
      certificateSource: 'test',
      token: () => cloud.currentToken(),
    },
  });
  opened.push(() => readiness.close());
  return { stub, mock, servers, readiness };
}

const tokenRequests = (mock: MfaMock): number => mock.service.history.list({ endpoint: 'token' }).length;

describe('readiness (/health)', () => {
  it('a report is reused within maxAgeMs: one directory bind, one token request for many probes', async () => {
    const { stub, mock, readiness } = await fixture();
    const reports = await Promise.all([readiness.report(), readiness.report()]);
    const again = await readiness.report();
    expect(reports[0]).toBe(reports[1]);
    expect(again).toBe(reports[0]);
    expect(again).toMatchObject({ status: 'pass', ready: true });
    expect(stub.history.binds()).toHaveLength(1);
    expect(tokenRequests(mock)).toBe(1);
  });

  it('past maxAgeMs the checks run again, but the token comes from the MFA client cache', async () => {
    const { stub, mock, readiness } = await fixture({ maxAgeMs: 0 });
    for (let i = 0; i < 3; i++) expect((await readiness.report()).ready).toBe(true);
    expect(stub.history.binds()).toHaveLength(3);
    expect(tokenRequests(mock)).toBe(1);
  });

  it('a certificate in its last 30 days: the row warns, the server stays ready', async () => {
    const { readiness } = await fixture({
      credential: async (clock) => {
        const now = clock.now();
        const made = await createNpsCertificate(DEMO_TENANT_ID, now, {
          notBefore: now - 700 * DAY,
          validityDays: 710,
          keyType: 'ec-p256',
        });
        const certificate = clientCertificateFromPem(made.certificatePem, made.privateKeyPem, 'made');
        return {
          credential: new CertificateCredential({
            certificates: [certificate],
            tenantId: DEMO_TENANT_ID,
            clock,
          }),
          register: [made.certificatePem],
        };
      },
    });
    const report = await readiness.report();
    expect(report).toMatchObject({ status: 'warn', ready: true });
    expect(report.rows.find((r) => r.id === 'client-certificate')).toMatchObject({ status: 'warn' });
    expect(report.rows.find((r) => r.id === 'client-certificate')?.message).toMatch(
      /expires in 10 day\(s\)$/,
    );
  });

  it('the token service refusing: not ready, the token row fails', async () => {
    const { mock, readiness } = await fixture();
    mock.service.faults.set({ serverError: { endpoints: ['token'] } });
    const report = await readiness.report();
    expect(report).toMatchObject({ status: 'fail', ready: false });
    expect(report.rows.filter((r) => r.status === 'fail').map((r) => r.id)).toEqual(['tenant-registration']);
  });
});

it('maxAgeMs is measured on the injected clock', async () => {
  const clock = new VirtualClock(0);
  const stub = await startLdapStub({ fixturePath: demoDirectoryFixture });
  opened.push(() => stub.stop());
  const readiness = new Readiness({
    clock,
    maxAgeMs: 5_000,
    directory: {
      url: stub.url,
      bindDn: stub.serviceAccount.dn,
      bindPassword: stub.serviceAccount.password,
      baseDn: stub.baseDn,
      timeoutMs: 3_000,
    },
  });
  const first = await readiness.report();
  await clock.advance(4_999);
  expect(await readiness.report()).toBe(first);
  await clock.advance(1);
  expect(await readiness.report()).not.toBe(first);
  expect(stub.history.binds()).toHaveLength(2);
});
