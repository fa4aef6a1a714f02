// Every check of `radmfa doctor`, run one after another in HEALTH_CHECK_IDS order against targets the
// caller has set up: the configuration as loaded, the directory to bind to (a real one, or the
// embedded stub the caller started), and the MFA client's pieces (settings as the server would use
// them, the trust anchor, the certificate credential). Starting the embedded peers is the caller's
// job (scenarios/health), because reference/ never imports the simulators.
import type { Clock } from '../../runtime/clock.ts';
import type { Issue } from '../../runtime/validation/index.ts';
import { mfaEndpoints } from '../config/mfa-cloud.ts';
import type { MfaSettings } from '../config/mfa-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { CertificateFileProblem } from '../mfa/client-certificates.ts';
import type { CertificateCredential } from '../mfa/client-credential.ts';
import type { MfaHttpOptions } from '../mfa/mfa-http.ts';
import { mfaTransportFromSettings } from '../mfa/mfa-transport.ts';
import { startupWarnings } from '../mfa/startup-warnings.ts';
import { asSecurityTokenError, requestToken } from '../mfa/token-request.ts';
import { checkDirectory, type DirectoryTarget } from './directory-check.ts';
import { checkClientCertificate, checkHost, tokenRow } from './mfa-checks.ts';
import { checkPorts } from './ports.ts';
import { fail, HEALTH_CHECK_IDS, pass, skip, warn, type HealthCheckId, type HealthRow } from './rows.ts';

/** A peer the caller could not set up (the embedded stub's fixture is broken): its row fails with this. */
export interface Unavailable {
  readonly unavailable: string;
  readonly fix: string;
}

export interface MfaTarget {
  /** The settings the MFA client would use (the embedded mock's hosts mapped in mfa.resolve). */
  readonly settings: MfaSettings;
  /** PEM trust anchor replacing mfa.caFile (the embedded mock's run CA). */
  readonly ca?: string;
  readonly credential: CertificateCredential;
  /** Where the certificates came from, for messages. */
  readonly certificateSource: string;
  readonly problems: readonly CertificateFileProblem[];
}

export interface DoctorTargets {
  readonly config: ServerConfig;
  readonly clock: Clock;
  readonly directory: DirectoryTarget | Unavailable;
  /** Undefined when MFA is off. */
  readonly mfa?: MfaTarget | Unavailable;
}

const isUnavailable = (value: object): value is Unavailable => 'unavailable' in value;

/** The config row: valid, or every issue the loader found (each with its field and fix). */
export function configRow(issues: readonly Issue[], source: string): HealthRow {
  if (issues.length === 0) return pass('config', `${source} is valid`);
  return fail(
    'config',
    `${source}: ${issues.length} problem(s): ${issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')}`,
    issues.map((i) => `${i.path || '(top level)'}: ${i.fix}`).join('; '),
  );
}

/** Every row but the config's, skipped for one reason (the configuration is invalid). */
export function skippedRows(reason: string): HealthRow[] {
  return HEALTH_CHECK_IDS.filter((id) => id !== 'config').map((id) => skip(id, reason));
}

/** The seed's "remove before production" settings, in the server's own start-up words. */
export function settingsRows(settings: MfaSettings): HealthRow[] {
  const warnings = startupWarnings(settings);
  const byCode = new Map(warnings.map((w) => [w.code, w.message]));
  if (!settings.enabled) {
    return [
      skip('require-user-match', 'MFA is off (mfa.enabled: false)'),
      skip('fail-mode', 'MFA is off (mfa.enabled: false)'),
    ];
  }
  const requireUserMatch = byCode.get('require-user-match-false');
  const failOpen = byCode.get('fail-open-configured');
  return [
    requireUserMatch === undefined
      ? pass('require-user-match', 'TRUE: users not enrolled for MFA are rejected')
      : warn(
          'require-user-match',
          requireUserMatch,
          'remove REQUIRE_USER_MATCH (or set it to TRUE) before production',
        ),
    failOpen === undefined
      ? pass('fail-mode', 'fail-closed: logins are rejected when the MFA service fails')
      : warn('fail-mode', failOpen, 'set mfa.failMode: fail-closed before production'),
  ];
}

const MFA_ROWS: readonly HealthCheckId[] = [
  'token-service',
  'mfa-service',
  'client-certificate',
  'tenant-registration',
];

async function mfaRows(target: MfaTarget, clock: Clock): Promise<HealthRow[]> {
  const { settings, credential } = target;
  const endpoints = mfaEndpoints(settings);
  const transport = mfaTransportFromSettings(settings, target.ca);
  try {
    const embeddedCa = target.ca !== undefined;
    const host = (id: 'token-service' | 'mfa-service', baseUrl: string): Promise<HealthRow> =>
      checkHost({ id, baseUrl, fetch: transport.fetch, settings, embeddedCa }, clock);
    const sts = await host('token-service', endpoints.sts);
    const mfa = await host('mfa-service', endpoints.mfa);
    const now = clock.now();
    const criteria = {
      tenantId: settings.tenantId,
      now,
      ...(settings.CLIENT_CERT_IDENTIFIER !== undefined
        ? { identifier: settings.CLIENT_CERT_IDENTIFIER }
        : {}),
    };
    const certificate = checkClientCertificate({
      source: target.certificateSource,
      certificates: credential.certificates,
      problems: target.problems,
      criteria,
    });
    const stsHttp: MfaHttpOptions = {
      baseUrl: endpoints.sts,
      clock,
      timeoutMs: settings.httpTimeoutMs,
      fetch: transport.fetch,
    };
    const sent = await requestToken(stsHttp, settings.tenantId, endpoints.resource, credential);
    const result = endpoints.sts === endpoints.mfa ? sent : asSecurityTokenError(sent, endpoints.sts);
    const selection = credential.selection();
    const thumbprint = selection.kind === 'selected' ? selection.certificate.thumbprint : undefined;
    return [sts, mfa, certificate, tokenRow(result, endpoints.sts, thumbprint)];
  } finally {
    transport.close();
  }
}

/** The rows after the config's, in order. */
export async function runDoctorChecks(targets: DoctorTargets): Promise<HealthRow[]> {
  const { config, clock } = targets;
  const rows: HealthRow[] = [await checkPorts(config, clock)];
  rows.push(
    isUnavailable(targets.directory)
      ? fail('directory', targets.directory.unavailable, targets.directory.fix)
      : await checkDirectory(targets.directory, clock),
  );
  const mfa = targets.mfa;
  if (mfa === undefined) rows.push(...MFA_ROWS.map((id) => skip(id, 'MFA is off (mfa.enabled: false)')));
  else if (isUnavailable(mfa)) rows.push(...MFA_ROWS.map((id) => fail(id, mfa.unavailable, mfa.fix)));
  else rows.push(...(await mfaRows(mfa, clock)));
  rows.push(...settingsRows(config.mfa));
  return rows;
}
