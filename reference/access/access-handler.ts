import { randomBytes } from 'node:crypto';
import { attributeValue, type AttributeInput } from '../../protocol/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ChallengeStore } from '../challenge-store.ts';
import { stateTagFor } from '../workers/route.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { Directory } from '../directory/types.ts';
import { EapServer, type EapCompletion, type EapSession } from '../eap/eap-server.ts';
import { andThenWith, type MaybePromise } from '../maybe-async.ts';
import type { SecondFactor } from '../mfa/second-factor.ts';
import { credentialsOf, type Credentials } from './credentials.ts';
import {
  lookupUser,
  verifyPrimary,
  type PasswordCredentials,
  type PrimaryDeps,
  type PrimaryResult,
} from './primary.ts';
import type { AccessRequest } from './request.ts';
import {
  acceptResult,
  codePromptResult,
  decidedRejectResult,
  discardResult,
  eapResult,
  rejectResult,
  type AccessResult,
  type Asker,
} from './result.ts';
import type { AccessReason } from './reasons.ts';
import type { EapUserLookup } from '../eap/eap-server.ts';
import type { DirectoryUser } from '../directory/types.ts';
import {
  afterPrimary,
  completionOf,
  type CodePrompt,
  type Completion,
  type SecondStepDeps,
} from './second-step.ts';

export type { AccessRequest } from './request.ts';
export type { AccessResult } from './result.ts';

/** A conversation waiting for the next Access-Request; `client` is the RADIUS client it belongs to. */
type Pending =
  | { readonly kind: 'eap'; readonly client: string; readonly session: EapSession }
  | ({ readonly kind: 'mfa-code'; readonly client: string } & CodePrompt);

export interface AccessHandlerDeps {
  readonly config: ServerConfig;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secondFactor?: SecondFactor;
  readonly random?: (size: number) => Buffer;
  /** With listen.workers > 1: this worker's index, the first octet of every State it opens. */
  readonly stateTag?: number;
}

/**
 * Access-Request dispatch: which conversation the request belongs to (a State, EAP, a code answer,
 * or a new login) and the State to open when the answer is a challenge. The work is elsewhere:
 * primary.ts checks the password, second-step.ts runs policy and MFA, result.ts builds the answer.
 */
export class AccessHandler {
  private readonly pending: ChallengeStore<Pending>;
  private readonly eap: EapServer;
  private readonly primary: PrimaryDeps;
  private readonly secondStep: SecondStepDeps;

  constructor(private readonly deps: AccessHandlerDeps) {
    const random = deps.random ?? randomBytes;
    // The State names the worker holding the conversation, so the dispatcher brings the answer back
    // to it (reference/workers/route.ts); 15 random octets remain.
    const stateRandom = deps.stateTag !== undefined ? stateTagFor(deps.stateTag, random) : random;
    this.pending = new ChallengeStore<Pending>(
      deps.clock,
      deps.config.mfa.challengeTtlMs,
      100_000,
      stateRandom,
    );
    this.eap = new EapServer({ defaultType: deps.config.eap.defaultMethod, serverName: 'radmfa', random });
    this.primary = { directory: deps.directory, onUnavailable: deps.config.directory.onUnavailable };
    this.secondStep = {
      config: deps.config,
      ...(deps.secondFactor !== undefined ? { secondFactor: deps.secondFactor } : {}),
    };
  }

  get openConversations(): number {
    return this.pending.size;
  }

  close(): void {
    this.pending.close();
  }

