import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isPlainObject, z, type IssueCollector, type PlainObject } from '../../runtime/validation/index.ts';
import { HOSTNAME_PATTERN, isLoopbackHost } from './mfa-cloud.ts';
import { checkInputFile } from './paths.ts';

// How the MFA client reaches the service: TLS trust, the protocol floor, plain HTTP (only when asked
// for), and where each host name is reached. Kept apart from the NPS extension's own settings.

export type MinTlsVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * Which HTTP the MFA client speaks. auto: HTTP/2 where the service negotiates it by ALPN (h2c with
 * prior knowledge for plain http://), HTTP/1.1 otherwise; h2: HTTP/2 only; http1.1: never HTTP/2.
 */
export type MfaHttpVersion = 'auto' | 'h2' | 'http1.1';

export interface MfaTransportSettings {
  /** PEM file of the CA certificate(s) the MFA hosts' certificates must chain to; unset: Node's store. */
  readonly caFile?: string;
  /** Plain HTTP to a host other than loopback; off unless asked for. */
  readonly allowInsecureHttp: boolean;
  readonly minTlsVersion: MinTlsVersion;
  /**
   * Host name -> "address:port", as curl's --resolve: the name is still the one sent (Host, SNI) and
   * verified in the certificate, only the connection goes to this address. Tests and the embedded
   * stack point the cloud host names at loopback mocks this way.
   */
  readonly resolve: Readonly<Record<string, string>>;
  readonly http: MfaHttpVersion;
}

export interface ResolveTarget {
  readonly address: string;
  readonly port: number;
}

/** "127.0.0.1:8443" or "[::1]:8443": an IP address (no DNS, so no loop) and a port 1-65535. */
export function parseResolveTarget(value: string): ResolveTarget | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/i.exec(value);
  if (match === null) return undefined;
  const address = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (isIP(address) === 0 || port < 1 || port > 65_535) return undefined;
  return { address, port };
}

export const mfaTransportSchema = {
  caFile: z
    .string()
    .min(1)
    .optional()
    .meta({ fix: 'write the path of a PEM file with the CA certificate that signs the MFA hosts' }),
  allowInsecureHttp: z.boolean().default(false),
  minTlsVersion: z
    .enum(['TLSv1.2', 'TLSv1.3'])
    .default('TLSv1.2')
    .meta({ description: 'lowest TLS version accepted from the MFA hosts; TLS 1.1 and older never' }),
  resolve: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'host name -> "address:port" where that host is reached (curl --resolve)' }),
  http: z.enum(['auto', 'h2', 'http1.1']).default('auto').meta({
    description:
      'HTTP version to the MFA hosts: auto (HTTP/2 where negotiated, else HTTP/1.1), h2 (HTTP/2 only), http1.1',
    fix: 'write auto, h2 or http1.1',
  }),
};

interface TransportInput {
  readonly caFile?: string | undefined;
  readonly allowInsecureHttp: boolean;
  readonly minTlsVersion: MinTlsVersion;
  readonly resolve?: Record<string, string> | undefined;
  readonly http: MfaHttpVersion;
}

export function buildMfaTransport(input: TransportInput): MfaTransportSettings {
  const resolve: Record<string, string> = {};
  for (const [host, target] of Object.entries(input.resolve ?? {})) resolve[host.toLowerCase()] = target;
  return {
    ...(input.caFile !== undefined ? { caFile: input.caFile } : {}),
    allowInsecureHttp: input.allowInsecureHttp,
    minTlsVersion: input.minTlsVersion,
    resolve,
    http: input.http,
  };
}

function checkCaFile(c: IssueCollector, value: unknown): void {
  const before = c.issues.length;
  checkInputFile(c, 'caFile', value, 'a PEM file with the CA certificate');
  if (typeof value !== 'string' || value === '' || c.issues.length > before) return;
  let text = '';
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    c.add('caFile', `cannot read "${value}": ${(error as Error).message}`, 'make the file readable');
    return;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    c.add(
      'caFile',
      `"${value}" holds no PEM certificate`,
      'give a PEM file (-----BEGIN CERTIFICATE-----), e.g. the CA the mock printed for the run',
    );
  }
}

/** Plain HTTP leaves the machine only when allowInsecureHttp says so. */
function checkPlainHttp(c: IssueCollector, field: string, value: unknown, allowed: boolean): void {
  if (typeof value !== 'string' || !value.startsWith('http://') || allowed) return;
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return; // the schema reports the URL itself
  }
  if (isLoopbackHost(host)) return;
  c.add(
    field,
    `is plain HTTP to ${host}, which was not asked for`,
    'write an https:// URL, or set mfa.allowInsecureHttp: true to send tokens and MFA calls unencrypted (lab only)',
  );
}

/** What the schema cannot say about the transport settings; issues go to `c` (paths under mfa). */
export function checkMfaTransport(c: IssueCollector, input: PlainObject): void {
  checkCaFile(c, input.caFile);
  const allowed = input.allowInsecureHttp === true;
  checkPlainHttp(c, 'serviceUrl', input.serviceUrl, allowed);
  checkPlainHttp(c, 'STS_URL', input.STS_URL, allowed);
  if (!isPlainObject(input.resolve)) return;
  for (const [host, target] of Object.entries(input.resolve)) {
    if (!HOSTNAME_PATTERN.test(host)) {
      c.add(
        `resolve.${host}`,
        'is not a host name',
        'key each entry by a host name such as login.microsoftonline.us',
      );
    }
    if (typeof target === 'string' && parseResolveTarget(target) === undefined) {
      c.add(
        `resolve.${host}`,
        `"${target}" is not an address:port`,
        'write an IP address and port, e.g. 127.0.0.1:8443 or [::1]:8443',
      );
    }
  }
}
