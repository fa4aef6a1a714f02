// The server's client certificates: reading a directory, choosing by thumbprint or subject, rollover
// before expiry, refusing to start with only expired ones, the 30-day warning on a VirtualClock, and
// the whole token flow against the mock with real signatures.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { IssueCollector } from '../../../runtime/validation/index.ts';
import {
  createNpsCertificate,
  createSelfSignedCertificate,
  type GeneratedCertificate,
} from '../../../runtime/certificates.ts';
import { normaliseMfa } from '../../../reference/config/mfa-config.ts';
import { CloudMfa } from '../../../reference/mfa/cloud-mfa.ts';
import { CertificateCredential } from '../../../reference/mfa/client-credential.ts';
import {
  certificateStartIssues,
  clientCertificateFromPem,
  loadCertificateDir,
  selectCertificate,
  type ClientCertificate,
} from '../../../reference/mfa/client-certificates.ts';
import type { MfaContext } from '../../../reference/mfa/second-factor.ts';
import { createMfaMock, type MfaMock } from '../../../simulators/mfa/mock.ts';
import { keyCredentialFromPem, withKeyCredentials } from '../../../simulators/mfa/tenant.ts';
import { loadDemoTenant } from '../../support/mfa-stack.ts';

const TENANT_ID = '3f6b2c1e-8a4d-4e2f-9b7a-0c5d1e2f3a4b';
const NOW = Date.UTC(2025, 0, 6, 9, 0, 0);
const DAY = 86_400_000;
const MFA_URL = 'https://mfa.radmfa.test';

