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

/**
 * The registered key the header names: by x5t#S256 when present (Entra's current form), else by x5t.
 * The thumbprint reported back is the SHA-1 one when the header has it, as Entra's messages and
 * Windows' certificate store show thumbprints.
 */
function findCredential(
  header: Record<string, unknown>,
  credentials: readonly KeyCredential[],
): { credential?: KeyCredential; thumbprint?: string } {
  const s256 = typeof header['x5t#S256'] === 'string' ? base64UrlToThumbprint(header['x5t#S256']) : undefined;
  const sha1 = typeof header['x5t'] === 'string' ? base64UrlToThumbprint(header['x5t']) : undefined;
  const credential =
    s256 !== undefined
      ? credentials.find((c) => c.thumbprintSha256 === s256)
      : credentials.find((c) => c.thumbprint === sha1);
  const thumbprint = sha1 ?? s256;
  return {
    ...(credential !== undefined ? { credential } : {}),
    ...(thumbprint !== undefined ? { thumbprint } : {}),
  };
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
  if (!verifyCompact(parsed, alg, credential.publicKey))
    return { ok: false, reason: 'invalid_signature', thumbprint };
  const refusal = checkAssertionClaims(parsed.payload, {
    audience: check.audience,
    clientId: check.clientId,
    now: Math.floor(check.now / 1000),
  });
  return refusal === undefined ? { ok: true, credential } : { ok: false, reason: refusal, thumbprint };
}
