// Attributes as a suite file writes them, made into what goes on the wire: `${user}`/`${password}`
// substituted, `0x` hex for octets values, `fromReply` read from an earlier step's last reply and
// `totpOf` computed on the case's clock at the moment the datagram is built (a code computed when
// the suite was loaded would be stale by the time a long case sends it).
import { base32Decode, totp } from '../../protocol/auth/index.ts';
import {
  OCTETS_HEX_FIX,
  defaultDictionary,
  readOctetsText,
  type AttributeInput,
  type AttributeValue,
  type DecodedAttribute,
} from '../../protocol/index.ts';
import type { SuiteAttribute } from '../suites/schema.ts';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface AttributeContext {
  /** What `${user}` and `${password}` stand for; undefined when the suite names none. */
  readonly credentials: Credentials | undefined;
  /** The case's clock, for `totpOf`. */
  readonly now: () => number;
  /** The attributes of the last reply the step with this id received; undefined if none yet. */
  readonly replyOf: (stepId: string) => readonly DecodedAttribute[] | undefined;
}

/** A value the case cannot build: the case fails with this message, naming the attribute. */
export class AttributeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttributeInputError';
  }
}

const PLACEHOLDER = /\$\{(user|password)\}/g;

/** Replaces `${user}` and `${password}`; text without them is returned as is. */
export function substitute(text: string, credentials: Credentials | undefined): string {
  if (!text.includes('${')) return text;
  return text.replace(PLACEHOLDER, (_, name: 'user' | 'password') => {
    if (credentials === undefined) {
      throw new AttributeInputError(
        `"\${${name}}" needs credentials: set defaults.credentials in the suite, or --user/--password`,
      );
    }
    return credentials[name];
  });
}

/**
 * Octets written as text follow protocol/'s one rule (readOctetsText: `0x` and hex pairs are those
 * octets); read here too so that a bad hex dump fails the case naming the attribute before anything
 * is sent. The loader already refuses one in a suite file; a case built in code may still hold one.
 */
function typed(name: string, value: string | number): AttributeValue {
  if (typeof value !== 'string') return value;
  const spec = defaultDictionary.byNameOrUndefined(name);
  if (spec?.dataType !== 'octets' && spec?.dataType !== 'vsa') return value;
  const read = readOctetsText(value);
  if (read.kind === 'bad-hex') throw new AttributeInputError(`${name}: ${read.reason}; ${OCTETS_HEX_FIX}`);
  return read.kind === 'hex' ? read.bytes : value;
}

function fromReply(name: string, stepId: string, context: AttributeContext): AttributeValue {
  const reply = context.replyOf(stepId);
  if (reply === undefined) {
    throw new AttributeInputError(`${name}: fromReply "${stepId}": that step received no reply`);
  }
  const wanted = name.toLowerCase();
  const found = reply.filter((a) => a.name.toLowerCase() === wanted).at(-1);
  if (found === undefined) {
    throw new AttributeInputError(
      `${name}: fromReply "${stepId}": its last reply carried no ${name} (it had ${reply.map((a) => a.name).join(', ') || 'no attributes'})`,
    );
  }
  return found.value;
}

function totpNow(name: string, secretBase32: string, context: AttributeContext): string {
  const key = base32Decode(secretBase32);
  if (!key.ok) throw new AttributeInputError(`${name}: totpOf is not a base32 secret`);
  return totp(key.value, context.now());
}

/** One suite attribute as it goes on the wire now. */
export function resolveAttribute(input: SuiteAttribute, context: AttributeContext): AttributeInput {
  if (input.fromReply !== undefined) {
    return { name: input.name, value: fromReply(input.name, input.fromReply, context) };
  }
  if (input.totpOf !== undefined) {
    return { name: input.name, value: totpNow(input.name, input.totpOf, context) };
  }
  if (input.value === undefined) {
    // The schema requires exactly one source; a case built in code may still get here.
    throw new AttributeInputError(`${input.name}: needs one of value, fromReply or totpOf`);
  }
  const value = typeof input.value === 'string' ? substitute(input.value, context.credentials) : input.value;
  return { name: input.name, value: typed(input.name, value) };
}

export function resolveAttributes(
  inputs: readonly SuiteAttribute[] | undefined,
  context: AttributeContext,
): AttributeInput[] {
  return (inputs ?? []).map((input) => resolveAttribute(input, context));
}
