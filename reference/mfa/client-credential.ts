// How the reference server proves itself to the token endpoint: a client assertion (a JWT signed with
// the private key of its client certificate), as Entra's certificate credentials work
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): header alg, typ and
// the certificate's thumbprints (x5t: SHA-1, x5t#S256: SHA-256, both base64url); claims aud (the token
// endpoint), iss = sub = the client id, a fresh jti, nbf, exp a few minutes later, iat.
// Signed with protocol/jws.ts (node:crypto, synchronous); see there why not jose.
// The certificate is chosen again for every assertion, so a rollover takes effect without a restart,
// and watched on the Clock so an operator hears 30 days before it expires.

import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import {
  ASSERTION_LIFETIME_S,
  CLIENT_ASSERTION_TYPE,
  CLIENT_CREDENTIALS_GRANT,
  NPS_CLIENT_ID,
  thumbprintToBase64Url,
  type AssertionAlgorithm,
} from '../../protocol/client-assertion.ts';
import { signCompact } from '../../protocol/jws.ts';
import type { TokenRequest } from '../../protocol/mfa-api.ts';
import type { WarningCode } from '../events.ts';
import {
  CERTIFICATE_EXPIRY_WARNING_MS,
  describeCertificate,
  selectCertificate,
  type CertificateSelection,
  type ClientCertificate,
} from './client-certificates.ts';

export type CertificateWarningCode = Extract<
  WarningCode,
  'client-certificate-expiring' | 'client-certificate-unusable'
>;

/** What CloudMfa needs: the body of a token request for the endpoint at `tokenUrl`. */
export interface ClientCredential {
  tokenRequest(tokenUrl: string): Promise<TokenRequest | { readonly error: string }>;
  close(): void;
}

export interface CertificateCredentialOptions {
  readonly certificates: readonly ClientCertificate[];
  readonly tenantId: string;
  /** CLIENT_CERT_IDENTIFIER. */
  readonly identifier?: string;
  readonly clock: Clock;
  readonly clientId?: string;
  readonly onWarning?: (code: CertificateWarningCode, message: string) => void;
}

function algorithmOf(certificate: ClientCertificate): AssertionAlgorithm {
  // Entra's current guidance for RSA certificates is PS256 (RSASSA-PSS); ES256 for EC keys is radmfa's.
  return certificate.keyType === 'ec' ? 'ES256' : 'PS256';
}

export class CertificateCredential implements ClientCredential {
  private timer: TimerHandle | undefined;
  private readonly warned = new Set<string>();
  private closed = false;

  constructor(private readonly options: CertificateCredentialOptions) {
    this.review();
  }

  /** Every certificate it chooses from (a health check reports their dates; keys stay inside). */
  get certificates(): readonly ClientCertificate[] {
    return this.options.certificates;
  }

  /** The certificate an assertion made now would be signed with, or why there is none. */
  selection(): CertificateSelection {
    const { certificates, tenantId, identifier, clock } = this.options;
    return selectCertificate(certificates, {
      tenantId,
      ...(identifier !== undefined ? { identifier } : {}),
      now: clock.now(),
    });
  }

  tokenRequest(tokenUrl: string): Promise<TokenRequest | { readonly error: string }> {
    return Promise.resolve(this.signedRequest(tokenUrl));
  }

  /** Synchronous, so an assertion costs no time a VirtualClock could not account for. */
  signedRequest(tokenUrl: string): TokenRequest | { readonly error: string } {
    const selection = this.selection();
    // With no valid certificate left the newest expired one is still presented, as the extension
    // would: the service's refusal (a security token error) is what the operator then sees.
    const certificate =
      selection.kind === 'selected'
        ? selection.certificate
        : [...selection.candidates].sort((a, b) => b.notAfter - a.notAfter)[0];
    if (certificate === undefined)
      return { error: `no client certificate (${selection.kind === 'none' ? selection.reason : ''})` };
    const clientId = this.options.clientId ?? NPS_CLIENT_ID;
    const now = Math.floor(this.options.clock.now() / 1000);
    const alg = algorithmOf(certificate);
    const assertion = signCompact(
      {
        alg,
        typ: 'JWT',
        x5t: thumbprintToBase64Url(certificate.thumbprint),
        'x5t#S256': thumbprintToBase64Url(certificate.thumbprintSha256),
      },
      {
        aud: tokenUrl,
        iss: clientId,
        sub: clientId,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + ASSERTION_LIFETIME_S,
      },
      certificate.privateKey,
    );
    return {
      grant_type: CLIENT_CREDENTIALS_GRANT,
      client_id: clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Warns about the certificate in use when it is within 30 days of expiry (once per certificate) or
   * when none is usable, then sleeps until the next instant that can change that: a certificate
   * becoming valid, entering its last 30 days, or expiring.
   */
  private review(): void {
    if (this.closed) return;
    const now = this.options.clock.now();
    const selection = this.selection();
    if (selection.kind === 'selected') {
      const { certificate } = selection;
      if (certificate.notAfter - now <= CERTIFICATE_EXPIRY_WARNING_MS) {
        this.warnOnce(
          certificate.thumbprint,
          'client-certificate-expiring',
          `client certificate ${describeCertificate(certificate)} expires in ` +
            `${Math.ceil((certificate.notAfter - now) / 86_400_000)} day(s): run radmfa cert rollover ` +
            '(AzureMfaNpsExtnConfigSetup.ps1 with the same tenant id) and register the new one',
        );
      }
    } else if (selection.candidates.length > 0 || selection.reason === 'no-certificates') {
      this.warnOnce(
        `none:${selection.reason}`,
        'client-certificate-unusable',
        `no usable client certificate (${selection.reason}): the MFA service will refuse tokens ` +
          '(security token error); run radmfa cert rollover',
      );
    }
    const next = this.nextChange(now);
    if (next !== undefined) this.timer = this.options.clock.setTimeout(() => this.review(), next - now);
  }

  private nextChange(now: number): number | undefined {
    const instants = this.options.certificates.flatMap((c) => [
      c.notBefore,
      c.notAfter - CERTIFICATE_EXPIRY_WARNING_MS,
      c.notAfter,
    ]);
    const future = instants.filter((t) => t > now);
    return future.length === 0 ? undefined : Math.min(...future);
  }

  private warnOnce(key: string, code: CertificateWarningCode, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.onWarning?.(code, message);
  }
}
