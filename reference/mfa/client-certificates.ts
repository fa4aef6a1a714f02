// The server's client certificates: read from a directory of PEM files, matched to their private
// keys, and chosen the way the NPS extension chooses: by thumbprint when CLIENT_CERT_IDENTIFIER is
// set (extension 1.2.2893.1 and later), otherwise by the subject "CN=<tenant id>, OU=Microsoft NPS
// Extension"; among several (rollover, extension 1.0.1.32 and later) one that is valid now, the
// newest. Nothing here logs; callers decide what to say. Private keys never leave ClientCertificate.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import {
  certificateInfo,
  npsCertificateSubject,
  pemBlocks,
  sameSubject,
  type CertificateInfo,
} from '../../runtime/certificate-info.ts';
import type { Issue } from '../../runtime/validation/index.ts';

/** The seed's advice to monitor certificates for expiration, as a number: warn this long before. */
export const CERTIFICATE_EXPIRY_WARNING_MS = 30 * 86_400_000;

export interface ClientCertificate extends CertificateInfo {
  /** The file the certificate came from (or "generated" for the embedded default's). */
  readonly source: string;
  readonly privateKey: KeyObject;
}

export interface CertificateFileProblem {
  readonly file: string;
  readonly message: string;
}

/** A certificate with its key; throws when the key is not the certificate's. */
export function clientCertificateFromPem(
  certificatePem: string,
  privateKeyPem: string,
  source: string,
): ClientCertificate {
  const certificate = new X509Certificate(certificatePem);
  const privateKey = createPrivateKey(privateKeyPem);
  if (!certificate.checkPrivateKey(privateKey))
    throw new Error('the private key does not belong to the certificate');
  return { ...certificateInfo(certificate), source, privateKey };
}

const CERTIFICATE_EXTENSIONS = new Set(['.pem', '.crt', '.cer']);

/** The key for a certificate file: in the same file, or in the file of the same name ending .key. */
function keyPemFor(file: string, blocks: ReturnType<typeof pemBlocks>): string | undefined {
  const inFile = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  if (inFile !== undefined) return inFile.pem;
  const keyFile = join(file.slice(0, -extname(file).length) + '.key');
  try {
    return pemBlocks(readFileSync(keyFile, 'utf8')).find((b) => b.label.endsWith('PRIVATE KEY'))?.pem;
  } catch {
    return undefined;
  }
}

/**
 * Every certificate in `dir` (*.pem, *.crt, *.cer holding a CERTIFICATE block) with its private key.
 * Files that are not usable are listed as problems, never thrown, so one bad file does not hide the
 * good ones; a directory that cannot be read is one problem.
 */
export function loadCertificateDir(dir: string): {
  readonly certificates: readonly ClientCertificate[];
  readonly problems: readonly CertificateFileProblem[];
} {
  const certificates: ClientCertificate[] = [];
  const problems: CertificateFileProblem[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    return {
      certificates,
      problems: [{ file: dir, message: `cannot read the directory: ${(error as Error).message}` }],
    };
  }
  for (const name of names) {
    const file = join(dir, name);
    if (!CERTIFICATE_EXTENSIONS.has(extname(name).toLowerCase()) || !statSync(file).isFile()) continue;
    const blocks = pemBlocks(readFileSync(file, 'utf8'));
    const certificatePem = blocks.find((b) => b.label === 'CERTIFICATE')?.pem;
    if (certificatePem === undefined) continue;
    const keyPem = keyPemFor(file, blocks);
    if (keyPem === undefined) {
      problems.push({
        file,
        message: `no private key (in the file, or in ${basename(file, extname(file))}.key)`,
      });
      continue;
    }
    try {
      certificates.push(clientCertificateFromPem(certificatePem, keyPem, file));
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
    }
  }
  return { certificates, problems };
}

export interface SelectionCriteria {
  readonly tenantId: string;
  /** CLIENT_CERT_IDENTIFIER: a thumbprint (case, spaces and colons ignored). */
  readonly identifier?: string;
  readonly now: number;
}

export type CertificateState = 'valid' | 'expired' | 'not-yet-valid';

export function certificateState(certificate: CertificateInfo, now: number): CertificateState {
  if (now < certificate.notBefore) return 'not-yet-valid';
  return now >= certificate.notAfter ? 'expired' : 'valid';
}

/** Why no certificate can be used: the closed list start-up errors and warnings are written from. */
export type NoCertificateReason = 'no-certificates' | 'no-match' | 'all-expired' | 'none-valid-yet';

export type CertificateSelection =
  | {
      readonly kind: 'selected';
      readonly certificate: ClientCertificate;
      /** Every certificate the criteria match, valid or not. */
      readonly candidates: readonly ClientCertificate[];
    }
  | {
      readonly kind: 'none';
      readonly reason: NoCertificateReason;
      readonly candidates: readonly ClientCertificate[];
    };

