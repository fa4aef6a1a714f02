// Why an Access-Request ended as it did: one closed list that the access handler returns, the
// server publishes in its `access` events, logs print and metrics use as a label. Free text for a
// human goes in a separate `detail`; nothing ever parses a reason.
import type { MfaErrorCode } from '../../protocol/mfa-api.ts';

export type AccessOutcome = 'accept' | 'reject' | 'challenge' | 'discard';

/** Reasons radmfa names itself. The MFA service's own error codes are reasons too (AccessReason). */
export type LocalAccessReason =
  // The request, and the conversation its State names.
  | 'no-credentials'
  | 'no-user-name'
  | 'unknown-or-expired-state'
  | 'state-from-another-client'
  | 'state-belongs-to-another-method'
  | 'mfa-code-expected-in-user-password'
  | 'mfa-not-configured'
  // The directory and the account.
  | 'user-not-found'
  | 'directory-unavailable'
  | 'account-disabled'
  | 'account-locked'
  | 'account-expired'
  | 'password-must-change'
  | 'password-expired'
  // The password, by method.
  | 'wrong-password'
  | 'no-cleartext-password-for-chap'
  | 'no-cleartext-password-for-eap-md5'
  | 'no-nt-hash-for-mschap'
  | 'no-nt-hash-for-mschapv2'
  // EAP.
  | 'eap-malformed'
  | 'eap-not-a-response'
  | 'eap-identifier-mismatch'
  | 'eap-expected-identity'
  | 'eap-no-common-method'
  | 'eap-unexpected-type'
  | 'eap-mschapv2-malformed'
  | 'eap-mschapv2-no-success-ack'
  | 'eap-identity-requested'
  | 'eap-md5-challenge'
  | 'eap-mschapv2-challenge'
  | 'eap-mschapv2-success-sent'
  // Network policy.
  | 'policy-denied'
  | 'primary-ok'
  // The second factor.
  | 'ip-whitelisted'
  | 'mfa-code-requested'
  | 'mfa-code-requested-again'
  | 'mfa-approved'
  | 'mfa-denied'
  | 'mfa-fraud-reported'
  | 'mfa-timeout'
  | 'mfa-locked-out'
  | 'mfa-code-accepted'
  | 'mfa-code-wrong'
  | 'mfa-code-locked-out'
  | 'user-not-enrolled-allowed'
  | 'user-identifier-missing'
  | 'mfa-unavailable'
  | 'fail-open'
  | 'mfa-client-closed'
  | 'mfa-overload';

export type AccessReason = LocalAccessReason | MfaErrorCode;

/** Reasons a request gets no answer at all; each is counted as a drop under its DropReason. */
export type DiscardReason = Extract<
  AccessReason,
  'directory-unavailable' | 'mfa-client-closed' | 'mfa-overload'
>;

