import { setMaxListeners } from 'node:events';
import { BlockList, isIP } from 'node:net';
import type { Clock } from '../../runtime/clock.ts';
import {
  codePath,
  isNotEnrolledError,
  sessionPath,
  MAX_POLL_WAIT_MS,
  type BeginRequest,
  type BeginResponse,
  type CodeResponse,
  type MfaErrorCode,
  type MfaMethod,
  type MfaServiceErrorCode,
  type SessionResponse,
  type SessionStatus,
} from '../../protocol/mfa-api.ts';
import { parseCidr } from '../config/cidr.ts';
import { mfaEndpoints, type MfaEndpoints } from '../config/mfa-cloud.ts';
import type { MfaSettings } from '../config/mfa-config.ts';
import type { WarningCode } from '../events.ts';
import type { ClientCredential } from './client-credential.ts';
import { callMfa, startMfaCall, type MfaCallResult, type MfaHttpOptions } from './mfa-http.ts';
import { mfaTransportFromSettings, type MfaFetch, type MfaTransport } from './mfa-transport.ts';
import { asSecurityTokenError, requestToken } from './token-request.ts';
import type { MfaCodeSession, MfaContext, MfaDecision, SecondFactor } from './second-factor.ts';

export interface CloudMfaOptions {
  readonly settings: MfaSettings;
  /**
   * One service URL for every host (the embedded mock's, when the settings name a tenant file
   * instead); without it the hosts come from the settings (serviceUrl, or the cloud's hosts).
   */
  readonly baseUrl?: string;
  readonly clock: Clock;
  /** The client certificate's assertion for the token endpoint; closed with the client. */
  readonly credential: ClientCredential;
  /** An in-process mock's fetch; without it, HTTPS as the settings say (mfa-transport.ts). */
  readonly fetch?: MfaFetch;
  /** PEM trust anchors instead of settings.caFile (the embedded stack's run CA, kept in memory). */
  readonly ca?: string;
  /** Conditions an operator must hear about: fail-open used, whitelist without NAS-IP-Address. */
  readonly onWarning?: (code: MfaWarningCode, message: string, context: MfaContext) => void;
}

/** The warnings a login can raise (the start-up ones are the server's). */
export type MfaWarningCode = Extract<
  WarningCode,
  'mfa-fail-open' | 'user-identifier-missing' | 'ip-whitelist-no-nas-ip' | 'alternate-login-id-missing'
>;

/** MS-CHAPv2 and EAP cannot carry a typed code (no Access-Challenge round trip for it): only prompts. */
const PROMPT_ONLY: readonly MfaMethod[] = ['push', 'phone_call'];

/** Least time between two polls of one session, whatever the service does with `wait`. */
const MIN_POLL_INTERVAL_MS = 1_000;
/** Most polls of one session: a bound on the loop whatever the service answers. */
const MAX_POLLS = 1_000;
/** A token is renewed this long before it expires, so it never expires between begin and a poll. */
const TOKEN_RENEW_MARGIN_MS = 60_000;

/** One login waiting on a push or a call, between two polls or during one. */
interface PendingPoll {
  readonly sessionId: string;
  readonly mfaMethod: MfaMethod;
  readonly context: MfaContext;
  readonly deadline: number;
  polls: number;
  pollStarted: number;
  readonly resolve: (decision: MfaDecision) => void;
  readonly reject: (error: unknown) => void;
}

type FinalStatus = Exclude<SessionStatus, 'pending' | 'awaiting_code'>;

/** What each final status of a session means for the login. */
const FINAL_DECISIONS: Readonly<
  Record<FinalStatus, Pick<MfaDecision & { kind: 'allow' | 'deny' }, 'kind' | 'reason'>>
> = {
  approved: { kind: 'allow', reason: 'mfa-approved' },
  denied: { kind: 'deny', reason: 'mfa-denied' },
  fraud_reported: { kind: 'deny', reason: 'mfa-fraud-reported' },
  timed_out: { kind: 'deny', reason: 'mfa-timeout' },
  locked_out: { kind: 'deny', reason: 'mfa-locked-out' },
};

const isFinal = (status: SessionStatus): status is FinalStatus => Object.hasOwn(FINAL_DECISIONS, status);

