// X.509 client certificates: making the self-signed ones the NPS extension's setup script makes, and
// reading any PEM certificate into the few facts both sides need (thumbprints, subject, validity).
//
// Making a certificate needs an X.509 library: node:crypto parses certificates (X509Certificate) but
// cannot create one. @peculiar/x509 is used because it is maintained (PeculiarVentures, also behind
// pkijs/asn1-schema), written in TypeScript with its own types, and builds on WebCrypto, so the key
// pair is node's own (no JavaScript RSA as in node-forge, which is slower and mostly unmaintained).
// Parsing stays with node:crypto's X509Certificate, which needs no extra dependency.

import 'reflect-metadata'; // @peculiar/x509's dependency-injection container needs it loaded first.
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  certificateInfo,
  npsCertificateSubject,
  NPS_CERTIFICATE_VALIDITY_DAYS,
  type CertificateInfo,
} from './certificate-info.ts';

export * from './certificate-info.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY_MS = 86_400_000;

/**
 * RSA 2048 is what the setup script's New-SelfSignedCertificate makes and what Entra documents for
 * client assertions (RS256/PS256). ECDSA P-256 (ES256) signs the same way and generates in about a
 * millisecond instead of 100-300 ms, which tests and start-ups that make several certificates use.
 */
export type CertificateKeyType = 'rsa-2048' | 'ec-p256';

export interface NewCertificateOptions {
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType?: CertificateKeyType;
}

export interface GeneratedCertificate {
  readonly certificatePem: string;
  /** PKCS#8 PEM. Secret: goes to a file with mode 0600 or stays in memory, never to a log. */
  readonly privateKeyPem: string;
  readonly info: CertificateInfo;
}

function algorithmFor(
  keyType: CertificateKeyType,
): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  return keyType === 'rsa-2048'
    ? {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: 2048,
      }
    : { name: 'ECDSA', namedCurve: 'P-256' };
}

/** A positive serial number (the top bit clear), random as RFC 5280 section 4.1.2.2 recommends. */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/**
 * A self-signed client certificate as AzureMfaNpsExtnConfigSetup.ps1 makes one: the tenant's subject,
 * the Client Authentication purpose (the seed: own certificates must "include the Client
 * Authentication purpose"), a digital-signature key.
 */
export async function createSelfSignedCertificate(
  options: NewCertificateOptions,
): Promise<GeneratedCertificate> {
  const keyType = options.keyType ?? 'rsa-2048';
  const algorithm = algorithmFor(keyType);
  const signing = keyType === 'rsa-2048' ? algorithm : { name: 'ECDSA', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: options.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    signingAlgorithm: signing,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  const certificatePem = certificate.toString('pem');
  const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certificatePem, privateKeyPem, info: certificateInfo(new X509Certificate(certificatePem)) };
}

/** A certificate for the NPS extension of `tenantId`, valid from `now` for the script's two years. */
export function createNpsCertificate(
  tenantId: string,
  now: number,
  options: {
    readonly validityDays?: number;
    readonly keyType?: CertificateKeyType;
    readonly notBefore?: number;
  } = {},
): Promise<GeneratedCertificate> {
  // A minute back, so a verifier whose clock runs slightly behind already accepts it.
  const notBefore = options.notBefore ?? now - 60_000;
  return createSelfSignedCertificate({
    subject: npsCertificateSubject(tenantId),
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + (options.validityDays ?? NPS_CERTIFICATE_VALIDITY_DAYS) * DAY_MS),
    ...(options.keyType !== undefined ? { keyType: options.keyType } : {}),
  });
}
