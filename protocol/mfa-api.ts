// The cloud MFA HTTP API both sides speak: the reference server's MFA client and the MFA mock.
// Kept in protocol/ because it is a wire contract shared by reference/ and simulators/, which never
// import each other. The API is radmfa's own; its shape follows the real service the NPS extension
// talks to: a token from the tenant's STS with a client certificate, then a bearer-authenticated MFA
// call per login, then polling (or a code) until the second factor is decided. See docs/mfa-api.md.

import type { AssertionRefusal } from './client-assertion.ts';

// ---------------------------------------------------------------- paths

export const MFA_PATHS = {
  /** POST TokenRequest -> TokenResponse. */
  token: '/sts/:tenantId/token',
  /** POST BeginRequest -> BeginResponse (201). Bearer token. */
  begin: '/mfa/v1/authentications',
  /** GET ?wait=ms -> SessionResponse. Bearer token. */
  session: '/mfa/v1/authentications/:sessionId',
  /** POST CodeRequest -> CodeResponse. Bearer token. */
  code: '/mfa/v1/authentications/:sessionId/code',
  /** GET ?since=seq&endpoint=&user= -> CallHistoryResponse; DELETE clears. No token. */
  adminCalls: '/_admin/calls',
  /** GET ?user=&since=seq -> SmsOutboxResponse. No token. */
  adminSms: '/_admin/sms',
  /** GET -> FaultSettings; PUT FaultSettings (replaces); DELETE clears. No token. */
  adminFaults: '/_admin/faults',
  /** GET -> HealthResponse. No token, no faults. */
  adminHealth: '/_admin/health',
} as const;

export function tokenPath(tenantId: string): string {
  return `/sts/${encodeURIComponent(tenantId)}/token`;
}

export function sessionPath(sessionId: string, waitMs?: number): string {
  const base = `/mfa/v1/authentications/${encodeURIComponent(sessionId)}`;
  return waitMs === undefined ? base : `${base}?wait=${Math.max(0, Math.floor(waitMs))}`;
}

export function codePath(sessionId: string): string {
  return `/mfa/v1/authentications/${encodeURIComponent(sessionId)}/code`;
}

/** The longest long-poll the service holds; larger `wait` values are clamped to it. */
export const MAX_POLL_WAIT_MS = 60_000;

// ---------------------------------------------------------------- methods and statuses

/** Verification methods a user can register (the NPS extension's list). */
export type MfaMethod = 'push' | 'phone_call' | 'sms' | 'app_code' | 'oath_token';

export const MFA_METHODS: readonly MfaMethod[] = ['push', 'phone_call', 'sms', 'app_code', 'oath_token'];

/** Methods decided by the user answering their phone; RADIUS only waits. */
export type PromptMethod = 'push' | 'phone_call';

/** Methods that need a code typed into the VPN client: PAP with Access-Challenge only. */
export type CodeMethod = 'sms' | 'app_code' | 'oath_token';

export function isCodeMethod(method: MfaMethod): method is CodeMethod {
  return method === 'sms' || method === 'app_code' || method === 'oath_token';
}

/** What the service did after a BeginRequest, i.e. what the RADIUS server should do next. */
export type NextStep = 'push_sent' | 'call_placed' | 'sms_sent' | 'enter_app_code' | 'enter_token_code';

export type SessionStatus =
  | 'pending' // push sent / call placed, no answer yet
  | 'awaiting_code' // waiting for a CodeRequest
  | 'approved'
  | 'denied'
  | 'fraud_reported'
  | 'timed_out' // nobody answered the push or call in time
  | 'locked_out'; // too many wrong codes

export const FINAL_STATUSES: readonly SessionStatus[] = [
  'approved',
  'denied',
  'fraud_reported',
  'timed_out',
  'locked_out',
];