function finalDecision(status: FinalStatus, mfaMethod: MfaMethod): MfaDecision {
  const decision = FINAL_DECISIONS[status];
  return decision.kind === 'allow'
    ? { kind: 'allow', reason: decision.reason, mfaMethod }
    : { kind: 'deny', reason: decision.reason, mfaMethod };
}

function acceptableMethods(context: MfaContext): readonly MfaMethod[] | undefined {
  return context.method === 'pap' ? undefined : PROMPT_ONLY;
}

function whitelist(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr !== undefined) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

const promptOf = (begin: BeginResponse): string => {
  switch (begin.next) {
    case 'sms_sent':
      return `Enter the verification code sent to ${begin.phoneHint ?? 'your phone'}`;
    case 'enter_token_code':
      return 'Enter the code shown on your hardware token';
    default:
      return 'Enter the verification code from your authenticator app';
  }
};

/**
 * The NPS extension's second factor, against the cloud MFA service's HTTP API: token, begin,
 * long-poll or code. Settings keep the extension's registry names; errors follow its vocabulary.
 */
export class CloudMfa implements SecondFactor {
  private token: { value: string; expiresAt: number } | undefined;
  private tokenRequest: Promise<MfaCallResult<string>> | undefined;
  private readonly closing = new AbortController();
  private readonly skipList: BlockList;
  /** Begin, poll and code: the MFA host. */
  private readonly http: MfaHttpOptions;
  /** Polls: the MFA host, over the transport's exchange when the transport is this client's. */
  private readonly pollHttp: MfaHttpOptions;
  /** Token requests: the security token service. */
  private readonly stsHttp: MfaHttpOptions;
  readonly endpoints: MfaEndpoints;
  private readonly transport: MfaTransport | undefined;

  constructor(private readonly options: CloudMfaOptions) {
    const { settings } = options;
    // Every call in flight listens on this signal until it ends (mfa-http.ts removes the listener):
    // thousands of logins waiting on MFA are thousands of listeners by design, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.skipList = whitelist(settings.IP_WHITELIST);
    this.endpoints = mfaEndpoints({ ...settings, serviceUrl: options.baseUrl ?? settings.serviceUrl });
    this.transport = options.fetch === undefined ? mfaTransportFromSettings(settings, options.ca) : undefined;
    const common = {
      clock: options.clock,
      timeoutMs: settings.httpTimeoutMs,
      fetch: options.fetch ?? this.transport?.fetch,
      signal: this.closing.signal,
    };
    this.http = { ...common, baseUrl: this.endpoints.mfa };
    this.pollHttp =
      this.transport === undefined ? this.http : { ...this.http, exchange: this.transport.exchange };
    this.stsHttp = { ...common, baseUrl: this.endpoints.sts };
  }

  /**
   * A token, from the cache while it is valid: what a readiness probe asks, so probing every few
   * seconds costs the token service one request per token lifetime, as logins do.
   */
  currentToken(): Promise<MfaCallResult<string>> {
    return this.bearer();
  }

  /** Ends waits in progress (their logins get no answer) so a stopping server does not linger. */
  close(): void {
    this.closing.abort();
    this.options.credential.close();
    this.transport?.close();
  }

