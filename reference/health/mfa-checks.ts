// The second factor's checks: each host answers over TLS with the configured trust anchor (the MFA
// client's own transport, so the refusal reasons are the ones the server would log), the client
// certificate is there and inside its validity window, and the token service issues a token for it
// (which is what "registered with the tenant" comes to: the seed's KeyCredentials comparison, done by
// the service itself).
import type { Clock } from '../../runtime/clock.ts';
import { isLoopbackHost } from '../config/mfa-cloud.ts';
import type { MfaSettings } from '../config/mfa-config.ts';
import {
  CERTIFICATE_EXPIRY_WARNING_MS,
  certificateStartIssues,
  describeCertificate,
  selectCertificate,
  type CertificateFileProblem,
  type ClientCertificate,
  type SelectionCriteria,
} from '../mfa/client-certificates.ts';
import { classifyNetworkError, type MfaCallResult } from '../mfa/mfa-http.ts';
import type { MfaFetch, TlsRefusal } from '../mfa/mfa-transport.ts';
import { fail, pass, warn, type HealthCheckId, type HealthRow } from './rows.ts';

const DAY_MS = 86_400_000;
const ROLLOVER =
  'run radmfa cert rollover --dir DIR --tenant-id TENANT --tenant-file TENANT.yaml (NPS: AzureMfaNpsExtnConfigSetup.ps1 again with the same tenant id) and delete the old one once the new one is registered';

function trustAnchor(settings: MfaSettings, embeddedCa: boolean): string {
  if (embeddedCa) return "the embedded mock's run CA";
  return settings.caFile !== undefined ? `mfa.caFile (${settings.caFile})` : "this machine's CA store";
}

/** The fix for each way TLS refuses a host: what the operator changes, on which side. */
function tlsFix(refusal: TlsRefusal, host: string, settings: MfaSettings): string {
  switch (refusal) {
    case 'untrusted-certificate':
      return `set mfa.caFile to the CA that signs ${host}'s certificate (or add it to the system store); behind a TLS-inspecting proxy that is the proxy's CA`;
    case 'certificate-expired':
      return `${host}'s certificate has expired: renew it on that server, or check this machine's clock`;
    case 'certificate-not-yet-valid':
      return "check this machine's clock (the host's certificate is not valid yet)";
    case 'hostname-mismatch':
      return `the certificate does not name ${host}: check AZURE_MFA_HOSTNAME / STS_URL / serviceUrl and mfa.resolve`;
    case 'protocol-version':
      return `${host} does not offer TLS ${settings.minTlsVersion.slice(4)} or later: enable TLS 1.2+ on it (mfa.minTlsVersion)`;
    case 'plain-http-refused':
      return 'write an https:// URL, or set mfa.allowInsecureHttp: true (lab only)';
    case 'handshake-failed':
      return `check that ${host} speaks TLS on that port and that no proxy interferes`;
  }
}

export interface HostTarget {
  readonly id: Extract<HealthCheckId, 'token-service' | 'mfa-service'>;
  /** The base URL the MFA client uses for this host. */
  readonly baseUrl: string;
  readonly fetch: MfaFetch;
  readonly settings: MfaSettings;
  /** The embedded mock's run CA is the trust anchor (not mfa.caFile). */
  readonly embeddedCa: boolean;
}

/**
 * One host answers: any HTTP answer to GET / after a verified handshake counts, since the check is
 * about the way there (DNS, firewall, proxy, certificate), not the API. A refused handshake is
 * classified as the MFA client classifies it.
 */
