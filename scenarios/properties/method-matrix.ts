// Property 3: the method matrix for any user and protocol. Each run gives every demo user a generated
// MFA side (enrolled or not, registered methods, default method, how they answer) and a login method
// (PAP, CHAP, MS-CHAPv2, EAP-MD5, EAP-MSCHAPv2); the seed's rule, stated below as a small pure
// function, gives each login's outcome, its Access-Challenges and whether a prompt was sent. Those
// become the case's expectations, as data, and the engine judges them.
import fc from 'fast-check';
import type { MfaMethod } from '../../protocol/mfa-api.ts';
import type { LoginMethod } from '../../simulators/nas/index.ts';
import { caseSeed } from './arbitraries.ts';
import {
  DEMO_PASSWORD,
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  loginsRan,
  missingSteps,
  phoneOf,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';

export interface MatrixUser {
  readonly enrolled: boolean;
  /** Registered methods (empty when not enrolled). */
  readonly methods: readonly MfaMethod[];
  readonly defaultMethod?: MfaMethod;
  /** How the user answers a push or a call. */
  readonly promptAnswer: 'approve' | 'deny';
  /** Whether the user types the right code when asked for one. */
  readonly codeCorrect: boolean;
}

export interface MatrixSettings {
  /** REQUIRE_USER_MATCH (registry; unset = TRUE). */
  readonly requireUserMatch: boolean;
  /** OVERRIDE_NUMBER_MATCHING_WITH_OTP (registry; default TRUE in extension 1.2.2216.1 and later). */
  readonly otpOverride: boolean;
}

export interface MatrixOutcome {
  readonly outcome: 'accept' | 'reject';
  /** Access-Challenges the NAS sees (a code method under PAP). */
  readonly challenges: 0 | 1;
  /** The MFA service was asked to prompt (push, call, SMS or a code session). */
  readonly prompted: boolean;
}

/** Methods that need nothing typed back: the only ones MS-CHAPv2 and EAP can carry. */
const PROMPT_METHODS: readonly MfaMethod[] = ['push', 'phone_call'];

/**
 * The oracle, from the seed (nps-mfa-extension.txt):
 * - "If a user is enrolled in MFA, they must authenticate with MFA even if REQUIRE_USER_MATCH is set
 *   to FALSE"; a user not enrolled is rejected when it is TRUE (unset) and let in without MFA when FALSE.
 * - "PAP supports all the authentication methods ...; CHAPV2 and EAP support phone call and mobile
 *   app notification": the user's default method is used; under any method but PAP a code method
 *   cannot be carried, so the login is rejected with no prompt. CHAP is not listed by the seed; it has
 *   no round trip for a code either, so it is held to the same rule as MS-CHAPv2.
 * - A user with a TOTP method registered is asked for the code instead of Approve/Deny (extension
 *   1.2.2216.1 and later; OVERRIDE_NUMBER_MATCHING_WITH_OTP), where the method can carry a code (PAP).
 * - Code methods under PAP: Access-Challenge, then the code in User-Password.
 */
/**
 * The method the user is asked for. Under the OTP override a TOTP method wins where the login can
 * carry a code; OATH hardware tokens count as TOTP (the seed: "TOTP ... hardware FOBs"), and the
 * token is used first when it is the user's default.
 */
function methodAsked(
  user: MatrixUser,
  settings: MatrixSettings,
  carriesCode: boolean,
): MfaMethod | undefined {
  if (carriesCode && settings.otpOverride) {
    const order: readonly MfaMethod[] =
      user.defaultMethod === 'oath_token' ? ['oath_token', 'app_code'] : ['app_code', 'oath_token'];
    const totp = order.find((m) => user.methods.includes(m));
    if (totp !== undefined) return totp;
  }
  return user.defaultMethod;
}

export function expectedMethodOutcome(
  user: MatrixUser,
  login: LoginMethod,
  settings: MatrixSettings,
): MatrixOutcome {
  if (!user.enrolled) {
    return { outcome: settings.requireUserMatch ? 'reject' : 'accept', challenges: 0, prompted: false };
  }
  const carriesCode = login === 'pap';
  const method = methodAsked(user, settings, carriesCode);
  if (method === undefined) return { outcome: 'reject', challenges: 0, prompted: false };
  if (PROMPT_METHODS.includes(method)) {
    return { outcome: user.promptAnswer === 'approve' ? 'accept' : 'reject', challenges: 0, prompted: true };
  }
  if (!carriesCode) return { outcome: 'reject', challenges: 0, prompted: false };
  return { outcome: user.codeCorrect ? 'accept' : 'reject', challenges: 1, prompted: true };
}

const ALL_METHODS: readonly MfaMethod[] = ['push', 'phone_call', 'sms', 'app_code', 'oath_token'];
const LOGIN_METHODS: readonly LoginMethod[] = ['pap', 'chap', 'mschapv2', 'eap-md5', 'eap-mschapv2'];
/** They run their own rounds over Access-Challenge. */
const EAP_METHODS: readonly LoginMethod[] = ['eap-md5', 'eap-mschapv2'];
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
const TOKEN_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
/** Seven digits: never the six-digit code the user's token shows. */
const WRONG_CODE = '0000000';

const userArbitrary: fc.Arbitrary<MatrixUser> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constant<MatrixUser>({
      enrolled: false,
      methods: [],
      promptAnswer: 'approve',
      codeCorrect: true,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.subarray([...ALL_METHODS], { minLength: 1 }).chain((methods) =>
      fc.record({
        enrolled: fc.constant(true),
        methods: fc.constant(methods),
        defaultMethod: fc.constantFrom(...methods),
        promptAnswer: fc.constantFrom('approve' as const, 'deny' as const),
        codeCorrect: fc.boolean(),
      }),
    ),
  },
);

interface Input {
  readonly seed: number;
  readonly settings: MatrixSettings;
  readonly logins: readonly { readonly user: MatrixUser; readonly method: LoginMethod }[];
}

const arbitrary: fc.Arbitrary<Input> = fc.record({
  seed: caseSeed,
  settings: fc.record({ requireUserMatch: fc.boolean(), otpOverride: fc.boolean() }),
  logins: fc.array(fc.record({ user: userArbitrary, method: fc.constantFrom(...LOGIN_METHODS) }), {
    minLength: 6,
    maxLength: PROPERTY_USERS.length,
  }),
});

function tenantUser(user: MatrixUser, index: number): Record<string, unknown> {
  if (!user.enrolled) return { enrolled: false, methods: [] };
  return {
    enrolled: true,
    methods: user.methods,
    ...(user.defaultMethod !== undefined ? { defaultMethod: user.defaultMethod } : {}),
    phone: phoneOf(index),
    ...(user.methods.includes('app_code') ? { totp: { secret: TOTP_SECRET } } : {}),
    ...(user.methods.includes('oath_token')
      ? { oathToken: { serial: `T-${index}`, secret: TOKEN_SECRET } }
      : {}),
    behaviour: { prompt: { outcome: user.promptAnswer, after: 1_500 } },
  };
}

/** What the user types when challenged: the code their method shows, or a wrong one. */
function codeFor(user: MatrixUser, settings: MatrixSettings): Record<string, unknown> | undefined {
  if (!user.enrolled) return undefined;
  if (!user.codeCorrect) return { kind: 'fixed', code: WRONG_CODE };
  switch (methodAsked(user, settings, true)) {
    case 'app_code':
      return { kind: 'totp', secretBase32: TOTP_SECRET };
    case 'oath_token':
      return { kind: 'totp', secretBase32: TOKEN_SECRET };
    case 'sms':
      return { kind: 'sms' };
    default:
      return undefined;
  }
}

function caseOf(input: Input): CaseDocument {
  const tenantUsers: Record<string, unknown> = {};
  let prompts = 0;
  const steps = input.logins.map(({ user, method }, i) => {
    const name = PROPERTY_USERS[i] ?? '';
    tenantUsers[name] = tenantUser(user, i);
    const expected = expectedMethodOutcome(user, method, input.settings);
    if (expected.prompted) prompts++;
    const code = codeFor(user, input.settings);
    return {
      kind: 'login',
      user: name,
      password: DEMO_PASSWORD,
      method,
      ...(code !== undefined ? { code } : {}),
      // EAP runs its own rounds over Access-Challenge, so only the other methods count MFA's.
      expect: EAP_METHODS.includes(method)
        ? { outcome: expected.outcome }
        : { outcome: expected.outcome, challenges: expected.challenges },
    };
  });
  return {
    id: 'method-matrix',
    title: 'each login ends as the seed says for its user and method',
    why: 'seed: PAP supports every method; CHAPV2 and EAP support phone call and app notification',
    topology: {
      server: {
        mfa: {
          REQUIRE_USER_MATCH: input.settings.requireUserMatch,
          OVERRIDE_NUMBER_MATCHING_WITH_OTP: input.settings.otpOverride,
        },
      },
      tenantUsers,
    },
    steps,
    expect: { mfaPrompts: prompts },
  };
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const document = caseOf(input);
  const run = await runGenerated(document, input.seed, context, () => undefined);
  return {
    logins: loginsRan(run.result),
    failures: [...caseFailures(run.result), ...missingSteps(run, document)],
    show: run.show,
  };
}

export const methodMatrix = defineProperty<Input>({
  name: 'method-matrix',
  title:
    'the method matrix holds for any tenant user and RADIUS method (PAP, CHAP, MS-CHAPv2, EAP-MD5, EAP-MSCHAPv2)',
  why:
    'seed (nps-mfa-extension.txt): "PAP supports all the authentication methods ... CHAPV2 and EAP support ' +
    'phone call and mobile app notification"; REQUIRE_USER_MATCH; TOTP instead of Approve/Deny (1.2.2216.1)',
  loginsPerRun: { min: 6, max: PROPERTY_USERS.length },
  arbitrary,
  check,
});
