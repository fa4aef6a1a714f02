// The cloud MFA service's behaviour without HTTP: tokens, per-user methods, sessions, codes. The msw
// handlers translate requests into these calls and results into responses; tests can also drive it
// directly. All time comes from the injected Clock.

import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import { totp, verifyTotp } from '../../protocol/auth/otp.ts';
import { decidePrompt, type UserBehaviour } from '../users/behaviour.ts';
import { randomDigits, streamFor, type RandomSource } from '../users/random.ts';
import {
  MAX_POLL_WAIT_MS,
  isCodeMethod,
  type BeginRequest,
  type BeginResponse,
  type CodeRequest,
  type CodeResponse,
  type MfaMethod,
  type NextStep,
  type SessionResponse,
  type TokenRequest,
  type TokenResponse,
} from './api-types.ts';
import { CallHistory } from './call-history.ts';
import { NPS_CLIENT_ID } from '../../protocol/client-assertion.ts';
import { verifyClientAssertion } from './assertions.ts';
import { MfaMockError, mfaFailure, tokenFailure, type MfaResult } from './errors.ts';
import { FaultController } from './faults.ts';
import { isExpired, nextChangeAt, sessionView, statusAt, wake, type MfaSession } from './sessions.ts';
import { SmsOutbox } from './sms-outbox.ts';
import {
  isValidPhoneNumber,
  type MfaUserDefinition,
  type OtpDefinition,
  type TenantDefinition,
} from './tenant.ts';

const NEXT_STEP: Readonly<Record<MfaMethod, NextStep>> = {
  push: 'push_sent',
  phone_call: 'call_placed',
  sms: 'sms_sent',
  app_code: 'enter_app_code',
  oath_token: 'enter_token_code',
};

interface UserRuntime {
  readonly definition: MfaUserDefinition;
  behaviour: UserBehaviour;
  promptRandom: RandomSource;
  smsRandom: RandomSource;
  /** RFC 6238 section 5.2: a counter once accepted is never accepted again. */
  readonly lastAcceptedCounter: Map<'app_code' | 'oath_token', number>;
}

interface IssuedToken {
  readonly tenantId: string;
  readonly expiresAt: number;
}

export interface MfaServiceOptions {
  readonly tenant: TenantDefinition;
  readonly clock: Clock;
  /** Overrides the tenant file's settings.seed. */
  readonly seed?: number;
  /** Calls kept in the history; default 100 000. */
  readonly historyLimit?: number;
}

/** The user's default first when it is a code method, then the app's TOTP, then an OATH token. */
const OTP_PREFERENCE = (defaultMethod: MfaMethod | undefined): readonly ('app_code' | 'oath_token')[] =>
  defaultMethod === 'oath_token' ? ['oath_token', 'app_code'] : ['app_code', 'oath_token'];

export class MfaService {
  readonly tenant: TenantDefinition;
  readonly clock: Clock;
  readonly history: CallHistory;
  readonly outbox = new SmsOutbox();
  readonly faults: FaultController;
  private readonly seed: number;
  private readonly users = new Map<string, UserRuntime>();
  private readonly byIdentifier = new Map<string, UserRuntime>();
  /** Insertion order is creation order, and so expiry order: pruning stops at the first live one. */
  private readonly sessions = new Map<string, MfaSession>();
  private readonly tokens = new Map<string, IssuedToken>();
  private tokenRandom: RandomSource;
  /** The tenant-wide switch: methods nobody may use, from settings.disabledMethods or setMethodEnabled. */
  private readonly disabledMethods: Set<MfaMethod>;
  private sessionCount = 0;
  private tokenCount = 0;
  private disposed = false;