/** A certificate valid from `from` for `days`, as ClientCertificate and as PEM. */
async function certificate(
  from: number,
  days: number,
  subject = `CN=${TENANT_ID}, OU=Microsoft NPS Extension`,
): Promise<{ pem: GeneratedCertificate; cert: ClientCertificate }> {
  const pem = await createSelfSignedCertificate({
    subject,
    notBefore: new Date(from),
    notAfter: new Date(from + days * DAY),
    keyType: 'ec-p256',
  });
  return { pem, cert: clientCertificateFromPem(pem.certificatePem, pem.privateKeyPem, 'test') };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-certs-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('reading the certificate directory', () => {
  it('pairs each certificate with its key: in one PEM file, or NAME.crt with NAME.key; names unusable files', async () => {
    const dir = tempDir();
    const [one, two, orphan, mismatched] = await Promise.all([
      certificate(NOW - DAY, 730),
      certificate(NOW - DAY, 730),
      certificate(NOW - DAY, 730),
      certificate(NOW - DAY, 730),
    ]);
    writeFileSync(path.join(dir, 'one.pem'), one.pem.certificatePem + one.pem.privateKeyPem);
    writeFileSync(path.join(dir, 'two.crt'), two.pem.certificatePem);
    writeFileSync(path.join(dir, 'two.key'), two.pem.privateKeyPem);
    writeFileSync(path.join(dir, 'orphan.cer'), orphan.pem.certificatePem);
    writeFileSync(path.join(dir, 'mismatched.pem'), mismatched.pem.certificatePem + one.pem.privateKeyPem);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a certificate');
    const loaded = loadCertificateDir(dir);
    expect(loaded.certificates.map((c) => c.thumbprint).sort()).toEqual(
      [one.pem.info.thumbprint, two.pem.info.thumbprint].sort(),
    );
    expect(loaded.problems).toEqual([
      {
        file: path.join(dir, 'mismatched.pem'),
        message: 'the private key does not belong to the certificate',
      },
      { file: path.join(dir, 'orphan.cer'), message: expect.stringMatching(/^no private key/) as unknown },
    ]);
  });
});

describe('choosing the certificate', () => {
  it('by CLIENT_CERT_IDENTIFIER (thumbprint, any case and separators), else by the NPS subject', async () => {
    const [nps, other] = await Promise.all([
      certificate(NOW - DAY, 730),
      certificate(NOW - DAY, 900, 'CN=someone-else, OU=Elsewhere'),
    ]);
    const all = [other.cert, nps.cert];
    const bySubject = selectCertificate(all, { tenantId: TENANT_ID, now: NOW });
    expect(bySubject.kind === 'selected' && bySubject.certificate.thumbprint).toBe(nps.cert.thumbprint);
    const spaced = other.cert.thumbprint.toLowerCase().replace(/(..)/g, '$1:').slice(0, -1);
    const byThumbprint = selectCertificate(all, { tenantId: TENANT_ID, now: NOW, identifier: spaced });
    expect(byThumbprint.kind === 'selected' && byThumbprint.certificate.thumbprint).toBe(
      other.cert.thumbprint,
    );
    expect(selectCertificate(all, { tenantId: 'other-tenant', now: NOW })).toMatchObject({
      kind: 'none',
      reason: 'no-match',
    });
  });

  it('rollover: the old one expiring in 10 days and a new one; the new one is used, and alone after the old expires', async () => {
    const [old, fresh] = await Promise.all([certificate(NOW - 720 * DAY, 730), certificate(NOW - DAY, 730)]);
    const pick = (now: number): string | false => {
      const s = selectCertificate([old.cert, fresh.cert], { tenantId: TENANT_ID, now });
      return s.kind === 'selected' && s.certificate.thumbprint;
    };
    expect(pick(NOW)).toBe(fresh.cert.thumbprint);
    expect(pick(NOW + 11 * DAY)).toBe(fresh.cert.thumbprint);
    // Before the new one was made, the old one was the one.
    expect(selectCertificate([old.cert], { tenantId: TENANT_ID, now: NOW })).toMatchObject({
      kind: 'selected',
    });
  });

  it('refuses to start with only expired certificates (or none valid yet), naming the field and the fix', async () => {
    const [expired, future] = await Promise.all([
      certificate(NOW - 800 * DAY, 730),
      certificate(NOW + DAY, 730),
    ]);
    const dir = tempDir();
    const onlyExpired = { certificates: [expired.cert], problems: [] };
    expect(certificateStartIssues(dir, onlyExpired, { tenantId: TENANT_ID, now: NOW })).toEqual([
      {
        path: 'mfa.certificates.dir',
        message: expect.stringMatching(
          new RegExp(`every certificate that matches has expired: ${expired.cert.thumbprint}`),
        ) as unknown,
        fix: expect.stringMatching(
          /^make a new one and delete the expired ones: radmfa cert rollover --dir /,
        ) as unknown,
      },
    ]);
    expect(
      certificateStartIssues(dir, onlyExpired, {
        tenantId: TENANT_ID,
        now: NOW,
        identifier: expired.cert.thumbprint,
      }),
    ).toEqual([expect.objectContaining({ path: 'mfa.CLIENT_CERT_IDENTIFIER' })]);
    expect(
      certificateStartIssues(
        dir,
        { certificates: [future.cert], problems: [] },
        { tenantId: TENANT_ID, now: NOW },
      ),
    ).toEqual([expect.objectContaining({ message: expect.stringMatching(/valid yet/) as unknown })]);
    expect(
      certificateStartIssues(
        dir,
        { certificates: [expired.cert, future.cert], problems: [] },
        {
          tenantId: TENANT_ID,
          now: NOW + 2 * DAY,
        },
      ),
    ).toEqual([]);
  });
});

describe('the 30-day warning', () => {
  it('says nothing 31 days before expiry, warns once at 30 days, and again for nothing usable at expiry', async () => {
    const clock = new VirtualClock(NOW);
    const { cert } = await certificate(NOW - 699 * DAY, 730); // expires at NOW + 31 days
    const warnings: { code: string; message: string; at: number }[] = [];
    const credential = new CertificateCredential({
      certificates: [cert],
      tenantId: TENANT_ID,
      clock,
      onWarning: (code, message) => warnings.push({ code, message, at: clock.now() }),
    });
    await clock.advance(DAY - 1);
    expect(warnings).toEqual([]);
    await clock.advance(1);
    expect(warnings).toEqual([
      {
        code: 'client-certificate-expiring',
        message: expect.stringMatching(
          new RegExp(
            `^client certificate ${cert.thumbprint} .* expires in 30 day\\(s\\): run radmfa cert rollover`,
          ),
        ) as unknown,
        at: cert.notAfter - 30 * DAY,
      },
    ]);
    await clock.advance(29 * DAY);
    expect(warnings).toHaveLength(1);
    await clock.advance(DAY);
    expect(warnings.map((w) => [w.code, w.at])).toEqual([
      ['client-certificate-expiring', cert.notAfter - 30 * DAY],
      ['client-certificate-unusable', cert.notAfter],
    ]);
    // Thumbprint, subject and dates: never the key.
    expect(JSON.stringify(warnings)).not.toMatch(/PRIVATE KEY|BEGIN/);
    credential.close();
  });

  it('warns at start-up when the certificate in use is already within 30 days', async () => {
    const clock = new VirtualClock(NOW);
    const { cert } = await certificate(NOW - 720 * DAY, 730);
    const codes: string[] = [];
    new CertificateCredential({
      certificates: [cert],
      tenantId: TENANT_ID,
      clock,
      onWarning: (code) => codes.push(code),
    }).close();
    expect(codes).toEqual(['client-certificate-expiring']);
  });
});

describe('the token flow with real signatures, CloudMfa against the mock', () => {
  const msw = setupServer();
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => msw.resetHandlers());
  afterAll(() => msw.close());
  const mocks: MfaMock[] = [];
  afterEach(() => {
    for (const mock of mocks.splice(0)) mock.dispose();
  });

  const context = (name: string): MfaContext => ({
    client: 'test',
    method: 'pap',
    user: {
      accountName: name,
      dn: `CN=${name}`,
      userPrincipalName: `${name}@radmfa.test`,
      attributes: {},
      groups: [],
      state: 'active',
    },
  });

  async function login(
    clock: VirtualClock,
    mfa: CloudMfa,
    name = 'alice',
  ): Promise<Awaited<ReturnType<CloudMfa['verify']>>> {
    const pending = mfa.verify(context(name));
    let settled: Awaited<ReturnType<CloudMfa['verify']>> | undefined;
    void pending.then((d) => (settled = d));
    for (let i = 0; i < 100 && settled === undefined; i++) await clock.advance(100);
    if (settled === undefined) throw new Error('the login did not finish');
    return settled;
  }

  async function stack(
    registered: readonly ClientCertificate[],
    present: readonly ClientCertificate[],
    clock: VirtualClock,
  ) {
    const pems = new Map(registered.map((c) => [c.thumbprint, c]));
    const base = await loadDemoTenant();
    const tenant = withKeyCredentials(
      { ...base, certificates: [] },
      [...pems.values()].map((c) => keyCredentialFromPem(pemOf(c))),
    );
    const mock = createMfaMock({ tenant, clock });
    mocks.push(mock);
    msw.resetHandlers(...mock.handlers);
    const c = new IssueCollector();
    const settings = normaliseMfa(c, {
      serviceUrl: MFA_URL,
      // msw/node intercepts node:http(s) requests only, not HTTP/2 sessions.
      http: 'http1.1',
      tenantId: TENANT_ID,
      certificates: { dir: 'test/fixtures/certificates' },
    });
    expect(c.issues).toEqual([]);
    const credential = new CertificateCredential({ certificates: present, tenantId: TENANT_ID, clock });
    const mfa = new CloudMfa({ settings, baseUrl: MFA_URL, clock, credential });
    return { mock, mfa };
  }

  const pemText = new Map<string, string>();
  function pemOf(c: ClientCertificate): string {
    return pemText.get(c.thumbprint) ?? '';
  }
  async function made(from: number, days: number): Promise<ClientCertificate> {
    const { pem, cert } = await certificate(from, days);
    pemText.set(cert.thumbprint, pem.certificatePem);
    return cert;
  }

  it('a registered certificate gets a token and alice her push; an unregistered one is a security token error', async () => {
    const clock = new VirtualClock(NOW);
    const [mine, unregistered] = await Promise.all([made(NOW - DAY, 730), made(NOW - DAY, 731)]);
    const good = await stack([mine], [mine], clock);
    expect(await login(clock, good.mfa)).toMatchObject({ kind: 'allow', reason: 'mfa-approved' });
    good.mfa.close();
    const bad = await stack([mine], [unregistered], clock);
    expect(await login(clock, bad.mfa)).toMatchObject({
      kind: 'deny',
      reason: 'mfa-unavailable',
      code: 'ESTS_TOKEN_ERROR',
    });
    expect(bad.mock.service.history.list({ endpoint: 'token' }).map((call) => call.result)).toEqual([
      'ESTS_TOKEN_ERROR:unknown_certificate',
    ]);
    expect(bad.mock.service.history.list({ endpoint: 'begin' })).toEqual([]);
    bad.mfa.close();
  });

  it('rolled over: the old one (10 days left) and the new one both registered; the new one signs, before and after the old expires', async () => {
    const clock = new VirtualClock(NOW);
    const [old, fresh] = await Promise.all([made(NOW - 720 * DAY, 730), made(NOW - DAY, 730)]);
    const { mock, mfa } = await stack([old, fresh], [old, fresh], clock);
    expect(await login(clock, mfa)).toMatchObject({ kind: 'allow' });
    await clock.advance(11 * DAY); // the old one has expired; the token (1 h) too
    expect(await login(clock, mfa)).toMatchObject({ kind: 'allow' });
    expect(mock.service.history.list({ endpoint: 'token' }).map((call) => call.result)).toEqual([
      'token_issued',
      'token_issued',
    ]);
    mfa.close();
  });

  it('with only the old one, past its expiry: the service refuses it (certificate_expired), the login fails closed', async () => {
    const clock = new VirtualClock(NOW);
    const old = await made(NOW - 720 * DAY, 730);
    const { mock, mfa } = await stack([old], [old], clock);
    expect(await login(clock, mfa)).toMatchObject({ kind: 'allow' });
    await clock.advance(11 * DAY);
    expect(await login(clock, mfa)).toMatchObject({
      kind: 'deny',
      reason: 'mfa-unavailable',
      code: 'ESTS_TOKEN_ERROR',
    });
    expect(mock.service.history.list({ endpoint: 'token' }).map((call) => call.result)).toEqual([
      'token_issued',
      'ESTS_TOKEN_ERROR:certificate_expired',
    ]);
    mfa.close();
  });

  it('a certificate the tenant registers only from a later date is refused until then (not yet valid)', async () => {
    const clock = new VirtualClock(NOW);
    const cert = await made(NOW - DAY, 730);
    const base = await loadDemoTenant();
    const tenant = withKeyCredentials({ ...base, certificates: [] }, [
      keyCredentialFromPem(pemOf(cert), { startDate: NOW + DAY }),
    ]);
    const mock = createMfaMock({ tenant, clock });
    mocks.push(mock);
    msw.resetHandlers(...mock.handlers);
    const c = new IssueCollector();
    const settings = normaliseMfa(c, {
      serviceUrl: MFA_URL,
      // msw/node intercepts node:http(s) requests only, not HTTP/2 sessions.
      http: 'http1.1',
      tenantId: TENANT_ID,
      certificates: { dir: 'test/fixtures/certificates' },
    });
    const mfa = new CloudMfa({
      settings,
      baseUrl: MFA_URL,
      clock,
      credential: new CertificateCredential({ certificates: [cert], tenantId: TENANT_ID, clock }),
    });
    expect(await login(clock, mfa)).toMatchObject({ kind: 'deny', code: 'ESTS_TOKEN_ERROR' });
    expect(mock.service.history.list({ endpoint: 'token' })[0]?.result).toBe(
      'ESTS_TOKEN_ERROR:certificate_not_yet_valid',
    );
    mfa.close();
  });
});

describe('generated certificates', () => {
  it('are what the setup script makes: the NPS subject, two years, Client Authentication', async () => {
    const made = await createNpsCertificate(TENANT_ID, NOW, { keyType: 'ec-p256' });
    expect(made.info.subject).toBe(`CN=${TENANT_ID}, OU=Microsoft NPS Extension`);
    expect(made.info.notAfter - made.info.notBefore).toBe(730 * DAY);
    const { X509Certificate } = await import('node:crypto');
    // 1.3.6.1.5.5.7.3.2 is id-kp-clientAuth (RFC 5280 section 4.2.1.12).
    expect(new X509Certificate(made.certificatePem).keyUsage).toContain('1.3.6.1.5.5.7.3.2');
  });
});