  /** The answer now when nothing had to wait (a directory in memory, no second factor), else later. */
  handle(request: AccessRequest): MaybePromise<AccessResult> {
    const userNameValue = attributeValue(request.attributes, 'User-Name');
    const userName = typeof userNameValue === 'string' ? userNameValue : undefined;
    const credentials = credentialsOf(request.packet, request.attributes);
    // RFC 3748 4.2: an EAP-Failure answers the Response, so it takes its Identifier.
    const eapFailureId = credentials.method === 'eap' ? (credentials.eapMessage[1] ?? 0) : undefined;
    const state = attributeValue(request.attributes, 'State');
    let pending: Pending | undefined;
    if (Buffer.isBuffer(state)) {
      pending = this.pending.take(state);
      if (pending === undefined)
        return rejectResult('unknown-or-expired-state', { userName }, { eapFailureId });
      // A State is only good on the client it was handed to: another NAS cannot answer this prompt.
      if (pending.client !== request.client.name)
        return rejectResult('state-from-another-client', { userName }, { eapFailureId });
    }
    if (credentials.method === 'eap') {
      if (pending !== undefined && pending.kind !== 'eap')
        return rejectResult('state-belongs-to-another-method', { userName }, { eapFailureId });
      return this.handleEap(request, credentials.eapMessage, pending?.session, userName);
    }
    if (pending?.kind === 'mfa-code') return this.handleCode(pending, credentials, userName);
    if (pending !== undefined) return rejectResult('state-belongs-to-another-method', { userName });
    if (credentials.method === 'none')
      return rejectResult('no-credentials', { userName }, { detail: credentials.detail });
    if (userName === undefined) return rejectResult('no-user-name', { method: credentials.method });
    return this.handlePlain(request, credentials, userName);
  }

  private handlePlain(
    request: AccessRequest,
    credentials: PasswordCredentials,
    userName: string,
  ): MaybePromise<AccessResult> {
    const login: PlainLogin = {
      handler: this,
      request,
      credentials,
      userName,
      method: credentials.method,
      user: undefined,
      methodAttributes: NO_ATTRIBUTES,
    };
    return andThenWith(
      login,
      lookupUser(this.primary, userName, credentials.method),
      AccessHandler.afterLookup,
    );
  }

  private static afterLookup(
    this: void,
    login: PlainLogin,
    lookup: EapUserLookup,
  ): MaybePromise<AccessResult> {
    const asker: Asker = login;
    if (lookup.kind === 'discard') return discardResult(lookup.reason, asker, lookup.detail);
    if (lookup.kind === 'reject')
      return rejectResult(lookup.reason, asker, lookup.detail !== undefined ? { detail: lookup.detail } : {});
    login.user = lookup.user;
    return andThenWith(
      login,
      verifyPrimary(login.handler.primary, lookup.user, credentialsOfLogin(login), login.userName),
      AccessHandler.afterVerify,
    );
  }

  private static afterVerify(
    this: void,
    login: PlainLogin,
    primary: PrimaryResult,
  ): MaybePromise<AccessResult> {
    const asker: Asker = login;
    if (primary.kind === 'discard') return discardResult(primary.reason, asker, primary.detail);
    if (primary.kind === 'reject')
      return decidedRejectResult(
        primary.reason,
        asker,
        primary.detail !== undefined ? { detail: primary.detail } : {},
        primary.attributes,
      );
    login.methodAttributes = primary.attributes;
    const user = foundUser(login);
    const request = requestOfLogin(login);
    // The second factor may wait for minutes: the login then keeps neither the password nor the
    // request's decoded attributes (and through them the datagram), only what its answer needs.
    login.request = undefined;
    login.credentials = undefined;
    return andThenWith(
      login,
      afterPrimary(login.handler.secondStep, request, user, login.method),
      AccessHandler.answerPlain,
    );
  }

  private static answerPlain(this: void, login: PlainLogin, done: Completion): AccessResult {
    return login.handler.answer(done, login, login.methodAttributes, 'mfa-code-requested');
  }

