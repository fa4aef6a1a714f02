// A certificate authority made for one run, so the MFA mock can serve HTTPS under the cloud hostnames
// (login.microsoftonline.us, ...) and the reference server can verify it exactly as it would verify the
// real service, with only the trust anchor changed (mfa.caFile). ECDSA P-256 keys: generating a CA and a
// few server certificates takes milliseconds, so every run (and `npm start`) can afford a fresh one.
// @peculiar/x509 builds the certificates (the package's dependency for issue 8, shared with the client
// certificates); it needs the reflect-metadata polyfill loaded before it and a WebCrypto provider.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto);

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const HOUR_MS = 3_600_000;

/** A key and certificate in PEM, as node:tls takes them. */
export interface ServerCertificate {
  readonly key: string;
  readonly cert: string;
}

export interface IssueOptions {
  /** Default: an hour before the CA's `now`, so a clock a little behind still accepts it. */
  readonly notBefore?: Date;
  /** Default: a day after the CA's `now`. */
  readonly notAfter?: Date;
}

export interface RunCa {
  /** The CA certificate (PEM): what the reference server is given as mfa.caFile. */
  readonly certPem: string;
  /** A server certificate for these DNS names (or IP addresses), signed by this CA. */
  issue(names: readonly string[], options?: IssueOptions): Promise<ServerCertificate>;
}

export interface RunCaOptions {
  readonly commonName?: string;
  /** Epoch ms the validity periods are counted from (the run's clock; certificates meet real TLS). */
  readonly now?: number;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** A DN value must not break the DN syntax; run CAs only use simple names. */
function cn(name: string): string {
  return `CN=${name.replace(/[,=+<>#;"\\]/g, '_')}`;
}

export async function createRunCa(options: RunCaOptions = {}): Promise<RunCa> {
  const now = options.now ?? Date.now();
  const keys = await generateKeys();
  const caName = cn(options.commonName ?? 'radmfa run CA');
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: caName,
    notBefore: new Date(now - HOUR_MS),
    notAfter: new Date(now + 7 * 24 * HOUR_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const issue = async (names: readonly string[], issued: IssueOptions = {}): Promise<ServerCertificate> => {
    const [first] = names;
    if (first === undefined) throw new Error('run CA: a server certificate needs at least one name');
    const leafKeys = await generateKeys();
    const leaf = await x509.X509CertificateGenerator.create({
      subject: cn(first),
      issuer: ca.subject,
      notBefore: issued.notBefore ?? new Date(now - HOUR_MS),
      notAfter: issued.notAfter ?? new Date(now + 24 * HOUR_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          names.map((value) => ({ type: isIP(value) === 0 ? 'dns' : 'ip', value })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    return { key: await keyPem(leafKeys.privateKey), cert: leaf.toString('pem') };
  };
  return { certPem: ca.toString('pem'), issue };
}