export function isFinalStatus(status: SessionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

// ---------------------------------------------------------------- requests and responses

/**
 * An OAuth 2.0 client_credentials grant authenticated by a client assertion (RFC 7523; Entra's
 * certificate credentials, protocol/client-assertion.ts). The names are OAuth's; Entra takes them
 * form-encoded, radmfa's endpoint takes them as JSON or form-encoded.
 */
export interface TokenRequest {
  readonly grant_type: 'client_credentials';
  readonly client_id: string;
  readonly client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
  /** A JWT signed with the private key of a certificate registered for the client in the tenant. */
  readonly client_assertion: string;
  readonly scope?: string;
}

export interface TokenResponse {
  readonly tokenType: 'Bearer';
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  /** Epoch milliseconds on the service's clock. */
  readonly expiresAt: number;
}

/** Where the login comes from: recorded in the call history, never used to decide. */
export interface BeginContext {
  readonly clientIp?: string;
  readonly callingStationId?: string;
  readonly nasIdentifier?: string;
  readonly nasIp?: string;
  /** The RADIUS server's own correlation id for the request. */
  readonly requestId?: string;
}

export interface BeginRequest {
  /** UPN, or an alternate login id registered for the user. */
  readonly user: string;
  /** A registered method, or "default" (the user's default method). Absent means "default". */
  readonly method?: MfaMethod | 'default';
  /**
   * With "default": use a time-based code when the user registered one (the app's TOTP, another
   * software token or a hardware OATH token), otherwise the default method. This is the NPS
   * extension's OTP-instead-of-push behaviour ("TOTP ... other software tokens, and hardware FOBs").
   */
  readonly preferAppCode?: boolean;
  /**
   * Methods the RADIUS exchange can carry (MS-CHAPv2 and EAP: push and phone_call only). When the
   * resolved method is not among them the service answers REQUEST_MISSING_CODE and contacts nobody.
   */
  readonly acceptableMethods?: readonly MfaMethod[];
  readonly context?: BeginContext;
}

export interface BeginResponse {
  readonly sessionId: string;
  readonly method: MfaMethod;
  readonly next: NextStep;
  readonly status: SessionStatus;
  readonly createdAt: number;
  /** After this instant every call on the session answers InvalidSession. */
  readonly expiresAt: number;
  /** For code methods: how many digits to ask for. */
  readonly codeLength?: number;
  /** For sms and phone_call: the number with all but the last two digits masked. */
  readonly phoneHint?: string;
}

export interface SessionResponse {
  readonly sessionId: string;
  readonly method: MfaMethod;
  readonly status: SessionStatus;
  readonly final: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When the status became final. */
  readonly decidedAt?: number;
  readonly wrongCodes: number;
}

export interface CodeRequest {
  readonly code: string;
}

export type CodeVerdict = 'accepted' | 'wrong_code' | 'locked_out';

/** A wrong code is an answer, not an error: HTTP 200 with one of these result codes. */
export type CodeResultCode =
  | 'SMSAuthFailedWrongCodeEntered'
  | 'OathCodeIncorrect'
  | 'OathCodeReplayed'
  | 'SMSAuthFailedMaxAllowedCodeRetryReached';

export interface CodeResponse {
  readonly sessionId: string;
  readonly verdict: CodeVerdict;
  readonly status: SessionStatus;
  readonly resultCode?: CodeResultCode;
  readonly attemptsRemaining: number;
}

// ---------------------------------------------------------------- errors

/** Error codes in ErrorResponse bodies. */
export type MfaServiceErrorCode =
  | 'ESTS_TOKEN_ERROR'
  | 'REQUEST_FORMAT_ERROR'
  | 'REQUEST_MISSING_CODE'
  | 'AccessDenied'
  | 'TenantIsBlocked'
  | 'UserNotFound'
  | 'UserNotEnrolled'
  | 'AuthenticationMethodNotConfigured'
  | 'NoDefaultAuthenticationMethodIsConfigured'
  | 'InvalidFormat'
  | 'InvalidSession'
  | 'ServiceUnavailable';

/** Failures a client sees without any response body: nothing answered, or the answer was unusable. */
export type MfaTransportErrorCode = 'HTTP_CONNECT_ERROR' | 'HTTPS_COMMUNICATION_ERROR';

/** The whole vocabulary, closed. */
export type MfaErrorCode = MfaServiceErrorCode | CodeResultCode | MfaTransportErrorCode;

export const MFA_ERROR_CODES: readonly MfaErrorCode[] = [
  'ESTS_TOKEN_ERROR',
  'REQUEST_FORMAT_ERROR',
  'REQUEST_MISSING_CODE',
  'AccessDenied',
  'TenantIsBlocked',
  'UserNotFound',
  'UserNotEnrolled',
  'AuthenticationMethodNotConfigured',
  'NoDefaultAuthenticationMethodIsConfigured',
  'InvalidFormat',
  'InvalidSession',
  'ServiceUnavailable',
  'SMSAuthFailedWrongCodeEntered',
  'OathCodeIncorrect',
  'OathCodeReplayed',
  'SMSAuthFailedMaxAllowedCodeRetryReached',
  'HTTP_CONNECT_ERROR',
  'HTTPS_COMMUNICATION_ERROR',
];

/** Why a token was refused or not accepted (the `detail` of an ESTS_TOKEN_ERROR). */
export type TokenErrorReason =
  | 'unknown_tenant'
  | AssertionRefusal
  | 'missing_token'
  | 'invalid_token'
  | 'expired_token'
  | 'unknown_resource'
  | 'injected';

export interface ErrorResponse {
  readonly error: {
    readonly code: MfaServiceErrorCode;
    readonly message: string;
    readonly detail?: string;
  };
}

/**
 * For REQUIRE_USER_MATCH=FALSE: the errors that mean "this user has no MFA", after which the NPS
 * extension lets the login through without a second factor. Every other error fails closed.
 */
export function isNotEnrolledError(code: MfaErrorCode): boolean {
  return code === 'UserNotFound' || code === 'UserNotEnrolled';
}

// ---------------------------------------------------------------- admin: history, SMS, faults

export type MfaEndpoint = 'token' | 'begin' | 'poll' | 'code';

/**
 * The hosts a client reaches: the security token service (STS_URL: token) and the MFA service
 * (AZURE_MFA_HOSTNAME: begin, poll, code). Faults can take one down and leave the other up.
 */
export type MfaHost = 'sts' | 'mfa';

export const MFA_HOSTS: readonly MfaHost[] = ['sts', 'mfa'];

export function hostOfEndpoint(endpoint: MfaEndpoint): MfaHost {
  return endpoint === 'token' ? 'sts' : 'mfa';
}

export type FaultKind = 'latency' | 'server_error' | 'drop' | 'token_error';

export interface CallRecord {
  /** 1-based, in order of arrival. */
  readonly seq: number;
  readonly endpoint: MfaEndpoint;
  readonly receivedAt: number;
  /** Absent while the call is in flight (a long-poll still waiting). */
  readonly respondedAt?: number;
  readonly tenantId?: string;
  readonly user?: string;
  /** Method asked for (begin) or the session's method (poll, code). */
  readonly method?: string;
  readonly sessionId?: string;
  readonly waitMs?: number;
  readonly code?: string;
  readonly context?: BeginContext;
  /** 0 when the connection was dropped without a response. */
  readonly httpStatus?: number;
  /** Error code, session status or code verdict the call ended with. */
  readonly result?: string;
  /** Injected faults that applied to this call. */
  readonly faults?: readonly FaultKind[];
}

export interface CallHistoryResponse {
  readonly calls: readonly CallRecord[];
}

export interface SmsMessage {
  readonly seq: number;
  readonly sentAt: number;
  readonly user: string;
  readonly to: string;
  readonly sessionId: string;
  readonly code: string;
  readonly text: string;
}

export interface SmsOutboxResponse {
  readonly messages: readonly SmsMessage[];
}

/** Which calls a fault applies to, how often, and how many times at most. */
export interface FaultRule {
  /** Default: every MFA endpoint (token, begin, poll, code). Admin endpoints never fail. */
  readonly endpoints?: readonly MfaEndpoint[];
  /** In [0, 1]; default 1. Drawn from the mock's seeded fault stream. */
  readonly probability?: number;
  /** Applies to this many matching calls, then clears itself. Default: until cleared. */
  readonly times?: number;
}

export interface FaultSettings {
  /** Added before the response: ms plus a uniform [0, jitterMs) extra. */
  readonly latency?: FaultRule & { readonly ms: number; readonly jitterMs?: number };
  /** Answer with this 5xx status and a ServiceUnavailable body. */
  readonly serverError?: FaultRule & { readonly status?: number };
  /** The token endpoint answers ESTS_TOKEN_ERROR (detail "injected"). `endpoints` is ignored. */
  readonly tokenError?: Omit<FaultRule, 'endpoints'>;
  /**
   * Close the connection without answering. By default before the service acts; with
   * afterProcessing the service acts (a push is sent) and only the response is lost, the case where
   * a client's retry would send a second prompt.
   */
  readonly drop?: FaultRule & { readonly afterProcessing?: boolean };
  /**
   * Nothing answers: in process every request fails as a network error; over HTTP the listener is
   * closed (connection refused). With forMs the service comes back by itself after that long. With
   * hosts, only those hosts (served per host, their listeners close; served on one listener, their
   * calls fail as network errors and the listener stays open for the other host).
   */
  readonly unreachable?: { readonly forMs?: number; readonly hosts?: readonly MfaHost[] };
}

export interface HealthResponse {
  readonly ok: true;
  readonly tenantId: string;
  readonly now: number;
  readonly users: number;
}
