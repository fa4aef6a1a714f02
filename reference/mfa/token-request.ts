import { tokenPath } from '../../protocol/mfa-api.ts';
import type { MfaCallResult } from './mfa-http.ts';

// Where a token request goes and what its failure is called. The request's body (how the server
// proves who it is) is cloud-mfa.ts's; this module only routes it to the STS and names the outcome.

/** The tenant's token path on the STS, naming the resource (AZURE_MFA_RESOURCE_HOSTNAME) the token is for. */
export function tokenUrlPath(tenantId: string, resource: string): string {
  return `${tokenPath(tenantId)}?resource=${encodeURIComponent(resource)}`;
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
