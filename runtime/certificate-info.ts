// What a PEM certificate says, read with node:crypto alone (no X.509 library): thumbprints, subject,
// validity. The MFA mock and the reference server both need it; only runtime/certificates.ts, which
// makes certificates, loads @peculiar/x509.

import { createHash, type X509Certificate } from 'node:crypto';

/** The seed: "The cert has a subject name of CN <tenantid>, OU = Microsoft NPS Extension". */
export const NPS_CERTIFICATE_OU = 'Microsoft NPS Extension';

/** The seed: "Certificates created by the AzureMfaNpsExtnConfigSetup.ps1 script are valid for 2 years". */
export const NPS_CERTIFICATE_VALIDITY_DAYS = 730;

export function npsCertificateSubject(tenantId: string): string {
  return `CN=${tenantId}, OU=${NPS_CERTIFICATE_OU}`;
}

/** What a certificate says, without its key: safe to print and log. */
export interface CertificateInfo {
  /** SHA-1 of the DER, upper-case hex: what Windows, CLIENT_CERT_IDENTIFIER and Entra's x5t use. */
  readonly thumbprint: string;
  /** SHA-256 of the DER, upper-case hex (Entra's x5t#S256). */
  readonly thumbprintSha256: string;
  /** RFC 4514-style, e.g. "CN=<tenant id>, OU=Microsoft NPS Extension". */
  readonly subject: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly keyType: 'rsa' | 'ec' | 'other';
}

/** node prints a subject one attribute a line ("CN=x\nOU=y"); certificate tools print "CN=x, OU=y". */
export function formatSubject(subject: string): string {
  return subject
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(', ');
}

/**
 * Subjects compared as sets of attribute=value, case-insensitively, as the extension's lookup by
 * subject name is: "CN=t,OU=Microsoft NPS Extension" matches "OU=Microsoft NPS Extension, CN=T".
 */
export function sameSubject(a: string, b: string): boolean {
  const parts = (s: string): string[] =>
    s
      .split(/[\n,]/)
      .map((part) =>
        part
          .trim()
          .replace(/\s*=\s*/, '=')
          .toLowerCase(),
      )
      .filter(Boolean)
      .sort();
  const left = parts(a);
  const right = parts(b);
  return left.length === right.length && left.every((part, i) => part === right[i]);
}

export function certificateInfo(certificate: X509Certificate): CertificateInfo {
  const der = certificate.raw;
  const type = certificate.publicKey.asymmetricKeyType;
  return {
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    subject: formatSubject(certificate.subject),
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
    keyType: type === 'rsa' || type === 'rsa-pss' ? 'rsa' : type === 'ec' ? 'ec' : 'other',
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** The PEM blocks of a file by label ("CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", ...). */
export function pemBlocks(text: string): { readonly label: string; readonly pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? '', pem: m[0] }));
}