const LOCAL_REASONS: Readonly<Record<LocalAccessReason, string>> = {
  'no-credentials': 'no User-Password, CHAP-Password, MS-CHAP or EAP-Message attribute, or a malformed one',
  'no-user-name': 'the request has no User-Name',
  'unknown-or-expired-state': 'the State names no open conversation (never issued, answered, or expired)',
  'state-from-another-client': 'the State was issued to another RADIUS client',
  'state-belongs-to-another-method': 'the State belongs to a conversation of another method',
  'mfa-code-expected-in-user-password': 'the answer to a code prompt must carry the code in User-Password',
  'mfa-not-configured': 'a code prompt was answered but no second factor is configured',
  'user-not-found': 'no directory user has this name',
  'directory-unavailable': 'the directory did not answer (discarded or rejected per directory.onUnavailable)',
  'account-disabled': 'the account is disabled (userAccountControl ACCOUNTDISABLE)',
  'account-locked': 'the account is locked out (lockoutTime, or userAccountControl LOCKOUT)',
  'account-expired': 'the account expired (accountExpires is in the past)',
  'password-must-change': 'the password must be changed at next logon (pwdLastSet 0)',
  'password-expired': 'the password expired (userAccountControl PASSWORD_EXPIRED)',
  'wrong-password': 'the password (or its proof) is wrong',
  'no-cleartext-password-for-chap': 'CHAP needs the cleartext password, which the directory does not hold',
  'no-cleartext-password-for-eap-md5':
    'EAP-MD5 needs the cleartext password, which the directory does not hold',
  'no-nt-hash-for-mschap': 'MS-CHAP needs the NT hash (sambaNTPassword), which the directory does not hold',
  'no-nt-hash-for-mschapv2':
    'MS-CHAPv2 needs the NT hash (sambaNTPassword), which the directory does not hold',
  'eap-malformed': 'the EAP-Message is not a valid EAP packet',
  'eap-not-a-response': 'the EAP packet is not a Response',
  'eap-identifier-mismatch': 'the EAP Response does not answer the outstanding Request (RFC 3748 4.1)',
  'eap-expected-identity': 'the first EAP Response must be an Identity',
  'eap-no-common-method': 'the peer refused EAP-MD5 and EAP-MSCHAPv2 (Nak)',
  'eap-unexpected-type': 'the EAP Response is of another type than the Request',
  'eap-mschapv2-malformed': 'the EAP-MSCHAPv2 Response is malformed',
  'eap-mschapv2-no-success-ack': 'the peer did not acknowledge the EAP-MSCHAPv2 Success',
  'eap-identity-requested': 'EAP-Start answered with an Identity request',
  'eap-md5-challenge': 'EAP-MD5 challenge sent',
  'eap-mschapv2-challenge': 'EAP-MSCHAPv2 challenge sent',
  'eap-mschapv2-success-sent': 'EAP-MSCHAPv2 success sent, waiting for the acknowledgement',
  'policy-denied': 'a network policy denies access, or none matched with noMatch deny',
  'primary-ok': 'the password is right and no second factor is configured',
  'ip-whitelisted': 'the NAS-IP-Address is in IP_WHITELIST: no second factor',
  'mfa-code-requested': 'the user is asked for a code (Access-Challenge)',
  'mfa-code-requested-again': 'the user is asked for a code once more',
  'mfa-approved': 'the user approved the push or answered the call',
  'mfa-denied': 'the user denied the push or the call',
  'mfa-fraud-reported': 'the user reported the prompt as fraud',
  'mfa-timeout': 'nobody answered the push or call in time',
  'mfa-locked-out': 'the MFA session is locked after too many wrong codes',
  'mfa-code-accepted': 'the code is right',
  'mfa-code-wrong': 'the code is wrong',
  'mfa-code-locked-out': 'the code is refused: too many wrong codes',
  'user-not-enrolled-allowed':
    'REQUIRE_USER_MATCH is FALSE and the MFA service reports the user as not enrolled: no second factor',
  'user-identifier-missing':
    'the directory user has no userPrincipalName (nor alternate login id): a directory problem, rejected whatever REQUIRE_USER_MATCH says',
  'mfa-unavailable': 'the MFA service could not decide (fail-closed)',
  'fail-open': 'the MFA service could not decide and failMode is fail-open: accepted without a second factor',
  'mfa-client-closed': 'the server is stopping: the login gets no answer',
  'mfa-overload':
    'limits.maxPendingMfa logins already wait on the MFA service: no answer, the NAS retransmits later',
};

const MFA_CODE_REASONS: Readonly<Record<MfaErrorCode, string>> = {
  ESTS_TOKEN_ERROR: 'MFA service: the security token was refused',
  REQUEST_FORMAT_ERROR: 'MFA service: the request was malformed',
  REQUEST_MISSING_CODE:
    'MFA service: the method needs a code the RADIUS method cannot carry (MS-CHAPv2, EAP)',
  AccessDenied: 'MFA service: the user is outside the tenant',
  TenantIsBlocked: 'MFA service: the tenant is blocked',
  UserNotFound: 'MFA service: no such user in the tenant (not enrolled)',
  UserNotEnrolled: 'MFA service: the user has no MFA method registered',
  AuthenticationMethodNotConfigured: 'MFA service: the asked method is not registered',
  NoDefaultAuthenticationMethodIsConfigured: 'MFA service: the user has no default method',
  InvalidFormat: 'MFA service: a value is malformed',
  InvalidSession: 'MFA service: the MFA session expired or does not exist',
  ServiceUnavailable: 'MFA service: unavailable',
  SMSAuthFailedWrongCodeEntered: 'MFA service: the texted code is wrong',
  OathCodeIncorrect: 'MFA service: the app or token code is wrong',
  OathCodeReplayed: 'MFA service: the app or token code was already used',
  SMSAuthFailedMaxAllowedCodeRetryReached: 'MFA service: too many wrong codes',
  HTTP_CONNECT_ERROR: 'MFA service: nothing accepted the connection',
  HTTPS_COMMUNICATION_ERROR: 'MFA service: the connection broke or no answer came in time',
};

/** Every reason with what it means, for logs, reports and the README. */
export const ACCESS_REASONS: Readonly<Record<AccessReason, string>> = {
  ...LOCAL_REASONS,
  ...MFA_CODE_REASONS,
};

export function isAccessReason(value: string): value is AccessReason {
  return Object.hasOwn(ACCESS_REASONS, value);
}

/** What the second factor came to, for the logs (never a code the user typed). */
export interface MfaDetail {
  /** The MFA method used (push, phone_call, sms, app_code, oath_token). */
  readonly method?: string;
  readonly result: AccessReason;
  /** The MFA service's error code behind the result, when there was one. */
  readonly code?: MfaErrorCode;
}

/** Policy and second factor as decided after the password was proven. */
export interface Decided {
  readonly policy?: string;
  readonly mfa?: MfaDetail;
  /** Human-readable context (an error message); never parsed. */
  readonly detail?: string;
}
