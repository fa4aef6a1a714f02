// Primary authentication: the directory lookup and the password check, one function per method.
// Each returns what it proved (and the method's own reply attributes), never a RADIUS packet.
import {
  buildMsChap2Success,
  buildMsChapError,
  generateAuthenticatorResponse,
  msChapV2MppeKeys,
  MsChapErrorCode,
  stripNtDomain,
  verifyChapPassword,
  verifyNtResponse,
  verifyNtResponseV1,
} from '../../protocol/auth/index.ts';
import type { AttributeInput } from '../../protocol/index.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { AccountState, BindResult, Directory, DirectoryUser, LookupResult } from '../directory/types.ts';
import type { EapUserLookup } from '../eap/eap-server.ts';
import { andThenWith, type MaybePromise } from '../maybe-async.ts';
import type { AuthMethod } from '../methods.ts';
import type { Credentials } from './credentials.ts';
import type { AccessReason } from './reasons.ts';
import { mppeAttributes } from './result.ts';

export interface PrimaryDeps {
  readonly directory: Directory;
  readonly onUnavailable: ServerConfig['directory']['onUnavailable'];
}

export type PasswordCredentials = Exclude<Credentials, { method: 'eap' | 'none' }>;

export type PrimaryResult =
  | { readonly kind: 'ok'; readonly attributes: readonly AttributeInput[] }
  | {
      readonly kind: 'reject';
      readonly reason: AccessReason;
      readonly attributes: readonly AttributeInput[];
      readonly detail?: string;
    }
  | { readonly kind: 'discard'; readonly reason: 'directory-unavailable'; readonly detail: string };

const ACCOUNT_STATE_REASONS: Readonly<Record<Exclude<AccountState, 'active'>, AccessReason>> = {
  disabled: 'account-disabled',
  locked: 'account-locked',
  'account-expired': 'account-expired',
  'password-must-change': 'password-must-change',
  'password-expired': 'password-expired',
};

function unavailable(
  deps: PrimaryDeps,
  detail: string,
):
  | { readonly kind: 'discard'; readonly reason: 'directory-unavailable'; readonly detail: string }
  | { readonly kind: 'reject'; readonly reason: 'directory-unavailable'; readonly detail: string } {
  return deps.onUnavailable === 'discard'
    ? { kind: 'discard', reason: 'directory-unavailable', detail }
    : { kind: 'reject', reason: 'directory-unavailable', detail };
}

/** An active user, or why not: not found, an account state that refuses logons, the directory down. */
export function lookupUser(
  deps: PrimaryDeps,
  userName: string,
  method: AuthMethod,
): MaybePromise<EapUserLookup> {
  return andThenWith(deps, deps.directory.findUser(userName, method), lookupOutcome);
}

function lookupOutcome(deps: PrimaryDeps, found: LookupResult): EapUserLookup {
  if (found.kind === 'unavailable') return unavailable(deps, found.reason);
  if (found.kind === 'not-found') return { kind: 'reject', reason: 'user-not-found' };
  if (found.user.state !== 'active')
    return { kind: 'reject', reason: ACCOUNT_STATE_REASONS[found.user.state] };
  return found;
}

export function verifyPrimary(
  deps: PrimaryDeps,
  user: DirectoryUser,
  credentials: PasswordCredentials,
  userName: string,
): MaybePromise<PrimaryResult> {
  switch (credentials.method) {
    case 'pap':
      return verifyPap(deps, user, credentials.password);
    case 'chap':
      return verifyChap(user, credentials);
    case 'mschap':
      return verifyMsChap(user, credentials);
    case 'mschapv2':
      return verifyMsChapV2(user, credentials, userName);
  }
}

/** PAP: a bind as the user is the password check, as NPS does against AD. */
function verifyPap(deps: PrimaryDeps, user: DirectoryUser, password: Buffer): MaybePromise<PrimaryResult> {
  return andThenWith(deps, deps.directory.bindAsUser(user, password.toString('utf8')), papOutcome);
}

const PAP_OK: PrimaryResult = { kind: 'ok', attributes: [] };

function papOutcome(deps: PrimaryDeps, bound: BindResult): PrimaryResult {
  if (bound === 'ok') return PAP_OK;
  if (bound === 'invalid-credentials') return { kind: 'reject', reason: 'wrong-password', attributes: [] };
  const down = unavailable(deps, bound.unavailable);
  return down.kind === 'discard'
    ? down
    : { kind: 'reject', reason: down.reason, detail: down.detail, attributes: [] };
}

function verifyChap(
  user: DirectoryUser,
  credentials: Extract<Credentials, { method: 'chap' }>,
): PrimaryResult {
  if (user.cleartextPassword === undefined)
    return { kind: 'reject', reason: 'no-cleartext-password-for-chap', attributes: [] };
  return verifyChapPassword(credentials.chapPassword, credentials.challenge, user.cleartextPassword)
    ? { kind: 'ok', attributes: [] }
    : { kind: 'reject', reason: 'wrong-password', attributes: [] };
}

function verifyMsChap(
  user: DirectoryUser,
  credentials: Extract<Credentials, { method: 'mschap' }>,
): PrimaryResult {
  if (user.ntHash === undefined) return { kind: 'reject', reason: 'no-nt-hash-for-mschap', attributes: [] };
  if (verifyNtResponseV1(credentials.challenge, user.ntHash, credentials.response.ntResponse))
    return { kind: 'ok', attributes: [] };
  return {
    kind: 'reject',
    reason: 'wrong-password',
    attributes: [msChapError(credentials.response.ident, credentials.challenge, 2)],
  };
}

function verifyMsChapV2(
  user: DirectoryUser,
  credentials: Extract<Credentials, { method: 'mschapv2' }>,
  userName: string,
): PrimaryResult {
  if (user.ntHash === undefined) return { kind: 'reject', reason: 'no-nt-hash-for-mschapv2', attributes: [] };
  const { challenge, response } = credentials;
  // RFC 2759 4: the user name in ChallengeHash is the one without its domain.
  const name = stripNtDomain(userName);
  if (!verifyNtResponse(challenge, response.peerChallenge, name, user.ntHash, response.ntResponse)) {
    return {
      kind: 'reject',
      reason: 'wrong-password',
      attributes: [msChapError(response.ident, challenge, 3)],
    };
  }
  const authenticatorResponse = generateAuthenticatorResponse(
    user.ntHash,
    response.ntResponse,
    response.peerChallenge,
    challenge,
    name,
  );
  return {
    kind: 'ok',
    attributes: [
      { name: 'MS-CHAP2-Success', value: buildMsChap2Success(response.ident, authenticatorResponse) },
      ...mppeAttributes(msChapV2MppeKeys(user.ntHash, response.ntResponse)),
    ],
  };
}

function msChapError(ident: number, challenge: Buffer, version: number): AttributeInput {
  // E=691 is "authentication failure"; R=0: no retry (RFC 2759 6).
  return {
    name: 'MS-CHAP-Error',
    value: buildMsChapError(ident, {
      errorCode: MsChapErrorCode.AuthenticationFailure,
      retry: false,
      ...(version === 3 ? { challenge, version } : {}),
      message: 'Authentication failed',
    }),
  };
}