  /**
   * Not an async function: a login waiting on a push would keep its suspended frame (and the
   * context around it) for the whole wait; the begin answer is handled in a plain callback instead.
   */
  verify(context: MfaContext): Promise<MfaDecision> {
    try {
      return this.beginVerify(context);
    } catch (error) {
      // As an async function would: a failure is a rejection, never a throw at the caller.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private beginVerify(context: MfaContext): Promise<MfaDecision> {
    const { settings } = this.options;
    if (settings.IP_WHITELIST.length > 0) {
      if (context.nasIpAddress === undefined) {
        this.warn(
          'ip-whitelist-no-nas-ip',
          'IP_WHITELIST is set but the request has no NAS-IP-Address (or NAS-IPv6-Address): MFA is required',
          context,
        );
      } else if (
        isIP(context.nasIpAddress) !== 0 &&
        this.skipList.check(context.nasIpAddress, isIP(context.nasIpAddress) === 6 ? 'ipv6' : 'ipv4')
      ) {
        return Promise.resolve({ kind: 'allow', reason: 'ip-whitelisted' });
      }
    }
    const userId = this.userId(context);
    if (userId === undefined) return Promise.resolve(this.noIdentifier(context));
    const request: BeginRequest = {
      user: userId,
      method: 'default',
      preferAppCode: settings.OVERRIDE_NUMBER_MATCHING_WITH_OTP,
      ...(acceptableMethods(context) !== undefined ? { acceptableMethods: acceptableMethods(context) } : {}),
      context: {
        ...(context.nasIpAddress !== undefined ? { nasIp: context.nasIpAddress } : {}),
        ...(context.callingStationId !== undefined ? { callingStationId: context.callingStationId } : {}),
        nasIdentifier: context.client,
      },
    };
    return this.authorized((token) =>
      callMfa<BeginResponse>(this.http, 'POST', '/mfa/v1/authentications', request, token),
    ).then((begun) => this.afterBegin(begun, context, userId));
  }

  private afterBegin(
    begun: MfaCallResult<BeginResponse>,
    context: MfaContext,
    userId: string,
  ): MfaDecision | Promise<MfaDecision> {
    if (begun.kind !== 'ok') return this.failure(begun, context);
    const begin = begun.body;
    if (begin.next === 'push_sent' || begin.next === 'call_placed') return this.awaitDecision(begin, context);
    if (context.method !== 'pap') {
      return {
        kind: 'deny',
        reason: 'REQUEST_MISSING_CODE',
        code: 'REQUEST_MISSING_CODE',
        mfaMethod: begin.method,
      };
    }
    return {
      kind: 'challenge',
      prompt: promptOf(begin),
      session: { sessionId: begin.sessionId, mfaMethod: begin.method, userId },
    };
  }

  async submitCode(context: MfaContext, session: MfaCodeSession, code: string): Promise<MfaDecision> {
    const result = await this.authorized((token) =>
      callMfa<CodeResponse>(this.http, 'POST', codePath(session.sessionId), { code }, token),
    );
    if (result.kind !== 'ok') return this.failure(result, context, session.mfaMethod);
    const verdict = result.body;
    if (verdict.verdict === 'accepted')
      return { kind: 'allow', reason: 'mfa-code-accepted', mfaMethod: session.mfaMethod };
    if (verdict.resultCode !== undefined)
      return {
        kind: 'deny',
        reason: verdict.resultCode,
        code: verdict.resultCode,
        mfaMethod: session.mfaMethod,
      };
    return {
      kind: 'deny',
      reason: verdict.verdict === 'locked_out' ? 'mfa-code-locked-out' : 'mfa-code-wrong',
      mfaMethod: session.mfaMethod,
    };
  }

  /**
   * Long-polls until the user answers, the service gives up, or approvalTimeoutMs runs out. The
   * wait is one PendingPoll record and callbacks, not a suspended async function per layer: ten
   * thousand logins waiting on their phones hold ten thousand small records.
   */
  private awaitDecision(begin: BeginResponse, context: MfaContext): Promise<MfaDecision> {
    const { clock, settings } = this.options;
    return new Promise<MfaDecision>((resolve, reject) => {
      this.nextPoll({
        sessionId: begin.sessionId,
        mfaMethod: begin.method,
        context,
        deadline: clock.now() + settings.approvalTimeoutMs,
        polls: 0,
        pollStarted: 0,
        resolve,
        reject,
      });
    });
  }

  private nextPoll(wait: PendingPoll): void {
    const { clock } = this.options;
    const remaining = wait.deadline - clock.now();
    if (remaining <= 0 || wait.polls >= MAX_POLLS) {
      wait.resolve({ kind: 'deny', reason: 'mfa-timeout', mfaMethod: wait.mfaMethod });
      return;
    }
    wait.polls++;
    wait.pollStarted = clock.now();
    // A wait may outlast the token begin used (approvalTimeoutMs can exceed the minute of margin
    // it is renewed with): every poll takes the current one.
    const cached = this.token !== undefined;
    const token = this.freshToken();
    if (token !== undefined) {
      this.sendPoll(wait, token, cached);
      return;
    }
    this.bearer().then((fetched) => {
      if (fetched.kind === 'ok') this.sendPoll(wait, fetched.body, cached);
      else this.endPoll(wait, fetched);
    }, wait.reject);
  }

  private sendPoll(wait: PendingPoll, token: string, retryOnTokenError: boolean): void {
    const pollWait = Math.min(wait.deadline - this.options.clock.now(), MAX_POLL_WAIT_MS);
    startMfaCall<SessionResponse>(
      this.pollHttp,
      {
        method: 'GET',
        path: sessionPath(wait.sessionId, Math.max(0, pollWait)),
        token,
        timeoutMs: Math.max(0, pollWait) + this.options.settings.httpTimeoutMs,
      },
      (polled) => {
        try {
          this.onPolled(wait, token, retryOnTokenError, polled);
        } catch (error) {
          wait.reject(error);
        }
      },
    );
  }

  private onPolled(
    wait: PendingPoll,
    token: string,
    retryOnTokenError: boolean,
    polled: MfaCallResult<SessionResponse>,
  ): void {
    if (this.closing.signal.aborted) {
      wait.resolve({ kind: 'discard', reason: 'mfa-client-closed' });
      return;
    }
    if (retryOnTokenError && polled.kind === 'service-error' && polled.code === 'ESTS_TOKEN_ERROR') {
      // A cached token the service no longer honours (revoked, or the service restarted): dropped,
      // and the poll sent once more with a fresh one, as authorized() does for the other calls.
      if (this.token?.value === token) this.token = undefined;
      this.bearer().then((fresh) => {
        if (fresh.kind === 'ok') this.sendPoll(wait, fresh.body, false);
        else this.endPoll(wait, fresh);
      }, wait.reject);
      return;
    }
    if (polled.kind !== 'ok') {
      this.endPoll(wait, polled);
      return;
    }
    const status = polled.body.status;
    if (isFinal(status)) {
      wait.resolve(finalDecision(status, wait.mfaMethod));
      return;
    }
    // A service that answers at once instead of holding the poll must not be polled in a tight loop.
    const { clock } = this.options;
    const elapsed = clock.now() - wait.pollStarted;
    if (elapsed >= MIN_POLL_INTERVAL_MS) this.nextPoll(wait);
    else clock.setTimeout(() => this.nextPollSafely(wait), MIN_POLL_INTERVAL_MS - elapsed);
  }

  private nextPollSafely(wait: PendingPoll): void {
    try {
      if (this.closing.signal.aborted) wait.resolve({ kind: 'discard', reason: 'mfa-client-closed' });
      else this.nextPoll(wait);
    } catch (error) {
      wait.reject(error);
    }
  }

  /** A poll that got no status: the client closing, or the failure the call came to. */
  private endPoll(wait: PendingPoll, result: Exclude<MfaCallResult<unknown>, { kind: 'ok' }>): void {
    if (this.closing.signal.aborted) wait.resolve({ kind: 'discard', reason: 'mfa-client-closed' });
    else wait.resolve(this.failure(result, wait.context, wait.mfaMethod));
  }

  /** The cached token while it is valid (as bearer() judges it), without a promise. */
  private freshToken(): string | undefined {
    const token = this.token;
    return token !== undefined && token.expiresAt - TOKEN_RENEW_MARGIN_MS > this.options.clock.now()
      ? token.value
      : undefined;
  }

  private userId(context: MfaContext): string | undefined {
    const attribute = this.options.settings.LDAP_ALTERNATE_LOGINID_ATTRIBUTE;
    if (attribute !== undefined) {
      const value = context.user.attributes[attribute.toLowerCase()]?.[0];
      if (value !== undefined && value !== '') return value;
      this.warn(
        'alternate-login-id-missing',
        `user has no ${attribute}; identifying by UPN instead`,
        context,
      );
    }
    const upn = context.user.userPrincipalName;
    return upn !== undefined && upn !== '' ? upn : undefined;
  }

  /**
   * A directory user with nothing to name them to the MFA service. This is a directory problem, not
   * proof that the user is not enrolled: REQUIRE_USER_MATCH=FALSE only lets through users the
   * service says are not enrolled, so this fails closed whatever that setting says, and nothing is
   * sent to the service.
   */
  private noIdentifier(context: MfaContext): MfaDecision {
    const alternate = this.options.settings.LDAP_ALTERNATE_LOGINID_ATTRIBUTE;
    this.warn(
      'user-identifier-missing',
      `directory user ${context.user.accountName} has no userPrincipalName` +
        (alternate !== undefined ? ` and no ${alternate}` : '') +
        ': rejected without asking the MFA service (fix the directory entry)',
      context,
    );
    return { kind: 'deny', reason: 'user-identifier-missing' };
  }

  /**
   * Calls the service with the current token. A cached token the service no longer honours (it was
   * revoked, or the service restarted) is dropped and the call tried once more with a fresh one, so
   * the login in progress does not pay for it.
   */
  private async authorized<T>(call: (token: string) => Promise<MfaCallResult<T>>): Promise<MfaCallResult<T>> {
    const cached = this.token !== undefined;
    const token = await this.bearer();
    if (token.kind !== 'ok') return token;
    const result = await call(token.body);
    if (!cached || result.kind !== 'service-error' || result.code !== 'ESTS_TOKEN_ERROR') return result;
    if (this.token?.value === token.body) this.token = undefined;
    const fresh = await this.bearer();
    return fresh.kind === 'ok' ? call(fresh.body) : fresh;
  }

  private bearer(): Promise<MfaCallResult<string>> {
    // Renew a minute early so a token never expires between begin and the last poll.
    const cached = this.freshToken();
    if (cached !== undefined) return Promise.resolve({ kind: 'ok', status: 200, body: cached });
    // Logins that start together share one token request: a burst of logins (a VPN concentrator
    // reconnecting its users) must not become a burst of token requests.
    this.tokenRequest ??= this.fetchToken().finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private async fetchToken(): Promise<MfaCallResult<string>> {
    const now = this.options.clock.now();
    const { settings } = this.options;
    const sent = await requestToken(
      this.stsHttp,
      settings.tenantId,
      this.endpoints.resource,
      this.options.credential,
    );
    // One service playing every host (serviceUrl) that is down is the seed's "HTTP connect error";
    // only a token service of its own failing is the "security token error".
    const result =
      this.endpoints.sts === this.endpoints.mfa ? sent : asSecurityTokenError(sent, this.endpoints.sts);
    if (result.kind !== 'ok') return result;
    this.token = { value: result.body.accessToken, expiresAt: now + result.body.expiresInSeconds * 1000 };
    return { kind: 'ok', status: result.status, body: result.body.accessToken };
  }

  private failure(
    result: Exclude<MfaCallResult<unknown>, { kind: 'ok' }>,
    context: MfaContext,
    mfaMethod?: string,
  ): MfaDecision {
    if (result.kind === 'service-error') {
      // A refused token must not be reused on the next login.
      if (result.code === 'ESTS_TOKEN_ERROR') this.token = undefined;
      return this.serviceFailure(
        result.code,
        result.message,
        context,
        isNotEnrolledError(result.code),
        mfaMethod,
      );
    }
    return this.unavailable(result.code, result.message, context);
  }

  private serviceFailure(
    code: MfaServiceErrorCode,
    message: string,
    context: MfaContext,
    notEnrolled: boolean,
    mfaMethod?: string,
  ): MfaDecision {
    const method = mfaMethod !== undefined ? { mfaMethod } : {};
    if (notEnrolled) {
      // REQUIRE_USER_MATCH=FALSE lets users without MFA through, as the extension documents.
      return this.options.settings.REQUIRE_USER_MATCH
        ? { kind: 'deny', reason: code, code, ...method }
        : { kind: 'allow', reason: 'user-not-enrolled-allowed', code, ...method };
    }
    if (code === 'ServiceUnavailable' || code === 'ESTS_TOKEN_ERROR')
      return this.unavailable(code, message, context, mfaMethod);
    return { kind: 'deny', reason: code, code, detail: message, ...method };
  }

  /** The service could not decide: fail closed, or open when the administrator chose so, loudly. */
  private unavailable(
    code: MfaErrorCode,
    message: string,
    context: MfaContext,
    mfaMethod?: string,
  ): MfaDecision {
    const method = mfaMethod !== undefined ? { mfaMethod } : {};
    if (this.options.settings.failMode === 'fail-open') {
      this.warn(
        'mfa-fail-open',
        `MFA service failed (${code}: ${message}); FAIL-OPEN: login allowed without a second factor`,
        context,
      );
      return { kind: 'allow', reason: 'fail-open', code, detail: message, ...method };
    }
    return { kind: 'deny', reason: 'mfa-unavailable', code, detail: message, ...method };
  }

  private warn(code: MfaWarningCode, message: string, context: MfaContext): void {
    this.options.onWarning?.(code, message, context);
  }
}
