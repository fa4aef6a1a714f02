// Client certificates for tests. The test certificate is committed (test/fixtures/certificates,
// ECDSA P-256, valid 2020-2045 for the demo tenant), so a test needs no key generation and a run in
// virtual time (2025) and one in real time both fall inside its dates. Tests that need other dates
// generate certificates with runtime/certificates.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../runtime/clock.ts';
import { createNpsCertificate, pemBlocks } from '../../runtime/certificates.ts';
import { CertificateCredential } from '../../reference/mfa/client-credential.ts';
import { clientCertificateFromPem, type ClientCertificate } from '../../reference/mfa/client-certificates.ts';
import {
  keyCredentialFromPem,
  withKeyCredentials,
  type KeyCredential,
  type TenantDefinition,
} from '../../simulators/mfa/tenant.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TEST_CERTIFICATE_FILE = path.resolve(here, '../fixtures/certificates/test-client.pem');
/** Relative to the repository root (the working directory of vitest), for inline tenant YAML. */
export const TEST_CERTIFICATE_ENTRY = `{ file: test/fixtures/certificates/test-client.pem }`;
export const TEST_THUMBPRINT = '32407621FB86D0B377A77B7548550AFF25C567E6';
export const DEMO_TENANT_ID = '3f6b2c1e-8a4d-4e2f-9b7a-0c5d1e2f3a4b';

const pem = readFileSync(TEST_CERTIFICATE_FILE, 'utf8');
const certificatePem = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE')?.pem ?? '';
const keyPem = pemBlocks(pem).find((b) => b.label === 'PRIVATE KEY')?.pem ?? '';

export const testCertificate: ClientCertificate = clientCertificateFromPem(
  certificatePem,
  keyPem,
  TEST_CERTIFICATE_FILE,
);

export function testKeyCredential(): KeyCredential {
  return keyCredentialFromPem(certificatePem, { description: 'test certificate' });
}

/** The tenant with the test certificate registered (once). */
export function withTestCertificate(tenant: TenantDefinition): TenantDefinition {
  return tenant.certificates.some((c) => c.thumbprint === TEST_THUMBPRINT)
    ? tenant
    : withKeyCredentials(tenant, [testKeyCredential()]);
}

/** The server's credential over the test certificate (selected by subject for the demo tenant). */
export function testCredential(clock: Clock, tenantId = DEMO_TENANT_ID): CertificateCredential {
  return new CertificateCredential({
    certificates: [testCertificate],
    tenantId,
    clock,
    // Tests with other tenants still sign with the one test certificate.
    ...(tenantId !== DEMO_TENANT_ID ? { identifier: TEST_THUMBPRINT } : {}),
  });
}

/** The demo tenant's registered, expired previous certificate (fixtures/certificates/demo). */
export function demoExpiredCertificate(): ClientCertificate {
  const file = path.resolve(here, '../../fixtures/certificates/demo/previous-expired.pem');
  const blocks = pemBlocks(readFileSync(file, 'utf8'));
  return clientCertificateFromPem(
    blocks.find((b) => b.label === 'CERTIFICATE')?.pem ?? '',
    blocks.find((b) => b.label === 'PRIVATE KEY')?.pem ?? '',
    file,
  );
}

/** A certificate for the demo tenant that no tenant registers, valid around `now`. */
export async function unregisteredCertificate(
  now: number,
  tenantId = DEMO_TENANT_ID,
): Promise<ClientCertificate> {
  const made = await createNpsCertificate(tenantId, now, { keyType: 'ec-p256' });
  return clientCertificateFromPem(made.certificatePem, made.privateKeyPem, 'generated');
}

/** A credential over exactly these certificates, signing with the first (by its thumbprint). */
export function credentialFor(
  certificates: readonly ClientCertificate[],
  clock: Clock,
): CertificateCredential {
  return new CertificateCredential({
    certificates,
    tenantId: DEMO_TENANT_ID,
    clock,
    identifier: certificates[0]?.thumbprint ?? '',
  });
}