  private async handleCode(
    pending: Extract<Pending, { kind: 'mfa-code' }>,
    credentials: Credentials,
    userName: string | undefined,
  ): Promise<AccessResult> {
    const asker: Asker = {
      userName: userName ?? pending.context.user.accountName,
      method: pending.context.method,
    };
    if (credentials.method !== 'pap') return rejectResult('mfa-code-expected-in-user-password', asker);
    const factor = this.deps.secondFactor;
    if (factor === undefined) return rejectResult('mfa-not-configured', asker);
    const code = credentials.password.toString('utf8');
    const mfa = await factor.submitCode(pending.context, pending.session, code);
    // The documented NPS limitation: after an OTP challenge, policy attributes are not returned.
    const reply = this.deps.config.npsCompat.dropPolicyAttributesAfterChallenge ? [] : pending.reply;
    return this.answer(
      completionOf(mfa, pending.context, reply, pending.policy),
      asker,
      [],
      'mfa-code-requested-again',
    );
  }

  /** A Completion as the answer to a PAP/CHAP/MS-CHAP login or a code; a code prompt opens a State. */
  private answer(
    done: Completion,
    asker: Asker,
    methodAttributes: readonly AttributeInput[],
    challengeReason: AccessReason,
  ): AccessResult {
    switch (done.kind) {
      case 'discard':
        return discardResult(done.reason, asker, done.detail);
      case 'reject':
        return decidedRejectResult(done.reason, asker, done.decided);
      case 'accept':
        return acceptResult(done.reason, asker, done.decided, done.reply, methodAttributes);
      case 'challenge': {
        const client = done.code.context.client;
        const state = this.pending.open({ kind: 'mfa-code', client, ...done.code });
        return codePromptResult(challengeReason, asker, done.decided, done.prompt, state);
      }
    }
  }

  private async handleEap(
    request: AccessRequest,
    eapMessage: Buffer,
    session: EapSession | undefined,
    userName: string | undefined,
  ): Promise<AccessResult> {
    const outcome = await this.eap.handle(eapMessage, session, {
      lookupUser: async (identity, method) => lookupUser(this.primary, userName ?? identity, method),
      complete: async (user, method) =>
        eapCompletion(await afterPrimary(this.secondStep, request, user, method)),
    });
    const state =
      outcome.kind === 'challenge'
        ? this.pending.open({ kind: 'eap', client: request.client.name, session: outcome.session })
        : undefined;
    return eapResult(outcome, state, userName);
  }
}

/**
 * A PAP, CHAP or MS-CHAP login between its steps (lookup, password check, second step), handed to
 * each step as its state instead of captured by a closure: a login that waits on nothing (a
 * directory in memory, no second factor) makes none, where three per login were a tenth of its garbage.
 */
interface PlainLogin extends Asker {
  readonly handler: AccessHandler;
  /** Let go once the password is proven (see afterVerify). */
  request: AccessRequest | undefined;
  credentials: PasswordCredentials | undefined;
  readonly userName: string;
  /** The login is its own Asker (user name and method): no second object for them. */
  readonly method: PasswordCredentials['method'];
  /** Set once the directory found an active user. */
  user: DirectoryUser | undefined;
  /** Set once the password is proven: the method's own reply attributes (MS-CHAP2-Success, MPPE keys). */
  methodAttributes: readonly AttributeInput[];
}

const NO_ATTRIBUTES: readonly AttributeInput[] = [];

function foundUser(login: PlainLogin): DirectoryUser {
  if (login.user === undefined) throw new Error('a login was checked before its user was found');
  return login.user;
}

function requestOfLogin(login: PlainLogin): AccessRequest {
  if (login.request === undefined) throw new Error('a login read its request after its second step began');
  return login.request;
}

function credentialsOfLogin(login: PlainLogin): PasswordCredentials {
  if (login.credentials === undefined)
    throw new Error('a login read its password after its second step began');
  return login.credentials;
}

/** EAP methods cannot carry a code prompt: the second factor must be push or call. */
function eapCompletion(done: Completion): EapCompletion {
  switch (done.kind) {
    case 'challenge':
      return { kind: 'reject', reason: 'REQUEST_MISSING_CODE', decided: done.decided };
    case 'accept':
      return { kind: 'accept', reason: done.reason, reply: done.reply, decided: done.decided };
    case 'reject':
      return { kind: 'reject', reason: done.reason, decided: done.decided };
    case 'discard':
      return done;
  }
}
