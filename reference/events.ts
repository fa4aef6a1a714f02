import { EventEmitter } from 'node:events';
import type { DecodeFailureCode } from '../protocol/index.ts';
import type { Endpoint } from '../runtime/transport.ts';
import type { AccessOutcome as AccessResultKind, AccessReason, MfaDetail } from './access/reasons.ts';
import type { AuthMethod } from './methods.ts';

// The server never logs: it publishes these events and the command decides what becomes a log line,
// a metric or nothing. No payload carries a secret, a password or an MFA code.

export type DropReason =
  | DecodeFailureCode
  | 'unknown-client'
  | 'unexpected-code'
  | 'accounting-invalid'
  | 'directory-unavailable'
  | 'mfa-unavailable'
  | 'overload'
  | 'mfa-overload'
  | 'internal-error';

/** What an answered Access-Request came to; a discard is a `packet-dropped` event instead. */
export type AccessOutcome = Exclude<AccessResultKind, 'discard'>;

/** Why the operator is warned: a closed list, so a log query or an alert can match on the code. */
export type WarningCode =
  | 'require-user-match-false'
  | 'fail-open-configured'
  | 'mfa-fail-open'
  | 'user-identifier-missing'
  | 'ip-whitelist-no-nas-ip'
  | 'alternate-login-id-missing'
  | 'client-certificate-expiring'
  | 'client-certificate-unusable'
  | 'config-file-readable'
  | 'blast-radius-unprotected'
  | 'message-authenticator-learned'
  | 'proxy-state-unprotected';

export const WARNING_CODES: Readonly<Record<WarningCode, string>> = {
  'require-user-match-false':
    'at start-up: REQUIRE_USER_MATCH is FALSE, users the MFA service reports as not enrolled log in without MFA; remove before production',
  'fail-open-configured':
    'at start-up: failMode is fail-open, logins are accepted without a second factor whenever the MFA service fails; remove before production',
  'mfa-fail-open': 'a login was accepted without a second factor because the MFA service failed (fail-open)',
  'user-identifier-missing':
    'a directory user has no userPrincipalName (nor alternate login id): rejected without asking the MFA service',
  'ip-whitelist-no-nas-ip': 'IP_WHITELIST is set but the request has no NAS-IP-Address: MFA is required',
  'alternate-login-id-missing':
    'LDAP_ALTERNATE_LOGINID_ATTRIBUTE is set but the user has no value for it: identified by UPN instead',
  'client-certificate-expiring':
    'the client certificate in use expires within 30 days: roll it over (radmfa cert rollover)',
  'client-certificate-unusable':
    'no client certificate is valid now: tokens will be refused (security token error) until one is',
  'config-file-readable':
    'at start-up: the config file, which holds the shared secrets, is readable by group or others; chmod 600 it',
  'blast-radius-unprotected':
    'at start-up: a client has requireMessageAuthenticator: false and limitProxyState: false, so a Blast-RADIUS forgery of its Access-Requests is not stopped; set either to true or auto',
  'message-authenticator-learned':
    'a client sent a Message-Authenticator (requireMessageAuthenticator: auto): Access-Requests without one are dropped from it from now on',
  'proxy-state-unprotected':
    "limitProxyState: auto: the client's first Access-Request had Proxy-State without Message-Authenticator (an old proxy, or an attack), so the limit is off for it",
};

export interface ServerEventMap {
  listening: { readonly auth: readonly Endpoint[]; readonly acct: readonly Endpoint[] };
  'packet-dropped': {
    readonly reason: DropReason;
    readonly from: Endpoint;
    readonly client?: string;
    readonly code?: number;
    readonly identifier?: number;
    readonly detail: string;
  };
  duplicate: {
    readonly action: 'discard' | 'replay';
    readonly reason: string;
    readonly from: Endpoint;
    readonly client: string;
    readonly identifier: number;
    readonly userName?: string;
    readonly duplicates: number;
  };
  access: {
    readonly outcome: AccessOutcome;
    /** Why, from the closed list ACCESS_REASONS (reference/access/reasons.ts); safe as a metric label. */
    readonly reason: AccessReason;
    /** Human-readable context (an error message); never parsed. */
    readonly detail?: string;
    readonly client: string;
    readonly from: Endpoint;
    readonly identifier: number;
    readonly userName?: string;
    readonly method?: AuthMethod;
    readonly policy?: string;
    readonly durationMs: number;
    readonly mfa?: MfaDetail & { readonly durationMs?: number };
  };
  accounting: {
    readonly client: string;
    readonly statusType?: number;
    readonly sessionId?: string;
    readonly userName?: string;
    readonly stored: boolean;
    readonly duplicate: boolean;
  };
  'status-server': { readonly client: string; readonly from: Endpoint; readonly port: 'auth' | 'acct' };
  /**
   * Conditions an operator must hear about: settings that weaken MFA (once, at start-up) and logins
   * that met one (fail-open used, IP_WHITELIST without NAS-IP-Address, a user without a UPN).
   */
  warning: {
    readonly code: WarningCode;
    readonly message: string;
    readonly client?: string;
    readonly userName?: string;
  };
  /** A bug or an unexpected failure inside the server; the packet is dropped, the server goes on. */
  error: { readonly message: string; readonly stack?: string };
}

export type ServerEventName = keyof ServerEventMap;

/** A typed facade over EventEmitter, so listeners and emitters agree on payloads at compile time. */
export class ServerEvents {
  private readonly emitter = new EventEmitter();

  on<K extends ServerEventName>(event: K, listener: (payload: ServerEventMap[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends ServerEventName>(event: K, listener: (payload: ServerEventMap[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /** True when someone listens: the per-request paths skip building a payload nobody reads. */
  wants(event: ServerEventName): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  emit<K extends ServerEventName>(event: K, payload: ServerEventMap[K]): void {
    // A throwing listener must not take the packet path down with it.
    try {
      this.emitter.emit(event, payload);
    } catch {
      /* listeners are the caller's; their failures are theirs */
    }
  }
}
