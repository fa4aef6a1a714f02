// What the engine saw while a case ran: one observation per step, and what the MFA service and the
// server were seen to do. The judge compares these with the suite file's expectations.
import { defaultDictionary, isHiddenAttribute, specOf, type DecodedAttribute } from '../../protocol/index.ts';
import type { DuplicateBehaviour, ReportedAttribute } from '../result.ts';

/** A reply attribute with the forms an expectation may name it by; hidden values never kept. */
export interface SeenAttribute {
  readonly name: string;
  /** Printable value; "<hidden>" for hidden attributes. */
  readonly value: string;
  /** Other spellings an `equals` expectation may use (the number behind an enum name, or the name). */
  readonly aliases: readonly string[];
  /** Octets values as `0x` and lower-case hex, so `equals` can name printable octets by their bytes. */
  readonly hex?: string;
}

/** The server's own account of its answer (embedded targets): `reason[: MFA error code]`, and the detail. */
export interface ServerAnswer {
  readonly reason: string;
  /** Free text for people (an error message); shown in failures, never compared. */
  readonly detail?: string;
}

export interface LoginSeen {
  readonly kind: 'login';
  readonly outcome: 'accept' | 'reject' | 'timeout' | 'error';
  readonly errorCode?: string;
  readonly replyCode?: string;
  readonly replyMessage?: string;
  readonly attributes: readonly SeenAttribute[];
  readonly transmissions: number;
  readonly retransmissions: number;
  readonly challenges: number;
  readonly latencyMs: number;
  /** Whether the server's events were visible (embedded targets); serverReason is judged only then. */
  readonly serverObserved: boolean;
  /** The server's account of its last answer to this login. */
  readonly server?: ServerAnswer;
}

export interface RequestSeen {
  readonly kind: 'accounting' | 'status-server';
  readonly answered: boolean;
  readonly replyCode?: string;
  readonly transmissions: number;
  readonly latencyMs: number;
}

export interface PacketSeen {
  readonly kind: 'packet';
  /** Name of the first reply's code, or undefined when the server stayed silent. */
  readonly replyCode?: string;
  /** The first reply verified with the secret (Response Authenticator, Message-Authenticator). */
  readonly replyVerified?: boolean;
  readonly proxyStateEchoed?: boolean;
  readonly messageAuthenticatorFirst?: boolean;
  readonly attributes: readonly SeenAttribute[];
  readonly latencyMs?: number;
  readonly sentAt: number;
  readonly label: string;
  readonly serverObserved: boolean;
  /** The server's account of its answer to this packet. */
  readonly server?: ServerAnswer;
}

export interface RetransmitSeen {
  readonly kind: 'retransmit';
  readonly copies: number;
  /** Replies that came back to the copies (the original's own reply not counted). */
  readonly replies: number;
  readonly behaviour: DuplicateBehaviour;
}

export interface WaitSeen {
  readonly kind: 'wait';
  readonly waitedMs: number;
}

export type StepSeen = LoginSeen | RequestSeen | PacketSeen | RetransmitSeen | WaitSeen;

/** Case-level observations; a field is absent where the target cannot see it (external servers). */
export interface CaseSeen {
  readonly mfaPrompts?: number;
  readonly discards?: Readonly<Record<string, number>>;
  readonly drops?: Readonly<Record<string, number>>;
  /** Server warning events by code (WarningCode of reference/events.ts), start-up ones included. */
  readonly warnings?: Readonly<Record<string, number>>;
  readonly accountingRecords?: number;
}

function printable(attribute: DecodedAttribute): string {
  const { value } = attribute;
  if (Buffer.isBuffer(value)) {
    // Octets that read as text (Class, State from a policy) compare as text.
    return /^[\x20-\x7e]*$/.test(value.toString('latin1'))
      ? value.toString('utf8')
      : `0x${value.toString('hex')}`;
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function seeAttributes(attributes: readonly DecodedAttribute[]): SeenAttribute[] {
  return attributes.map((attribute) => {
    if (isHiddenAttribute(attribute, defaultDictionary)) {
      return { name: attribute.name, value: '<hidden>', aliases: [] };
    }
    const value = printable(attribute);
    const spec = specOf(attribute, defaultDictionary);
    const aliases: string[] = [];
    if (typeof attribute.value === 'number' && spec?.values !== undefined) {
      const named = Object.entries(spec.values).find(([, n]) => n === attribute.value)?.[0];
      if (named !== undefined) aliases.push(named);
    }
    const hex = Buffer.isBuffer(attribute.value) ? `0x${attribute.value.toString('hex')}` : undefined;
    return { name: attribute.name, value, aliases, ...(hex !== undefined ? { hex } : {}) };
  });
}

export function reported(attributes: readonly SeenAttribute[]): ReportedAttribute[] {
  return attributes.map((a) => ({ name: a.name, value: a.aliases[0] ?? a.value }));
}
