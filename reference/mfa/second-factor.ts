import type { MfaErrorCode } from '../../protocol/mfa-api.ts';
import type { AccessReason, DiscardReason } from '../access/reasons.ts';
import type { DirectoryUser } from '../directory/types.ts';
import type { AuthMethod } from '../methods.ts';

// The server's view of the second factor, whatever cloud service is behind it.

export interface MfaContext {
  readonly user: DirectoryUser;
  /** The RADIUS authentication method: it limits which MFA methods can be carried (PAP: all). */
  readonly method: AuthMethod;
  readonly client: string;
  readonly nasIpAddress?: string;
  readonly callingStationId?: string;
}

/** An open code prompt (SMS, app code, OATH token), kept while the user types. */
export interface MfaCodeSession {
  readonly sessionId: string;
  readonly mfaMethod: string;
  readonly userId: string;
}

/** Why, in the shared closed list; `code` is the MFA service's error behind it, `detail` its message. */
interface Because {
  readonly reason: AccessReason;
  readonly mfaMethod?: string;
  readonly code?: MfaErrorCode;
  readonly detail?: string;
}

export type MfaDecision =
  | (Because & { readonly kind: 'allow' })
  | (Because & { readonly kind: 'deny' })
  | { readonly kind: 'challenge'; readonly prompt: string; readonly session: MfaCodeSession }
  | {
      readonly kind: 'discard';
      readonly reason: Extract<DiscardReason, 'mfa-client-closed' | 'mfa-overload'>;
    };

export interface SecondFactor {
  verify(context: MfaContext): Promise<MfaDecision>;
  submitCode(context: MfaContext, session: MfaCodeSession, code: string): Promise<MfaDecision>;
  /** Ends waits in progress when the server stops. */
  close?(): void;
}
