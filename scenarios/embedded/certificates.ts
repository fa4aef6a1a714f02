// The reference server's client certificate in the embedded stacks. With mfa.certificates.dir the
// server reads its certificates from there, as a deployment does (registering them with the tenant
// is `radmfa cert new`'s job, so an unregistered one is refused as Entra would). Without it, a demo
// certificate is generated at start-up (ECDSA P-256: about a millisecond, where RSA 2048 takes
// 100-300 ms) and registered with the embedded tenant in memory, next to the demo's expired previous
// certificate, whose key ships in fixtures/certificates/demo so a case can present it.
import { resolve } from 'node:path';
import type { Clock } from '../../runtime/clock.ts';
import { createNpsCertificate } from '../../runtime/certificates.ts';
import type { MfaSettings } from '../../reference/config/mfa-config.ts';
import { CertificateCredential, type CertificateWarningCode } from '../../reference/mfa/client-credential.ts';
import {
  clientCertificateFromPem,
  loadCertificateDir,
  type ClientCertificate,
} from '../../reference/mfa/client-certificates.ts';
import {
  keyCredentialFromPem,
  withKeyCredentials,
  type TenantDefinition,
} from '../../simulators/mfa/tenant.ts';

export const demoCertificateDir = resolve(import.meta.dirname, '../../fixtures/certificates/demo');

export interface EmbeddedCredential {
  readonly credential: CertificateCredential;
  /** The tenant with the generated certificate registered, when one was generated. */
  readonly tenant?: TenantDefinition;
}

/** Certificates of a directory; a file that cannot be used stops the stack with its name. */
export function certificatesIn(dir: string): readonly ClientCertificate[] {
  const { certificates, problems } = loadCertificateDir(dir);
  if (problems.length > 0)
    throw new Error(
      `client certificates in ${dir}: ${problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`,
    );
  return certificates;
}

export async function embeddedCredential(
  settings: MfaSettings,
  clock: Clock,
  tenant: TenantDefinition | undefined,
  onWarning?: (code: CertificateWarningCode, message: string) => void,
): Promise<EmbeddedCredential> {
  const identifier = settings.CLIENT_CERT_IDENTIFIER;
  const common = {
    tenantId: settings.tenantId,
    clock,
    ...(identifier !== undefined ? { identifier } : {}),
    ...(onWarning !== undefined ? { onWarning } : {}),
  };
  if (settings.certificateDir !== undefined || tenant === undefined) {
    const certificates = settings.certificateDir !== undefined ? certificatesIn(settings.certificateDir) : [];
    return { credential: new CertificateCredential({ ...common, certificates }) };
  }
  const generated = await createNpsCertificate(settings.tenantId, clock.now(), { keyType: 'ec-p256' });
  const current = clientCertificateFromPem(generated.certificatePem, generated.privateKeyPem, 'generated');
  const registered = withKeyCredentials(tenant, [
    keyCredentialFromPem(generated.certificatePem, { description: 'generated at start-up' }),
  ]);
  return {
    credential: new CertificateCredential({
      ...common,
      certificates: [current, ...certificatesIn(demoCertificateDir)],
    }),
    tenant: registered,
  };
}
