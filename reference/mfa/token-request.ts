// The token request, apart from the rest of the MFA client: where it goes (the STS, naming the
// resource the token is for), how the server proves who it is (the client certificate's assertion),
// and what its failure is called.
import { tokenPath, type TokenResponse } from '../../protocol/mfa-api.ts';
import type { ClientCredential } from './client-credential.ts';
import { callMfa, type MfaCallResult, type MfaHttpOptions } from './mfa-http.ts';

/** The tenant's token path on the STS, naming the resource (AZURE_MFA_RESOURCE_HOSTNAME) the token is for. */
export function tokenUrlPath(tenantId: string, resource: string): string {
  return `${tokenPath(tenantId)}?resource=${encodeURIComponent(resource)}`;
}

/**
 * POSTs a client assertion for `tenantId` to the STS's token endpoint. The assertion's audience is
 * that endpoint's URL without the query (Entra checks `aud` against the token endpoint). A credential
 * that cannot sign (no certificate at all) is a security token error without a request, as the
 * extension reports a missing certificate.
 */
export async function requestToken(
  sts: MfaHttpOptions,
  tenantId: string,
  resource: string,
  credential: ClientCredential,
): Promise<MfaCallResult<TokenResponse>> {
  const body = await credential.tokenRequest(new URL(tokenPath(tenantId), sts.baseUrl).href);
  if ('error' in body)
    return { kind: 'service-error', status: 0, code: 'ESTS_TOKEN_ERROR', message: body.error };
  return callMfa<TokenResponse>(sts, 'POST', tokenUrlPath(tenantId, resource), body);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * The seed's "security token error": a token that could not be obtained, whatever the cause. The
 * seed's own troubleshooting list for it includes "verify that https://login.microsoftonline.com/ is
 * accessible", so a token service that cannot be reached, whose certificate is refused or that
 * answers with an error is a token error, not the "HTTP connect error" the seed lists for the MFA
 * hosts. A refusal that already says ESTS_TOKEN_ERROR keeps its own message.
 */
export function asSecurityTokenError<T>(result: MfaCallResult<T>, stsUrl: string): MfaCallResult<T> {
  if (result.kind === 'ok') return result;
  if (result.kind === 'service-error' && result.code === 'ESTS_TOKEN_ERROR') return result;
  return {
    kind: 'service-error',
    status: result.kind === 'service-error' ? result.status : 0,
    code: 'ESTS_TOKEN_ERROR',
    message: `security token error: no token from ${hostOf(stsUrl)} (${result.code}: ${result.message})`,
  };
}
