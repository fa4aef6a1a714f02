// A VPN login as the NAS runs it: Access-Request, then as many rounds as the server's
// Access-Challenges need (an OTP prompt answered by the user model, or the steps of an EAP method),
// until an Access-Accept, an Access-Reject, a timeout or a protocol error.
import {
  PacketCode,
  buildRequest,
  packetCodeLabel,
  type AttributeInput,
  type DecodedAttribute,
} from '../../protocol/index.ts';
import type { RoundOutcome, RoundReply } from './exchange.ts';
import { createCredentialMethod, type CredentialMethod } from './methods/credentials.ts';
import { createEapPeer, type EapPeer } from './methods/eap-peer.ts';
import {
  errorFromException,
  loginError,
  type CredentialAttributes,
  type DecodedReply,
  type LoginError,
  type LoginMethod,
  type MethodReport,
} from './methods/types.ts';
import { decodeReply, summarise, type OperationContext, type OperationStats } from './operation.ts';
import { OperationLog } from './trace.ts';

export interface ChallengePrompt {
  /** Reply-Message text of the Access-Challenge (several joined by newlines). */
  readonly replyMessage?: string;
  /** State of the Access-Challenge (empty when it carried none); echoed by the NAS. */
  readonly state: Buffer;
  /** 1 for the first challenge of this login, then 2, 3... */
  readonly attempt: number;
}

/** The user model: what the user types at an OTP prompt, or null to give up. */
export type ChallengeResponder = (challenge: ChallengePrompt) => Promise<string | null>;

export interface LoginOptions {
  readonly method: LoginMethod;
  readonly user: string;
  readonly password: string;
  /** Answers Access-Challenges for PAP, CHAP and MS-CHAPv2 (EAP methods answer their own). */
  readonly challengeResponder?: ChallengeResponder;
  /** Added to every Access-Request of this login (after the NAS's own attributes). */
  readonly extraAttributes?: readonly AttributeInput[];
  /** Bound on Access-Challenges answered through the responder. Default 3. */
  readonly maxChallengeRounds?: number;
  /** Bound on Access-Request rounds in all (EAP needs several). Default 16. */
  readonly maxRounds?: number;
  /** CHAP only: challenge in CHAP-Challenge (default) or in the Request Authenticator. */
  readonly chapChallenge?: 'attribute' | 'authenticator';
}

export type LoginOutcome = 'accept' | 'reject' | 'timeout' | 'error';

export interface LoginResult extends OperationStats, MethodReport {
  readonly outcome: LoginOutcome;
  readonly method: LoginMethod;
  readonly user: string;
  /** Code of the last verified reply (2 Access-Accept, 3 Access-Reject, 11 Access-Challenge). */
  readonly replyCode?: number;
  readonly replyCodeLabel?: string;
  /** Attributes of the last verified reply, named, hidden ones revealed. */
  readonly attributes: readonly DecodedAttribute[];
  readonly replyMessages: readonly string[];
  readonly replyMessage?: string;
  /** Access-Challenges received (OTP prompts and EAP steps alike). */
  readonly challenges: number;
  readonly error?: LoginError;
}

export const LOGIN_DEFAULTS = { maxChallengeRounds: 3, maxRounds: 16 } as const;

/** How the next Access-Request carries the credential. */
type Conversation =
  | { readonly kind: 'credential'; readonly method: CredentialMethod; next: CredentialAttributes }
  | { readonly kind: 'eap'; readonly peer: EapPeer; next: Buffer };

function startConversation(options: LoginOptions, context: OperationContext): Conversation {
  const { method, user, password } = options;
  if (method === 'eap-md5' || method === 'eap-mschapv2') {
    const peer = createEapPeer(method, { user, password, randomBytes: context.randomBytes });
    return { kind: 'eap', peer, next: peer.start() };
  }
  const credential = createCredentialMethod(method, {
    user,
    randomBytes: context.randomBytes,
    ...(options.chapChallenge !== undefined ? { chapChallenge: options.chapChallenge } : {}),
  });
  return { kind: 'credential', method: credential, next: credential.attributesFor(password) };
}