export async function checkHost(target: HostTarget, clock: Clock): Promise<HealthRow> {
  const url = new URL('/', target.baseUrl);
  const { id, settings } = target;
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), settings.httpTimeoutMs);
  try {
    const response = await target.fetch(url, { method: 'GET', signal: controller.signal });
    await response.arrayBuffer().catch(() => undefined);
    if (url.protocol === 'https:') {
      return pass(
        id,
        `${url.origin} answers over TLS (HTTP ${response.status}); certificate verified against ${trustAnchor(settings, target.embeddedCa)}`,
      );
    }
    const message = `${url.origin} answers over plain HTTP (HTTP ${response.status})`;
    return isLoopbackHost(url.hostname)
      ? pass(id, `${message}, on loopback`)
      : warn(
          id,
          `${message}: tokens and MFA calls travel unencrypted`,
          'use https:// and remove mfa.allowInsecureHttp',
        );
  } catch (error) {
    if (controller.signal.aborted) {
      return fail(
        id,
        `${url.origin} did not answer within ${settings.httpTimeoutMs} ms`,
        `check that ${url.origin} is reachable from this machine (firewall, proxy), or raise mfa.httpTimeoutMs`,
      );
    }
    const classified = classifyNetworkError(error);
    if (classified.tls !== undefined) {
      return fail(
        id,
        `${url.origin}: TLS ${classified.tls} (${classified.code})`,
        tlsFix(classified.tls, url.hostname, settings),
      );
    }
    return fail(
      id,
      `${url.origin} cannot be reached (${classified.code}: ${classified.message})`,
      `verify that ${url.origin} is reachable from this machine (the seed: "HTTP connect errors"): DNS, firewall, outbound proxy; mfa.resolve maps a host name to an address`,
    );
  } finally {
    clock.clearTimeout(timer);
  }
}

export interface CertificateTarget {
  /** Where the certificates came from (mfa.certificates.dir, or "generated at start-up"). */
  readonly source: string;
  readonly certificates: readonly ClientCertificate[];
  readonly problems: readonly CertificateFileProblem[];
  readonly criteria: SelectionCriteria;
}

/**
 * The certificate the server would sign with: present, not expired, not in its last 30 days (the
 * 30-day threshold the server warns at). A configuration serve would refuse is a fail with serve's
 * own words.
 */
export function checkClientCertificate(target: CertificateTarget): HealthRow {
  const issues = certificateStartIssues(target.source, target, target.criteria);
  if (issues.length > 0) {
    return fail(
      'client-certificate',
      issues.map((i) => i.message).join('; '),
      [...new Set(issues.map((i) => i.fix))].join('; '),
    );
  }
  const selection = selectCertificate(target.certificates, target.criteria);
  if (selection.kind !== 'selected') {
    // certificateStartIssues reports every case without a selection; kept for the types.
    return fail('client-certificate', `no usable certificate (${selection.reason})`, ROLLOVER);
  }
  const { certificate } = selection;
  const left = certificate.notAfter - target.criteria.now;
  const days = Math.ceil(left / DAY_MS);
  if (left <= CERTIFICATE_EXPIRY_WARNING_MS) {
    return warn(
      'client-certificate',
      `${describeCertificate(certificate)} expires in ${days} day(s)`,
      ROLLOVER,
    );
  }
  return pass(
    'client-certificate',
    `${describeCertificate(certificate)}: ${days} days left (from ${target.source})`,
  );
}

/**
 * The tenant knows the certificate: a token was issued for an assertion signed with it. Refused, the
 * row carries the token service's error (the seed's "security token error") and the seed's steps.
 */
export function tokenRow(result: MfaCallResult<unknown>, stsUrl: string, thumbprint?: string): HealthRow {
  if (result.kind === 'ok') {
    return pass(
      'tenant-registration',
      `${new URL(stsUrl).host} issued a token${thumbprint !== undefined ? ` for certificate ${thumbprint}` : ''}`,
    );
  }
  const code = result.code;
  return fail(
    'tenant-registration',
    `no token: ${code}: ${result.message}`,
    'register the certificate with the tenant (radmfa cert new|rollover --tenant-file; NPS: AzureMfaNpsExtnConfigSetup.ps1), compare its thumbprint (radmfa cert list) with the tenant\'s KeyCredentials, check mfa.tenantId, and that the token service is reachable (the seed\'s "security token error" steps)',
  );
}
