// The error vocabulary's reasons, HTTP statuses and provenance. Codes the NPS extension's
// documentation names keep their spelling and meaning ("Resolve error messages from the NPS extension",
// plus the seed's troubleshooting section); the few radmfa adds are marked `radmfa` so nobody mistakes
// them for Microsoft's.

import { ASSERTION_REFUSALS } from '../../protocol/client-assertion.ts';
import type { MfaErrorCode, MfaServiceErrorCode, TokenErrorReason } from './api-types.ts';

export type ErrorCodeSource = 'nps-docs' | 'radmfa';

export interface ErrorCodeInfo {
  readonly message: string;
  readonly source: ErrorCodeSource;
}

export const MFA_ERRORS: Readonly<Record<MfaErrorCode, ErrorCodeInfo>> = {
  ESTS_TOKEN_ERROR: {
    message:
      'security token error: the client certificate or tenant was not accepted, or the token is not valid',
    source: 'nps-docs',
  },
  REQUEST_FORMAT_ERROR: {
    message: 'the request is missing a mandatory field or is not well formed',
    source: 'nps-docs',
  },
  REQUEST_MISSING_CODE: {
    message: "the RADIUS authentication method cannot carry the user's verification method",
    source: 'nps-docs',
  },
  AccessDenied: {
    message: 'the caller tenant does not have access permissions to authenticate this user',
    source: 'nps-docs',
  },
  TenantIsBlocked: { message: 'the tenant is blocked', source: 'nps-docs' },
  UserNotFound: { message: 'the specified user was not found', source: 'nps-docs' },
  UserNotEnrolled: {
    message: 'the user exists but has not registered for multifactor authentication',
    source: 'radmfa',
  },
  AuthenticationMethodNotConfigured: {
    message: 'the specified authentication method was not configured for the user',
    source: 'nps-docs',
  },
  NoDefaultAuthenticationMethodIsConfigured: {
    message: 'no default authentication method was configured for the user',
    source: 'nps-docs',
  },
  InvalidFormat: { message: 'the phone number is in an unrecognizable format', source: 'nps-docs' },
  InvalidSession: {
    message: 'the specified session is invalid or may have expired (sessions last three minutes)',
    source: 'nps-docs',
  },
  ServiceUnavailable: { message: 'the MFA service is temporarily unavailable', source: 'radmfa' },
  SMSAuthFailedWrongCodeEntered: { message: 'wrong code entered (text message)', source: 'nps-docs' },
  OathCodeIncorrect: { message: 'wrong code entered (OATH code)', source: 'nps-docs' },
  OathCodeReplayed: {
    message: 'this code was already used; wait for the next one (RFC 6238 section 5.2)',
    source: 'radmfa',
  },
  SMSAuthFailedMaxAllowedCodeRetryReached: {
    message: 'maximum allowed code retries reached',
    source: 'nps-docs',
  },
  HTTP_CONNECT_ERROR: { message: 'could not connect to the MFA service', source: 'nps-docs' },
  HTTPS_COMMUNICATION_ERROR: {
    message: 'no usable response from the MFA service (connection dropped, 5xx or unreadable body)',
    source: 'nps-docs',
  },
};

export const HTTP_STATUS: Readonly<Record<MfaServiceErrorCode, number>> = {
  ESTS_TOKEN_ERROR: 401,
  REQUEST_FORMAT_ERROR: 400,
  REQUEST_MISSING_CODE: 422,
  AccessDenied: 403,
  TenantIsBlocked: 403,
  UserNotFound: 404,
  UserNotEnrolled: 404,
  AuthenticationMethodNotConfigured: 422,
  NoDefaultAuthenticationMethodIsConfigured: 422,
  InvalidFormat: 422,
  InvalidSession: 404,
  ServiceUnavailable: 503,
};

export const TOKEN_ERROR_DETAILS: Readonly<Record<TokenErrorReason, string>> = {
  unknown_tenant: "AADSTS90002: Tenant not found (the token endpoint's tenant id is not this tenant's)",
  ...ASSERTION_REFUSALS,
  unknown_resource:
    'the token was asked for a resource this service is not (AZURE_MFA_RESOURCE_HOSTNAME of another cloud?)',
  missing_token: 'no bearer token in the Authorization header',
  invalid_token: 'the bearer token was not issued by this service',
  expired_token: 'the bearer token has expired',
  injected: 'injected token fault',
};

/** A service-level failure, before it becomes an HTTP response. */
export interface MfaFailure {
  readonly ok: false;
  readonly code: MfaServiceErrorCode;
  readonly message: string;
  readonly detail?: string;
}

export function mfaFailure(code: MfaServiceErrorCode, detail?: string): MfaFailure {
  const message = MFA_ERRORS[code].message;
  return detail === undefined ? { ok: false, code, message } : { ok: false, code, message, detail };
}

/**
 * ESTS_TOKEN_ERROR whose detail starts with the reason code, e.g. "expired_token: ...". The seed's
 * "security token error" is this code, whatever the reason (certificate, tenant, token).
 */
export function tokenFailure(reason: TokenErrorReason, more?: string): MfaFailure {
  const detail = `${reason}: ${TOKEN_ERROR_DETAILS[reason]}`;
  return mfaFailure('ESTS_TOKEN_ERROR', more === undefined ? detail : `${detail} ${more}`);
}

export type MfaResult<T> = { readonly ok: true; readonly value: T } | MfaFailure;

/** Thrown for misuse of the mock by its owner (a bad tenant file, an unknown user in setBehaviour). */
export type MfaMockErrorCode = 'MFA_TENANT_INVALID' | 'MFA_TENANT_UNREADABLE' | 'MFA_UNKNOWN_USER';

export class MfaMockError extends Error {
  override readonly name = 'MfaMockError';
  readonly code: MfaMockErrorCode;

  constructor(code: MfaMockErrorCode, message: string) {
    super(`[radmfa mfa-mock] ${code}: ${message}`);
    this.code = code;
  }
}