export async function runLogin(options: LoginOptions, context: OperationContext): Promise<LoginResult> {
  const startedAt = context.clock.now();
  const trace = new OperationLog(context.keepTrace);
  const maxChallengeRounds = options.maxChallengeRounds ?? LOGIN_DEFAULTS.maxChallengeRounds;
  const maxRounds = options.maxRounds ?? LOGIN_DEFAULTS.maxRounds;
  let conversation: Conversation;
  let lastReply: RoundReply | undefined;
  let decoded: DecodedReply | undefined;
  let challenges = 0;
  let prompts = 0;
  let state: Buffer | undefined;

  const finish = (outcome: LoginOutcome, report: MethodReport = {}, error?: LoginError): LoginResult => {
    const replyMessages = decoded?.replyMessages ?? [];
    return {
      outcome,
      method: options.method,
      user: options.user,
      ...summarise(trace, startedAt, context.clock.now(), lastReply),
      ...report,
      ...(decoded !== undefined
        ? { replyCode: decoded.code, replyCodeLabel: packetCodeLabel(decoded.code) }
        : {}),
      attributes: decoded?.attributes ?? [],
      replyMessages,
      ...(replyMessages.length > 0 ? { replyMessage: replyMessages.join('\n') } : {}),
      challenges,
      ...(error !== undefined ? { error } : {}),
    };
  };

  try {
    conversation = startConversation(options, context);
  } catch (error) {
    return finish('error', {}, errorFromException(error));
  }

  for (let round = 1; round <= maxRounds; round++) {
    const credential = conversation;
    const echoedState = state;
    let outcome: RoundOutcome;
    try {
      outcome = await context.exchanger.run(
        {
          code: PacketCode.AccessRequest,
          port: 'auth',
          expects: [PacketCode.AccessAccept, PacketCode.AccessReject, PacketCode.AccessChallenge],
          build: ({ identifier, server, authenticator }) =>
            buildRequest({
              code: PacketCode.AccessRequest,
              identifier,
              secret: server.secret,
              authenticator,
              dictionary: context.dictionary,
              attributes: [
                { name: 'User-Name', value: options.user },
                ...(credential.kind === 'eap'
                  ? [{ name: 'EAP-Message', value: credential.next }]
                  : credential.next(authenticator)),
                // RFC 2865 5.24: the State of an Access-Challenge comes back unmodified.
                ...(echoedState !== undefined ? [{ name: 'State', value: echoedState }] : []),
                ...context.accessAttributes,
                ...(options.extraAttributes ?? []),
              ],
            }),
        },
        round,
        trace,
      );
    } catch (error) {
      return finish('error', {}, errorFromException(error));
    }
    if (outcome.kind === 'closed') return finish('error', {}, loginError('closed'));
    if (outcome.kind === 'timeout') return finish('timeout');
    lastReply = outcome.reply;
    const reply = decodeReply(outcome.reply, context.dictionary);
    decoded = reply;

    if (reply.code === PacketCode.AccessAccept) {
      const verdict =
        conversation.kind === 'eap' ? conversation.peer.onAccept(reply) : conversation.method.onAccept(reply);
      return verdict.ok ? finish('accept', verdict.report) : finish('error', verdict.report, verdict.error);
    }
    if (reply.code === PacketCode.AccessReject) {
      return finish(
        'reject',
        conversation.kind === 'eap' ? conversation.peer.onReject(reply) : conversation.method.onReject(reply),
      );
    }

    // Access-Challenge.
    challenges++;
    state = reply.state;
    if (conversation.kind === 'eap') {
      const step = conversation.peer.onChallenge(reply.eapMessage);
      if (step.kind === 'stop') return finish('error', {}, step.error);
      conversation.next = step.eap;
      continue;
    }
    prompts++;
    if (prompts > maxChallengeRounds) {
      return finish('error', {}, loginError('too-many-challenges', `more than ${maxChallengeRounds}`));
    }
    const responder = options.challengeResponder;
    let answer: string | null;
    try {
      // The responder is the caller's (a user model, a terminal): its failure ends this login, not the run.
      answer =
        responder === undefined
          ? null
          : await responder({
              state: reply.state ?? Buffer.alloc(0),
              attempt: prompts,
              ...(reply.replyMessages.length > 0 ? { replyMessage: reply.replyMessages.join('\n') } : {}),
            });
    } catch (error) {
      return finish('error', {}, errorFromException(error));
    }
    if (answer === null) return finish('error', {}, loginError('challenge-unanswered'));
    try {
      conversation.next = conversation.method.attributesFor(answer);
    } catch (error) {
      return finish('error', {}, errorFromException(error));
    }
  }
  return finish('error', {}, loginError('too-many-rounds', `more than ${maxRounds}`));
}
