// The client assertion the reference server presents at the token endpoint, as Entra's certificate
// credentials work (https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
// an OAuth 2.0 client_credentials grant whose client authentication is a JWT (RFC 7523, OpenID
// Connect private_key_jwt) signed with the private key of a certificate registered for the client.
// Pure data and checks: signing and verifying (jose, node:crypto keys) live with each side.

/** RFC 7523 section 2.2: the value of client_assertion_type for a JWT. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/**
 * The client the NPS extension authenticates as: the "Azure Multi-Factor Auth Client" service
 * principal, whose KeyCredentials hold the certificates the setup script registers. The seed names it
 * by this (documentation) app id in `Get-MgServicePrincipal -Filter "appid eq '...'"`.
 */
export const NPS_CLIENT_ID = '00001111-aaaa-2222-bbbb-3333cccc4444';

/**
 * Entra: exp "should be short - 5-10 minutes after nbf at most". The client signs for this long; the
 * service refuses an assertion that claims to live longer than MAX_ASSERTION_LIFETIME_S.
 */
export const ASSERTION_LIFETIME_S = 600;
export const MAX_ASSERTION_LIFETIME_S = 3600;

/** Clock skew tolerated on nbf and exp, as token services commonly allow (five minutes). */
export const ASSERTION_CLOCK_SKEW_S = 300;

/** Entra documents RS256 (with x5t) and PS256 (with x5t#S256); ES256 is radmfa's, for quick test keys. */
export type AssertionAlgorithm = 'RS256' | 'PS256' | 'ES256';
export const ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = ['RS256', 'PS256', 'ES256'];

export interface ClientAssertionHeader {
  readonly alg: AssertionAlgorithm;
  readonly typ: 'JWT';
  /** Base64url SHA-1 thumbprint of the certificate's DER. */
  readonly x5t?: string;
  /** Base64url SHA-256 thumbprint of the certificate's DER. */
  readonly 'x5t#S256'?: string;
}

/** Seconds since the epoch for nbf, exp and iat (RFC 7519 NumericDate). */
export interface ClientAssertionClaims {
  /** The token endpoint's URL. */
  readonly aud: string;
  /** The client id, for both. */
  readonly iss: string;
  readonly sub: string;
  /** A GUID, unique per assertion. */
  readonly jti: string;
  readonly nbf: number;
  readonly exp: number;
  readonly iat?: number;
}

/**
 * Why a client assertion was refused: the closed list the mock answers with, each with the AADSTS
 * code Entra logs for it. The NPS extension reports every one as a security token error.
 */
export type AssertionRefusal =
  | 'invalid_request' // not a client_credentials grant with a JWT assertion
  | 'invalid_assertion' // not a JWT, or no x5t / x5t#S256 header
  | 'unknown_certificate' // no KeyCredential of the client has that thumbprint
  | 'certificate_expired' // the KeyCredential's endDate has passed
  | 'certificate_not_yet_valid' // its startDate is still to come
  | 'invalid_signature' // the signature does not verify with the registered key
  | 'assertion_expired' // exp has passed, or nbf is still to come, beyond the skew
  | 'assertion_lifetime' // exp - nbf longer than MAX_ASSERTION_LIFETIME_S
  | 'wrong_audience' // aud is not this token endpoint
  | 'wrong_client'; // iss or sub is not the client id

/**
 * The message Entra gives for each refusal. Sources (public reports quoting Entra's answer):
 * AADSTS700027 "The key used is expired" (microsoft/azure-tools-for-java#2785), AADSTS50013 "The
 * key was not found" (AzureAD/microsoft-authentication-library-for-dotnet#2604), AADSTS50013 "The
 * provided signature value did not match the expected signature value" (Azure/azure-sdk-for-java
 * #25109), AADSTS700024 "Client assertion is not within its valid time range" (MSAL.NET #4951).
 * The not-yet-valid key's wording is radmfa's, by analogy with the expired one.
 */
export const ASSERTION_REFUSALS: Readonly<Record<AssertionRefusal, string>> = {
  invalid_request:
    'AADSTS900144: the request must be a client_credentials grant with client_assertion_type jwt-bearer and a client_assertion',
  invalid_assertion: 'AADSTS50027: the client assertion is not a JWT with an x5t or x5t#S256 header',
  unknown_certificate:
    'AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found.]',
  certificate_expired:
    'AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired.]',
  certificate_not_yet_valid:
    'AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is not yet valid.]',
  invalid_signature:
    'AADSTS50013: Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]',
  assertion_expired: 'AADSTS700024: Client assertion is not within its valid time range.',
  assertion_lifetime: 'AADSTS700024: Client assertion is valid for longer than the service allows.',
  wrong_audience: 'AADSTS700021: Client assertion audience claim does not match the token endpoint.',
  wrong_client: 'AADSTS700021: Client assertion iss and sub must both be the client id.',
};

/** Hex (any case, separators allowed) to the base64url form of the header's x5t / x5t#S256. */
export function thumbprintToBase64Url(hex: string): string {
  return Buffer.from(hex.replace(/[\s:]/g, ''), 'hex').toString('base64url');
}

/** The header's x5t / x5t#S256 back to upper-case hex. */
export function base64UrlToThumbprint(value: string): string {
  return Buffer.from(value, 'base64url').toString('hex').toUpperCase();
}

export interface ExpectedAssertion {
  readonly audience: string;
  readonly clientId: string;
  /** Seconds since the epoch, on the service's clock. */
  readonly now: number;
}

/**
 * The claim checks a token service makes once the signature verified. The audience is compared as
 * the URL's path: the same endpoint reached as 127.0.0.1 or localhost is the same audience.
 */
export function checkAssertionClaims(
  claims: Partial<Record<keyof ClientAssertionClaims, unknown>>,
  expected: ExpectedAssertion,
): AssertionRefusal | undefined {
  const { aud, iss, sub, nbf, exp } = claims;
  if (typeof exp !== 'number' || typeof nbf !== 'number') return 'invalid_assertion';
  if (expected.now >= exp + ASSERTION_CLOCK_SKEW_S || expected.now < nbf - ASSERTION_CLOCK_SKEW_S)
    return 'assertion_expired';
  if (exp - nbf > MAX_ASSERTION_LIFETIME_S) return 'assertion_lifetime';
  if (typeof aud !== 'string' || pathOf(aud) !== pathOf(expected.audience)) return 'wrong_audience';
  if (iss !== expected.clientId || sub !== expected.clientId) return 'wrong_client';
  return undefined;
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
