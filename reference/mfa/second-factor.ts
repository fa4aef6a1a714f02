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

export type MfaDecision =
  | { readonly kind: 'allow'; readonly reason: string; readonly mfaMethod?: string }
  | { readonly kind: 'deny'; readonly reason: string; readonly mfaMethod?: string }
  | { readonly kind: 'challenge'; readonly prompt: string; readonly session: MfaCodeSession }
  | { readonly kind: 'discard'; readonly reason: string };

export interface SecondFactor {
  verify(context: MfaContext): Promise<MfaDecision>;
  submitCode(context: MfaContext, session: MfaCodeSession, code: string): Promise<MfaDecision>;
  /** Ends waits in progress when the server stops. */
  close?(): void;
}
