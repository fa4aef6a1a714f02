// The token request, apart from the rest of the MFA client so the service's URLs (which host serves
// tokens) and the client's credential can change independently.
import { tokenPath, type TokenResponse } from '../../protocol/mfa-api.ts';
import type { ClientCredential } from './client-credential.ts';
import { callMfa, type MfaCallResult, type MfaHttpOptions } from './mfa-http.ts';

/**
 * POSTs a client assertion for `tenantId` to the token endpoint. The assertion's audience is the URL
 * the request goes to. A credential that cannot sign (no certificate at all) is a security token
 * error without a request, as the extension reports a missing certificate.
 */
export async function requestToken(
  http: MfaHttpOptions,
  tenantId: string,
  credential: ClientCredential,
): Promise<MfaCallResult<TokenResponse>> {
  const path = tokenPath(tenantId);
  const body = await credential.tokenRequest(new URL(path, http.baseUrl).href);
  if ('error' in body)
    return { kind: 'service-error', status: 0, code: 'ESTS_TOKEN_ERROR', message: body.error };
  return callMfa<TokenResponse>(http, 'POST', path, body);
}
