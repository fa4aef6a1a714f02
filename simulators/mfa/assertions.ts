// The token endpoint's check of a client assertion, as Entra makes it for certificate credentials
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): find the registered
// key by the header's x5t#S256 or x5t, refuse a key outside its KeyCredential dates, verify the
// signature (protocol/jws.ts), then the claims (protocol/client-assertion.ts). Time is the service's
// Clock.

import {
  ASSERTION_ALGORITHMS,
  base64UrlToThumbprint,
  checkAssertionClaims,
  type AssertionRefusal,
  type ClientAssertionClaims,
} from '../../protocol/client-assertion.ts';
import { parseCompact, verifyCompact } from '../../protocol/jws.ts';
import type { KeyCredential } from './tenant.ts';

export interface AssertionCheck {
  readonly credentials: readonly KeyCredential[];
  readonly clientId: string;
  /** The token endpoint's URL as the request reached it. */
  readonly audience: string;
  /** Epoch ms. */
  readonly now: number;
}

export type AssertionVerdict =
  | { readonly ok: true; readonly credential: KeyCredential }
  | { readonly ok: false; readonly reason: AssertionRefusal; readonly thumbprint?: string };

function findCredential(
  header: Record<string, unknown>,
  credentials: readonly KeyCredential[],
): { credential?: KeyCredential; thumbprint?: string } {
  const s256 = header['x5t#S256'];
  if (typeof s256 === 'string') {
    const thumbprint = base64UrlToThumbprint(s256);
    const credential = credentials.find((c) => c.thumbprintSha256 === thumbprint);
    return credential !== undefined ? { credential, thumbprint } : { thumbprint };
  }
  const x5t = header['x5t'];
  if (typeof x5t === 'string') {
    const thumbprint = base64UrlToThumbprint(x5t);
    const credential = credentials.find((c) => c.thumbprint === thumbprint);
    return credential !== undefined ? { credential, thumbprint } : { thumbprint };
  }
  return {};
}

export function verifyClientAssertion(jwt: string, check: AssertionCheck): AssertionVerdict {
  const parsed = parseCompact(jwt);
  if (!parsed.ok) return { ok: false, reason: 'invalid_assertion' };
  const { credential, thumbprint } = findCredential(parsed.header, check.credentials);
  if (thumbprint === undefined) return { ok: false, reason: 'invalid_assertion' };
  if (credential === undefined) return { ok: false, reason: 'unknown_certificate', thumbprint };
  if (check.now < credential.startDate) return { ok: false, reason: 'certificate_not_yet_valid', thumbprint };
  if (check.now >= credential.endDate) return { ok: false, reason: 'certificate_expired', thumbprint };
  const alg = ASSERTION_ALGORITHMS.find((a) => a === parsed.header['alg']);
  if (alg === undefined) return { ok: false, reason: 'invalid_assertion', thumbprint };
  // A signature that does not verify, or one made with another kind of key (ES256 over an RSA
  // certificate): either way the registered key did not sign it.
  if (!verifyCompact(parsed, alg, credential.publicKey)) return { ok: false, reason: 'invalid_signature', thumbprint };
  const refusal = checkAssertionClaims(parsed.payload as Partial<Record<keyof ClientAssertionClaims, unknown>>, {
    audience: check.audience,
    clientId: check.clientId,
    now: Math.floor(check.now / 1000),
  });
  return refusal === undefined ? { ok: true, credential } : { ok: false, reason: refusal, thumbprint };
}