  constructor(options: MfaServiceOptions) {
    this.tenant = options.tenant;
    this.clock = options.clock;
    this.seed = options.seed ?? options.tenant.settings.seed;
    this.history = new CallHistory(options.historyLimit);
    this.faults = new FaultController(this.clock, streamFor(this.seed, 'faults'));
    this.tokenRandom = streamFor(this.seed, 'tokens');
    this.disabledMethods = new Set(this.tenant.settings.disabledMethods);
    for (const definition of this.tenant.users) {
      const runtime = this.newRuntime(definition);
      this.users.set(definition.upn.toLowerCase(), runtime);
      for (const id of [definition.upn, ...definition.alternateIds])
        this.byIdentifier.set(id.toLowerCase(), runtime);
    }
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Sessions not yet expired (and not yet pruned). */
  get liveSessions(): number {
    this.prune();
    return this.sessions.size;
  }

  // ---------------------------------------------------------------- tokens

  /**
   * Issues a bearer token for a client assertion signed by a registered certificate. `audience` is
   * the token endpoint's URL as the request reached it (the assertion's aud must name it).
   */
  issueToken(tenantId: string, request: TokenRequest, audience: string): MfaResult<TokenResponse> {
    if (tenantId !== this.tenant.id) return tokenFailure('unknown_tenant');
    if (request.client_id !== NPS_CLIENT_ID)
      return tokenFailure('wrong_client', `AADSTS700016: application ${request.client_id} not found`);
    const verdict = verifyClientAssertion(request.client_assertion, {
      credentials: this.tenant.certificates,
      clientId: request.client_id,
      audience,
      now: this.clock.now(),
    });
    if (!verdict.ok) {
      // Entra names the thumbprint the client used, so an operator can compare it with the store.
      const used =
        verdict.thumbprint !== undefined
          ? `Thumbprint of key used by client: '${verdict.thumbprint}'`
          : undefined;
      return tokenFailure(verdict.reason, used);
    }
    const now = this.clock.now();
    this.pruneTokens(now);
    const suffix = Math.floor(this.tokenRandom() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
    const accessToken = `radmfa-${++this.tokenCount}-${suffix}`;
    const expiresAt = now + this.tenant.settings.tokenLifetimeMs;
    this.tokens.set(accessToken, { tenantId, expiresAt });
    return {
      ok: true,
      value: {
        tokenType: 'Bearer',
        accessToken,
        expiresInSeconds: Math.floor(this.tenant.settings.tokenLifetimeMs / 1000),
        expiresAt,
      },
    };
  }

  /** Checks an Authorization header value ("Bearer <token>"). */
  authorize(authorization: string | null | undefined): MfaResult<{ readonly tenantId: string }> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
    const token = match?.[1];
    if (token === undefined) return tokenFailure('missing_token');
    const issued = this.tokens.get(token);
    if (issued === undefined) return tokenFailure('invalid_token');
    if (this.clock.now() >= issued.expiresAt) return tokenFailure('expired_token');
    return { ok: true, value: { tenantId: issued.tenantId } };
  }

  // ---------------------------------------------------------------- begin

  begin(request: BeginRequest): MfaResult<BeginResponse> {
    const now = this.clock.now();
    this.prune();
    if (this.tenant.blocked) return mfaFailure('TenantIsBlocked');
    const runtime = this.byIdentifier.get(request.user.toLowerCase());
    if (runtime === undefined) {
      const domain = request.user.includes('@') ? request.user.split('@').pop()?.toLowerCase() : undefined;
      if (domain !== undefined && !this.tenant.domains.includes(domain)) {
        return mfaFailure('AccessDenied', `${domain} is not a domain of tenant ${this.tenant.id}`);
      }
      return mfaFailure('UserNotFound', request.user);
    }
    const user = runtime.definition;
    if (!user.enrolled) return mfaFailure('UserNotEnrolled', user.upn);
    const method = this.resolveMethod(user, request);
    if (!method.ok) return method;
    const chosen = method.value;
    if (request.acceptableMethods !== undefined && !request.acceptableMethods.includes(chosen)) {
      return mfaFailure(
        'REQUEST_MISSING_CODE',
        `${chosen} cannot be used; acceptable: ${request.acceptableMethods.join(', ')}`,
      );
    }
    const phone = user.phone;
    if (
      (chosen === 'sms' || chosen === 'phone_call') &&
      (phone === undefined || !isValidPhoneNumber(phone))
    ) {
      return mfaFailure('InvalidFormat', phone);
    }

    const id = `ses-${String(++this.sessionCount).padStart(6, '0')}`;
    const base = {
      id,
      upn: user.upn,
      method: chosen,
      createdAt: now,
      expiresAt: now + this.tenant.settings.sessionLifetimeMs,
      waiters: new Set<() => void>(),
      ...(request.context === undefined ? {} : { context: request.context }),
    };
    let session: MfaSession;
    let codeLength: number | undefined;
    if (isCodeMethod(chosen)) {
      let expected: string | undefined;
      if (chosen === 'sms') {
        expected = randomDigits(runtime.smsRandom, this.tenant.settings.smsCodeLength);
        codeLength = expected.length;
        this.outbox.send({
          sentAt: now,
          user: user.upn,
          to: phone ?? '',
          sessionId: id,
          code: expected,
          text: `Use verification code ${expected} for ${this.tenant.name}`,
        });
      } else {
        codeLength = this.otpFor(user, chosen)?.digits;
      }
      session = {
        ...base,
        code: { method: chosen, ...(expected === undefined ? {} : { expected }), wrongCodes: 0 },
      };
    } else {
      const decision = decidePrompt(runtime.behaviour.prompt, runtime.promptRandom);
      session = { ...base, prompt: { decision, deadline: now + this.tenant.settings.promptTimeoutMs } };
    }
    this.sessions.set(id, session);
    return {
      ok: true,
      value: {
        sessionId: id,
        method: chosen,
        next: NEXT_STEP[chosen],
        status: statusAt(session, now).status,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        ...(codeLength === undefined ? {} : { codeLength }),
        ...((chosen === 'sms' || chosen === 'phone_call') && phone !== undefined
          ? { phoneHint: maskPhone(phone) }
          : {}),
      },
    };
  }

  // ---------------------------------------------------------------- poll

  session(sessionId: string): MfaResult<SessionResponse> {
    const found = this.live(sessionId);
    return found.ok ? { ok: true, value: sessionView(found.value, this.clock.now()) } : found;
  }

  /**
   * Long-poll: answers as soon as the session is final, or when `waitMs` (at most MAX_POLL_WAIT_MS)
   * has passed, or at expiry (then InvalidSession), whichever comes first.
   */
  async awaitSession(
    sessionId: string,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<MfaResult<SessionResponse>> {
    const deadline = this.clock.now() + Math.min(Math.max(0, waitMs), MAX_POLL_WAIT_MS);
    // Each round ends at a status change, a code, the deadline or expiry; a few rounds always suffice.
    for (let round = 0; round < 16; round++) {
      const found = this.live(sessionId);
      if (!found.ok) return found;
      const now = this.clock.now();
      const view = sessionView(found.value, now);
      if (view.final || now >= deadline || signal?.aborted === true || this.disposed)
        return { ok: true, value: view };
      const wakeAt = Math.min(deadline, found.value.expiresAt, nextChangeAt(found.value, now) ?? Infinity);
      await this.sleepOrWake(found.value, wakeAt - now, signal);
    }
    return this.session(sessionId);
  }

  // ---------------------------------------------------------------- codes

  submitCode(sessionId: string, request: CodeRequest): MfaResult<CodeResponse> {
    const found = this.live(sessionId);
    if (!found.ok) return found;
    const session = found.value;
    const progress = session.code;
    if (progress === undefined) {
      return mfaFailure(
        'REQUEST_FORMAT_ERROR',
        `session ${sessionId} uses ${session.method}; it takes no code`,
      );
    }
    const now = this.clock.now();
    const max = this.tenant.settings.maxWrongCodes;
    const respond = (
      verdict: CodeResponse['verdict'],
      resultCode?: CodeResponse['resultCode'],
    ): MfaResult<CodeResponse> => ({
      ok: true,
      value: {
        sessionId,
        verdict,
        status: statusAt(session, now).status,
        ...(resultCode === undefined ? {} : { resultCode }),
        attemptsRemaining: Math.max(0, max - progress.wrongCodes),
      },
    });
    if (progress.lockedAt !== undefined)
      return respond('locked_out', 'SMSAuthFailedMaxAllowedCodeRetryReached');
    if (progress.acceptedAt !== undefined) return mfaFailure('InvalidSession', 'session already completed');

    const check = this.checkCode(session, progress.method, request.code, now);
    if (check === 'accepted') {
      progress.acceptedAt = now;
      wake(session);
      return respond('accepted');
    }
    progress.wrongCodes++;
    if (progress.wrongCodes >= max) {
      progress.lockedAt = now;
      wake(session);
      return respond('locked_out', 'SMSAuthFailedMaxAllowedCodeRetryReached');
    }
    return respond('wrong_code', check);
  }

  // ---------------------------------------------------------------- runtime changes, for scenarios

  /** Changes how a user behaves from their next prompt on. */
  setBehaviour(user: string, behaviour: UserBehaviour): void {
    const runtime = this.byIdentifier.get(user.toLowerCase());
    if (runtime === undefined)
      throw new MfaMockError('MFA_UNKNOWN_USER', `no user "${user}" in tenant ${this.tenant.id}`);
    runtime.behaviour = behaviour;
  }

  /** The code the user's authenticator shows now (or at `timeMs`): what a user model would read. */
  currentOtp(
    user: string,
    method: 'app_code' | 'oath_token' = 'app_code',
    timeMs = this.clock.now(),
  ): string {
    const runtime = this.byIdentifier.get(user.toLowerCase());
    const otp = runtime === undefined ? undefined : this.otpFor(runtime.definition, method);
    if (otp === undefined)
      throw new MfaMockError('MFA_UNKNOWN_USER', `user "${user}" has no ${method} registered`);
    return totp(otp.key, timeMs, {
      algorithm: otp.algorithm,
      digits: otp.digits,
      stepSeconds: otp.periodSeconds,
    });
  }

  /**
   * The code `user` would read right now for their newest session waiting for one: the SMS text's code,
   * or their authenticator's current value. What a simulated user types (before any typo).
   */
  codeShownTo(user: string): string | undefined {
    const runtime = this.byIdentifier.get(user.toLowerCase());
    if (runtime === undefined) return undefined;
    const now = this.clock.now();
    let newest: MfaSession | undefined;
    for (const session of this.sessions.values()) {
      if (session.upn === runtime.definition.upn && session.code !== undefined && !isExpired(session, now)) {
        newest = session;
      }
    }
    const progress = newest?.code;
    if (progress === undefined) return undefined;
    return progress.method === 'sms'
      ? progress.expected
      : this.currentOtp(runtime.definition.upn, progress.method, now);
  }

  /** Switches a method on or off for every user of the tenant (its authentication methods policy). */
  setMethodEnabled(method: MfaMethod, enabled: boolean): void {
    if (enabled) this.disabledMethods.delete(method);
    else this.disabledMethods.add(method);
  }

  /**
   * Back to the state after construction: sessions, tokens, history, outbox and faults cleared, every
   * random stream restarted and behaviours restored, so the next run replays the first.
   */
  reset(): void {
    for (const session of this.sessions.values()) wake(session);
    this.sessions.clear();
    this.tokens.clear();
    this.history.clear();
    this.outbox.clear();
    this.faults.clear();
    this.sessionCount = 0;
    this.tokenCount = 0;
    this.tokenRandom = streamFor(this.seed, 'tokens');
    this.disabledMethods.clear();
    for (const method of this.tenant.settings.disabledMethods) this.disabledMethods.add(method);
    for (const runtime of this.users.values()) {
      const fresh = this.newRuntime(runtime.definition);
      runtime.behaviour = fresh.behaviour;
      runtime.promptRandom = fresh.promptRandom;
      runtime.smsRandom = fresh.smsRandom;
      runtime.lastAcceptedCounter.clear();
    }
  }

  /** Releases every clock timer (long-polls answer at once), so a process using SystemClock can exit. */
  dispose(): void {
    this.disposed = true;
    for (const session of this.sessions.values()) wake(session);
    this.faults.dispose();
  }

  // ---------------------------------------------------------------- internals

  private newRuntime(definition: MfaUserDefinition): UserRuntime {
    const key = definition.upn.toLowerCase();
    return {
      definition,
      behaviour: definition.behaviour,
      promptRandom: streamFor(this.seed, `prompt:${key}`),
      smsRandom: streamFor(this.seed, `sms:${key}`),
      lastAcceptedCounter: new Map(),
    };
  }

  private resolveMethod(user: MfaUserDefinition, request: BeginRequest): MfaResult<MfaMethod> {
    const usable = user.methods.filter((m) => !this.disabledMethods.has(m));
    const requested = request.method ?? 'default';
    if (requested !== 'default') {
      if (usable.includes(requested)) return { ok: true, value: requested };
      return mfaFailure(
        'AuthenticationMethodNotConfigured',
        user.methods.includes(requested)
          ? `${requested} is disabled for the tenant`
          : `${user.upn} has not registered ${requested}`,
      );
    }
    // Any time-based code counts for the OTP-instead-of-push override: the app's TOTP, other
    // software tokens and hardware OATH tokens ("TOTP ... hardware FOBs" in the NPS extension docs).
    if (request.preferAppCode === true) {
      const otp = OTP_PREFERENCE(user.defaultMethod).find(
        (m) =>
          usable.includes(m) &&
          (request.acceptableMethods === undefined || request.acceptableMethods.includes(m)),
      );
      if (otp !== undefined) return { ok: true, value: otp };
    }
    if (user.defaultMethod === undefined)
      return mfaFailure('NoDefaultAuthenticationMethodIsConfigured', user.upn);
    // A default switched off falls back to the next registered method; none left fails closed.
    const chosen = usable.includes(user.defaultMethod) ? user.defaultMethod : usable[0];
    return chosen === undefined
      ? mfaFailure(
          'NoDefaultAuthenticationMethodIsConfigured',
          `every method of ${user.upn} is disabled for the tenant`,
        )
      : { ok: true, value: chosen };
  }

  private otpFor(user: MfaUserDefinition, method: 'app_code' | 'oath_token'): OtpDefinition | undefined {
    return method === 'app_code' ? user.totp : user.oathToken;
  }

  private checkCode(
    session: MfaSession,
    method: 'sms' | 'app_code' | 'oath_token',
    code: string,
    now: number,
  ): 'accepted' | 'SMSAuthFailedWrongCodeEntered' | 'OathCodeIncorrect' | 'OathCodeReplayed' {
    if (method === 'sms') {
      return code === session.code?.expected ? 'accepted' : 'SMSAuthFailedWrongCodeEntered';
    }
    const runtime = this.users.get(session.upn.toLowerCase());
    const otp = runtime === undefined ? undefined : this.otpFor(runtime.definition, method);
    if (runtime === undefined || otp === undefined) return 'OathCodeIncorrect';
    const match = verifyTotp(code, otp.key, now, {
      algorithm: otp.algorithm,
      digits: otp.digits,
      stepSeconds: otp.periodSeconds,
      window: this.tenant.settings.otpWindowSteps,
    });
    if (!match.ok) return 'OathCodeIncorrect';
    const last = runtime.lastAcceptedCounter.get(method);
    if (last !== undefined && match.value.counter <= last) return 'OathCodeReplayed';
    runtime.lastAcceptedCounter.set(method, match.value.counter);
    return 'accepted';
  }

  /** The session if it exists and has not expired. */
  private live(sessionId: string): MfaResult<MfaSession> {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return mfaFailure('InvalidSession', `no session ${sessionId}`);
    if (isExpired(session, this.clock.now()))
      return mfaFailure('InvalidSession', `session ${sessionId} expired`);
    return { ok: true, value: session };
  }

  private sleepOrWake(session: MfaSession, delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer: TimerHandle = this.clock.setTimeout(() => done(), Math.max(0, delayMs));
      const done = (): void => {
        this.clock.clearTimeout(timer);
        session.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      session.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [id, session] of this.sessions) {
      if (!isExpired(session, now) || session.waiters.size > 0) break;
      this.sessions.delete(id);
    }
  }

  private pruneTokens(now: number): void {
    if (this.tokens.size < 1000) return;
    for (const [token, issued] of this.tokens) if (now >= issued.expiresAt) this.tokens.delete(token);
  }
}

/** "+15550100005" -> "*********05": enough to recognise one's own phone, not to learn the number. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}
