// The token endpoint's check of client assertions with real signatures: the certificate registered
// as a KeyCredential with its dates, the signature, the claims. jose (an independent JWS
// implementation) signs some assertions and verifies the ones radmfa signs.

import { createPrivateKey, randomUUID } from 'node:crypto';
import { compactVerify, importX509, jwtVerify, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { createNpsCertificate, type GeneratedCertificate } from '../../../runtime/certificates.ts';
import {
  CLIENT_ASSERTION_TYPE,
  NPS_CLIENT_ID,
  thumbprintToBase64Url,
} from '../../../protocol/client-assertion.ts';
import { tokenPath, type TokenRequest } from '../../../protocol/mfa-api.ts';
import { CertificateCredential } from '../../../reference/mfa/client-credential.ts';
import { clientCertificateFromPem } from '../../../reference/mfa/client-certificates.ts';
import { MfaService } from '../../../simulators/mfa/service.ts';
import {
  keyCredentialFromPem,
  parseTenantYaml,
  type KeyCredential,
  type TenantDefinition,
} from '../../../simulators/mfa/tenant.ts';

const TENANT_ID = '3f6b2c1e-8a4d-4e2f-9b7a-0c5d1e2f3a4b';
const NOW = Date.UTC(2025, 0, 6, 9, 0, 0);
const DAY = 86_400_000;
const TOKEN_URL = `https://login.radmfa.test${tokenPath(TENANT_ID)}`;

let rsa: GeneratedCertificate;
let ec: GeneratedCertificate;
let stranger: GeneratedCertificate;

beforeAll(async () => {
  [rsa, ec, stranger] = await Promise.all([
    createNpsCertificate(TENANT_ID, NOW - DAY, { keyType: 'rsa-2048' }),
    createNpsCertificate(TENANT_ID, NOW - DAY, { keyType: 'ec-p256' }),
    createNpsCertificate(TENANT_ID, NOW - DAY, { keyType: 'ec-p256' }),
  ]);
});

function tenantWith(credentials: readonly KeyCredential[]): TenantDefinition {
  const parsed = parseTenantYaml(`tenant: { id: ${TENANT_ID}, domains: [radmfa.test] }\n`);
  if (!parsed.ok) throw new Error('test tenant did not parse');
  return { ...parsed.tenant, certificates: credentials };
}

function serviceWith(credentials: readonly KeyCredential[], now = NOW): MfaService {
  return new MfaService({ tenant: tenantWith(credentials), clock: new VirtualClock(now) });
}

function credentialOf(generated: GeneratedCertificate, clock: VirtualClock): CertificateCredential {
  return new CertificateCredential({
    certificates: [clientCertificateFromPem(generated.certificatePem, generated.privateKeyPem, 'test')],
    tenantId: TENANT_ID,
    clock,
    identifier: generated.info.thumbprint,
  });
}

function request(assertion: string): TokenRequest {
  return {
    grant_type: 'client_credentials',
    client_id: NPS_CLIENT_ID,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  };
}

async function radmfaAssertion(
  generated: GeneratedCertificate,
  at = NOW,
  audience = TOKEN_URL,
): Promise<string> {
  const credential = credentialOf(generated, new VirtualClock(at));
  const body = await credential.tokenRequest(audience);
  credential.close();
  if ('error' in body) throw new Error(body.error);
  return body.client_assertion;
}

function detailOf(service: MfaService, assertion: string, tenantId = TENANT_ID): string {
  const result = service.issueToken(tenantId, request(assertion), TOKEN_URL);
  if (result.ok) return 'issued';
  expect(result.code).toBe('ESTS_TOKEN_ERROR');
  return result.detail ?? '';
}

describe('client assertions at the token endpoint', () => {
  it("issues a token for radmfa's assertions (PS256 for RSA, ES256 for EC), and jose verifies them", async () => {
    for (const generated of [rsa, ec]) {
      const service = serviceWith([keyCredentialFromPem(generated.certificatePem)]);
      const assertion = await radmfaAssertion(generated);
      expect(detailOf(service, assertion)).toBe('issued');
      // An independent implementation accepts the signature and reads the claims Entra documents.
      const key = await importX509(
        generated.certificatePem,
        generated.info.keyType === 'rsa' ? 'PS256' : 'ES256',
      );
      const { payload, protectedHeader } = await jwtVerify(assertion, key, {
        audience: TOKEN_URL,
        issuer: NPS_CLIENT_ID,
        subject: NPS_CLIENT_ID,
        currentDate: new Date(NOW),
      });
      expect(protectedHeader).toMatchObject({
        alg: generated.info.keyType === 'rsa' ? 'PS256' : 'ES256',
        typ: 'JWT',
        x5t: thumbprintToBase64Url(generated.info.thumbprint),
        'x5t#S256': thumbprintToBase64Url(generated.info.thumbprintSha256),
      });
      expect(payload.exp).toBe(payload.nbf! + 600);
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('accepts what jose signs: RS256 with only the SHA-1 x5t (the older Entra form) and PS256 with x5t#S256', async () => {
    const service = serviceWith([keyCredentialFromPem(rsa.certificatePem)]);
    const key = createPrivateKey(rsa.privateKeyPem);
    const claims = (jwt: SignJWT): SignJWT =>
      jwt
        .setAudience(TOKEN_URL)
        .setIssuer(NPS_CLIENT_ID)
        .setSubject(NPS_CLIENT_ID)
        .setJti(randomUUID())
        .setNotBefore(NOW / 1000)
        .setExpirationTime(NOW / 1000 + 300);
    const rs256 = await claims(
      new SignJWT({}).setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        x5t: thumbprintToBase64Url(rsa.info.thumbprint),
      }),
    ).sign(key);
    const ps256 = await claims(
      new SignJWT({}).setProtectedHeader({
        alg: 'PS256',
        typ: 'JWT',
        'x5t#S256': thumbprintToBase64Url(rsa.info.thumbprintSha256),
      }),
    ).sign(key);
    expect(detailOf(service, rs256)).toBe('issued');
    expect(detailOf(service, ps256)).toBe('issued');
    await expect(compactVerify(rs256, createPrivateKey(rsa.privateKeyPem))).rejects.toThrow();
  });

  it('refuses an unregistered certificate: AADSTS700027, the key was not found, naming the thumbprint', async () => {
    const service = serviceWith([keyCredentialFromPem(ec.certificatePem)]);
    const detail = detailOf(service, await radmfaAssertion(stranger));
    expect(detail).toMatch(/^unknown_certificate: AADSTS700027: .*The key was not found/);
    expect(detail).toContain(stranger.info.thumbprint);
  });

  it('refuses a registered certificate past its end date, and one before its start date', async () => {
    const registered = keyCredentialFromPem(ec.certificatePem, { startDate: NOW - DAY, endDate: NOW + DAY });
    const assertion = (at: number): Promise<string> => radmfaAssertion(ec, at);
    expect(detailOf(serviceWith([registered], NOW + DAY - 1), await assertion(NOW + DAY - 1))).toBe('issued');
    expect(detailOf(serviceWith([registered], NOW + DAY), await assertion(NOW + DAY))).toMatch(
      /^certificate_expired: AADSTS700027: .*The key used is expired/,
    );
    const future = keyCredentialFromPem(ec.certificatePem, { startDate: NOW + DAY });
    expect(detailOf(serviceWith([future]), await assertion(NOW))).toMatch(
      /^certificate_not_yet_valid: AADSTS700027/,
    );
  });

  it('takes the KeyCredential dates from the certificate when the tenant gives none', () => {
    const registered = keyCredentialFromPem(ec.certificatePem);
    expect(registered.startDate).toBe(ec.info.notBefore);
    expect(registered.endDate).toBe(ec.info.notAfter);
  });

  it('refuses a tampered assertion (a changed claim, or another key behind the registered x5t)', async () => {
    const service = serviceWith([keyCredentialFromPem(ec.certificatePem)]);
    const [header, payload, signature] = (await radmfaAssertion(ec)).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const changed = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 3600 })).toString(
      'base64url',
    );
    expect(detailOf(service, `${header}.${changed}.${signature}`)).toMatch(/^invalid_signature: AADSTS50013/);
    // The stranger's key signs, the header names the registered certificate.
    const [, strangerPayload, strangerSignature] = (await radmfaAssertion(stranger)).split('.');
    expect(detailOf(service, `${header}.${strangerPayload}.${strangerSignature}`)).toMatch(
      /^invalid_signature/,
    );
  });

  it('refuses an assertion outside its time range, for another audience, or from another client', async () => {
    const service = serviceWith([keyCredentialFromPem(ec.certificatePem)]);
    // Signed 10 min + the 5 min skew before now: exp has passed.
    expect(detailOf(service, await radmfaAssertion(ec, NOW - 900_000))).toMatch(
      /^assertion_expired: AADSTS700024/,
    );
    expect(detailOf(service, await radmfaAssertion(ec, NOW - 899_000))).toBe('issued');
    expect(
      detailOf(service, await radmfaAssertion(ec, NOW, 'https://login.radmfa.test/sts/other-tenant/token')),
    ).toMatch(/^wrong_audience/);
    const wrongClient = service.issueToken(
      TENANT_ID,
      { ...request(await radmfaAssertion(ec)), client_id: 'someone-else' },
      TOKEN_URL,
    );
    expect(!wrongClient.ok && wrongClient.detail).toMatch(/^wrong_client: .*AADSTS700016/);
    expect(detailOf(service, 'not.a.jwt')).toMatch(/^invalid_assertion/);
  });

  it('refuses a tenant file entry with only a thumbprint: it cannot verify a signature', () => {
    const parsed = parseTenantYaml(
      `tenant: { id: t, domains: [x.test], certificates: [{ thumbprint: '${'A'.repeat(40)}' }] }\n`,
    );
    expect(parsed.ok ? [] : parsed.issues).toEqual([
      expect.objectContaining({
        path: 'tenant.certificates[0]',
        message: 'a thumbprint alone cannot verify a signature',
      }),
    ]);
  });
});
