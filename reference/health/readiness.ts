// What `/health` on the admin port reports while the server runs: the cheap, non-intrusive subset of
// the doctor's checks, live. The directory answers and the service account binds; the token service
// and the MFA host answer over TLS; the certificate in use is inside its validity window; a token is
// at hand. The token comes from the MFA client's own cache, and a whole report is reused for
// `maxAgeMs`, so a load balancer probing every second costs the STS one request per token lifetime
// and the directory one bind per `maxAgeMs`. Nothing here prompts a user.
import type { Clock } from '../../runtime/clock.ts';
import { mfaEndpoints } from '../config/mfa-cloud.ts';
import type { MfaSettings } from '../config/mfa-config.ts';
import type { CertificateCredential } from '../mfa/client-credential.ts';
import type { MfaCallResult } from '../mfa/mfa-http.ts';
import { mfaTransportFromSettings, type MfaTransport } from '../mfa/mfa-transport.ts';
import { checkDirectory, type DirectoryTarget } from './directory-check.ts';
import { checkClientCertificate, checkHost, tokenRow } from './mfa-checks.ts';
import { overallStatus, type HealthRow, type OverallStatus } from './rows.ts';

export const READINESS_MAX_AGE_MS = 10_000;

export interface ReadinessMfa {
  readonly settings: MfaSettings;
  /** PEM trust anchor replacing mfa.caFile (the embedded mock's run CA). */
  readonly ca?: string;
  readonly credential: CertificateCredential;
  readonly certificateSource: string;
  /** The MFA client's token, from its cache while valid (CloudMfa.currentToken). */
  readonly token: () => Promise<MfaCallResult<unknown>>;
}

export interface ReadinessOptions {
  readonly directory: DirectoryTarget;
  /** Undefined when MFA is off. */
  readonly mfa?: ReadinessMfa;
  readonly clock: Clock;
  /** How long a report is reused; default READINESS_MAX_AGE_MS. */
  readonly maxAgeMs?: number;
}

export interface ReadinessReport {
  readonly status: OverallStatus;
  /** No check failed (warnings allowed): what HTTP 200 means, 503 otherwise. */
  readonly ready: boolean;
  readonly checkedAt: string;
  readonly rows: readonly HealthRow[];
}

export class Readiness {
  private last: { readonly at: number; readonly report: ReadinessReport } | undefined;
  private running: Promise<ReadinessReport> | undefined;
  private readonly transport: MfaTransport | undefined;

  constructor(private readonly options: ReadinessOptions) {
    const mfa = options.mfa;
    this.transport = mfa !== undefined ? mfaTransportFromSettings(mfa.settings, mfa.ca) : undefined;
  }

  /** The latest report, checked again when older than maxAgeMs; concurrent probes share one check. */
  report(): Promise<ReadinessReport> {
    const now = this.options.clock.now();
    const maxAge = this.options.maxAgeMs ?? READINESS_MAX_AGE_MS;
    if (this.last !== undefined && now - this.last.at < maxAge) return Promise.resolve(this.last.report);
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  close(): void {
    this.transport?.close();
  }

  private async check(): Promise<ReadinessReport> {
    const { clock } = this.options;
    const rows = [await checkDirectory(this.options.directory, clock), ...(await this.mfaRows())];
    const status = overallStatus(rows);
    const at = clock.now();
    const report = { status, ready: status !== 'fail', checkedAt: new Date(at).toISOString(), rows };
    this.last = { at, report };
    return report;
  }

  private async mfaRows(): Promise<HealthRow[]> {
    const mfa = this.options.mfa;
    if (mfa === undefined || this.transport === undefined) return [];
    const { clock } = this.options;
    const { settings, credential } = mfa;
    const endpoints = mfaEndpoints(settings);
    const embeddedCa = mfa.ca !== undefined;
    const { fetch } = this.transport;
    const sts = await checkHost(
      { id: 'token-service', baseUrl: endpoints.sts, fetch, settings, embeddedCa },
      clock,
    );
    const host = await checkHost(
      { id: 'mfa-service', baseUrl: endpoints.mfa, fetch, settings, embeddedCa },
      clock,
    );
    const certificate = checkClientCertificate({
      source: mfa.certificateSource,
      certificates: credential.certificates,
      problems: [],
      criteria: {
        tenantId: settings.tenantId,
        now: clock.now(),
        ...(settings.CLIENT_CERT_IDENTIFIER !== undefined
          ? { identifier: settings.CLIENT_CERT_IDENTIFIER }
          : {}),
      },
    });
    const selection = credential.selection();
    const thumbprint = selection.kind === 'selected' ? selection.certificate.thumbprint : undefined;
    const token = tokenRow(await mfa.token(), endpoints.sts, thumbprint);
    return [sts, host, certificate, token];
  }
}
