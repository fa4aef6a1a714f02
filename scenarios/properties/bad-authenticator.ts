// Property 6: never an answer to a packet whose authenticator is bad. Each run sends hand-built
// Access-Requests, Accounting-Requests and Status-Servers, some intact and some tampered with: a
// flipped Request Authenticator (accounting's is computed over the packet, RFC 2866 3), a flipped or
// stripped Message-Authenticator where it is required (RFC 3579 3.2, RFC 5997 3, the client's
// requireMessageAuthenticator, as Blast-RADIUS guidance asks), or the wrong shared secret. The oracle
// says which must be answered; the expectations are written into the case and the engine judges them.
import fc from 'fast-check';
import { caseSeed } from './arbitraries.ts';
import {
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  missingSteps,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';

export type PacketCodeName = 'Access-Request' | 'Accounting-Request' | 'Status-Server';
export type Tamper =
  | 'none'
  | 'flip-authenticator'
  | 'flip-message-authenticator'
  | 'strip-message-authenticator'
  | 'wrong-secret';

export interface GeneratedPacket {
  readonly code: PacketCodeName;
  /** Message-Authenticator as built, before any tampering. */
  readonly messageAuthenticator: 'first' | 'absent';
  readonly tamper: Tamper;
}

/**
 * The oracle: does the server owe this packet an answer?
 * - A wrong secret or a flipped bit is caught by whatever the secret signs: the Message-Authenticator
 *   (HMAC-MD5 over the whole packet, RFC 3579 3.2) or accounting's Request Authenticator (RFC 2866 3).
 * - Stripping the Message-Authenticator from an Accounting-Request breaks its Request Authenticator,
 *   which was computed over the packet with it.
 * - Without a Message-Authenticator: Status-Server is discarded (RFC 5997 3), an Access-Request is
 *   discarded when the client is required to send one, and an Accounting-Request stands on its
 *   Request Authenticator.
 * The generator only tampers where something signs the packet: an Access-Request or Status-Server
 * without a Message-Authenticator has a random Request Authenticator nothing can check, so a wrong
 * secret there cannot be seen (it only garbles User-Password) and is not generated.
 */
export function expectedAnswer(packet: GeneratedPacket, requireMessageAuthenticator: boolean): boolean {
  const { code, tamper } = packet;
  if (
    tamper === 'wrong-secret' ||
    tamper === 'flip-message-authenticator' ||
    tamper === 'flip-authenticator'
  ) {
    return false;
  }
  const hasMessageAuthenticator =
    packet.messageAuthenticator === 'first' && tamper !== 'strip-message-authenticator';
  if (code === 'Accounting-Request') return tamper !== 'strip-message-authenticator';
  if (hasMessageAuthenticator) return true;
  return code === 'Access-Request' && !requireMessageAuthenticator;
}

const REPLY: Record<PacketCodeName, string> = {
  // A wrong password: the server answers at once, without asking for MFA.
  'Access-Request': 'Access-Reject',
  'Accounting-Request': 'Accounting-Response',
  'Status-Server': 'Access-Accept',
};

const MUTATION: Record<Exclude<Tamper, 'none' | 'wrong-secret'>, string> = {
  'flip-authenticator': 'flip-authenticator-bit',
  'flip-message-authenticator': 'flip-message-authenticator-bit',
  'strip-message-authenticator': 'strip-message-authenticator',
};

const signed: fc.Arbitrary<GeneratedPacket> = fc.record({
  code: fc.constantFrom<PacketCodeName>('Access-Request', 'Accounting-Request', 'Status-Server'),
  messageAuthenticator: fc.constant('first' as const),
  tamper: fc.constantFrom<Tamper>(
    'none',
    'flip-authenticator',
    'flip-message-authenticator',
    'strip-message-authenticator',
    'wrong-secret',
  ),
});
const unsignedAccess: fc.Arbitrary<GeneratedPacket> = fc.constant({
  code: 'Access-Request',
  messageAuthenticator: 'absent',
  tamper: 'none',
});
const unsignedAccounting: fc.Arbitrary<GeneratedPacket> = fc.record({
  code: fc.constant<PacketCodeName>('Accounting-Request'),
  messageAuthenticator: fc.constant('absent' as const),
  tamper: fc.constantFrom<Tamper>('none', 'flip-authenticator', 'wrong-secret'),
});

interface Input {
  readonly seed: number;
  readonly requireMessageAuthenticator: boolean;
  /** The Access-Requests: the logins this property counts. */
  readonly logins: readonly GeneratedPacket[];
  readonly others: readonly GeneratedPacket[];
  /** Which remaining packet goes next, one pick at a time. */
  readonly order: readonly number[];
}

/** Access-Requests (the logins) and other packets, shuffled together. */
const arbitrary: fc.Arbitrary<Input> = fc.record({
  seed: caseSeed,
  requireMessageAuthenticator: fc.boolean(),
  logins: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: signed.map((p): GeneratedPacket => ({ ...p, code: 'Access-Request' })) },
      { weight: 1, arbitrary: unsignedAccess },
    ),
    { minLength: 6, maxLength: 10 },
  ),
  others: fc.array(fc.oneof(signed, unsignedAccounting), { maxLength: 4 }),
  order: fc.array(fc.nat(), { maxLength: 14 }),
});