export function normaliseIdentifier(identifier: string): string {
  return identifier.replace(/[\s:]/g, '').toUpperCase();
}

export function matchesCriteria(certificate: CertificateInfo, criteria: SelectionCriteria): boolean {
  return criteria.identifier !== undefined
    ? certificate.thumbprint === normaliseIdentifier(criteria.identifier)
    : sameSubject(certificate.subject, npsCertificateSubject(criteria.tenantId));
}

/**
 * The certificate to sign with: among those matching, one valid now, the one that stays valid the
 * longest (so after `radmfa cert rollover` the new one is used while the old one is still valid).
 */
export function selectCertificate(
  certificates: readonly ClientCertificate[],
  criteria: SelectionCriteria,
): CertificateSelection {
  if (certificates.length === 0) return { kind: 'none', reason: 'no-certificates', candidates: [] };
  const candidates = certificates.filter((c) => matchesCriteria(c, criteria));
  if (candidates.length === 0) return { kind: 'none', reason: 'no-match', candidates };
  const valid = candidates
    .filter((c) => certificateState(c, criteria.now) === 'valid')
    .sort((a, b) => b.notAfter - a.notAfter);
  const chosen = valid[0];
  if (chosen !== undefined) return { kind: 'selected', certificate: chosen, candidates };
  const reason = candidates.some((c) => certificateState(c, criteria.now) === 'not-yet-valid')
    ? 'none-valid-yet'
    : 'all-expired';
  return { kind: 'none', reason, candidates };
}

/** Thumbprint, subject and dates: what may be logged of a certificate (never its key). */
export function describeCertificate(certificate: CertificateInfo): string {
  return (
    `${certificate.thumbprint} (${certificate.subject}, valid ` +
    `${new Date(certificate.notBefore).toISOString()} to ${new Date(certificate.notAfter).toISOString()})`
  );
}

const NEW_CERTIFICATE = 'radmfa cert new --dir DIR --tenant-id TENANT --tenant-file TENANT.yaml';

/**
 * Why the server must not start with these certificates, as issues (exit 104): the seed's
 * "Expired certificates can cause issues with the NPS extension starting", made explicit. `dir` is
 * named in messages; paths are the config fields to change.
 */
export function certificateStartIssues(
  dir: string,
  loaded: ReturnType<typeof loadCertificateDir>,
  criteria: SelectionCriteria,
): Issue[] {
  const issues: Issue[] = loaded.problems.map((p) => ({
    path: 'mfa.certificates.dir',
    message: `${p.file}: ${p.message}`,
    fix: 'give each certificate its private key (in the same PEM file, or NAME.key), or remove the file',
  }));
  const selection = selectCertificate(loaded.certificates, criteria);
  if (selection.kind === 'selected') return issues;
  const byThumbprint = criteria.identifier !== undefined;
  const field = byThumbprint ? 'mfa.CLIENT_CERT_IDENTIFIER' : 'mfa.certificates.dir';
  const found = loaded.certificates.map((c) => c.thumbprint).join(', ');
  switch (selection.reason) {
    case 'no-certificates':
      issues.push({
        path: 'mfa.certificates.dir',
        message: `${dir} holds no certificate with its private key`,
        fix: `make one: ${NEW_CERTIFICATE}`,
      });
      break;
    case 'no-match':
      issues.push(
        byThumbprint
          ? {
              path: field,
              message: `no certificate in ${dir} has the thumbprint ${normaliseIdentifier(criteria.identifier ?? '')} (found: ${found})`,
              fix: `copy a thumbprint from radmfa cert list --dir ${dir}, or remove CLIENT_CERT_IDENTIFIER to choose by subject`,
            }
          : {
              path: field,
              message: `no certificate in ${dir} has the subject ${npsCertificateSubject(criteria.tenantId)}`,
              fix: `make one (${NEW_CERTIFICATE}), or set CLIENT_CERT_IDENTIFIER to the thumbprint of the one to use`,
            },
      );
      break;
    case 'all-expired':
      issues.push({
        path: field,
        message: `every certificate that matches has expired: ${selection.candidates
          .map((c) => `${c.thumbprint} on ${new Date(c.notAfter).toISOString()}`)
          .join(', ')}`,
        fix: `make a new one and delete the expired ones: radmfa cert rollover --dir ${dir} --tenant-id TENANT --tenant-file TENANT.yaml`,
      });
      break;
    case 'none-valid-yet':
      issues.push({
        path: field,
        message: `no certificate that matches is valid yet (the earliest from ${new Date(
          Math.min(...selection.candidates.map((c) => c.notBefore)),
        ).toISOString()})`,
        fix: "check this machine's clock, or wait until the certificate's start date",
      });
      break;
  }
  return issues;
}