/** The packets in a generated order: `order` picks, one by one, which of the remaining goes next. */
function interleave(input: Input): GeneratedPacket[] {
  const remaining = [...input.logins, ...input.others];
  const out: GeneratedPacket[] = [];
  for (const pick of input.order) {
    if (remaining.length === 0) break;
    out.push(...remaining.splice(pick % remaining.length, 1));
  }
  return [...out, ...remaining];
}

function attributesOf(code: PacketCodeName, index: number): Record<string, unknown>[] {
  const user = PROPERTY_USERS[index % PROPERTY_USERS.length] ?? 'alice';
  switch (code) {
    case 'Access-Request':
      return [
        { name: 'User-Name', value: user },
        { name: 'User-Password', value: 'not-the-password' },
      ];
    case 'Accounting-Request':
      return [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: `auth-${index}` },
        { name: 'User-Name', value: user },
      ];
    case 'Status-Server':
      return [];
  }
}

function caseOf(input: Input): { document: CaseDocument; packets: GeneratedPacket[] } {
  const packets = interleave(input);
  const steps = packets.map((packet, i) => ({
    kind: 'packet',
    code: packet.code,
    attributes: attributesOf(packet.code, i),
    messageAuthenticator: packet.messageAuthenticator,
    ...(packet.tamper === 'wrong-secret' ? { secret: 'not-the-shared-secret' } : {}),
    ...(packet.tamper !== 'none' && packet.tamper !== 'wrong-secret'
      ? { mutations: [{ kind: MUTATION[packet.tamper] }] }
      : {}),
    waitFor: 1_000,
    expect: {
      reply: expectedAnswer(packet, input.requireMessageAuthenticator) ? REPLY[packet.code] : 'none',
    },
  }));
  const client = (name: string, address: string): Record<string, unknown> => ({
    name,
    address,
    secret: 'testing123',
    requireMessageAuthenticator: input.requireMessageAuthenticator,
  });
  const document: CaseDocument = {
    id: 'bad-authenticator',
    title: 'no answer to a packet whose authenticator does not verify',
    why: 'RFC 2865 3, RFC 2866 3, RFC 3579 3.2, RFC 5997 3',
    topology: { server: { clients: [client('localhost', '127.0.0.1'), client('localhost6', '::1')] } },
    steps,
  };
  return { document, packets };
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const { document, packets } = caseOf(input);
  const run = await runGenerated(document, input.seed, context, () => undefined);
  const accessRequests = run.ran.filter((_, i) => packets[i]?.code === 'Access-Request').length;
  return {
    logins: accessRequests,
    failures: [...caseFailures(run.result), ...missingSteps(run, document)],
    show: run.show,
  };
}

export const badAuthenticator = defineProperty<Input>({
  name: 'bad-authenticator',
  title:
    'never an answer to a packet with a bad authenticator (accounting Request Authenticator, Message-Authenticator, wrong secret)',
  why:
    'RFC 2866 3 (an Accounting-Request whose Request Authenticator does not verify is silently discarded); ' +
    'RFC 3579 3.2 (an invalid Message-Authenticator is silently discarded); RFC 5997 3; ' +
    'Blast-RADIUS guidance (require Message-Authenticator on Access-Request)',
  loginsPerRun: { min: 6, max: 10 },
  arbitrary,
  check,
});
