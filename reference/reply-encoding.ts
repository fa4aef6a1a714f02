// A policy's reply is configuration: the same few attributes (Class, Filter-Id, Session-Timeout) on
// every accept under a rule. Encoding them per reply (dictionary lookup, value checks, a Buffer per
// value) was a third of building the reply; here a list that needs no secret is encoded once and
// reused while it stays the same list with the same values.
import { encodeAttributes, type AttributeInput, type RawAttribute } from '../protocol/index.ts';

interface Encoded {
  /** The inputs as they were when encoded (a list changed since is encoded again). */
  readonly names: readonly string[];
  readonly values: readonly AttributeInput['value'][];
  readonly tags: readonly (number | undefined)[];
  readonly raw: readonly RawAttribute[];
}

const encodedLists = new WeakMap<readonly AttributeInput[], Encoded | null>();

function unchanged(encoded: Encoded, inputs: readonly AttributeInput[]): boolean {
  if (encoded.names.length !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as AttributeInput;
    if (input.name !== encoded.names[i] || input.value !== encoded.values[i] || input.tag !== encoded.tags[i])
      return false;
  }
  return true;
}

/**
 * Worth keeping only when the wire form follows from the list alone: values that cannot change in
 * place (strings, numbers), nothing hidden with the secret (encoding without one throws then), and
 * no Message-Authenticator (the reply places its own).
 */
function encodePlain(inputs: readonly AttributeInput[]): Encoded | null {
  for (const input of inputs) {
    if (typeof input.value !== 'string' && typeof input.value !== 'number') return null;
    if (input.name.toLowerCase() === 'message-authenticator') return null;
  }
  let raw: RawAttribute[];
  try {
    raw = encodeAttributes(inputs);
  } catch {
    // A hidden attribute, or a list buildResponse will refuse with its own error.
    return null;
  }
  return {
    names: inputs.map((input) => input.name),
    values: inputs.map((input) => input.value),
    tags: inputs.map((input) => input.tag),
    raw,
  };
}

/** `inputs` in wire form, from the cache when the list was encoded before; undefined when it cannot be. */
export function plainReplyAttributes(inputs: readonly AttributeInput[]): readonly RawAttribute[] | undefined {
  if (inputs.length === 0) return undefined;
  const known = encodedLists.get(inputs);
  if (known !== undefined && known !== null && unchanged(known, inputs)) return known.raw;
  if (known === null) return undefined;
  const encoded = encodePlain(inputs);
  encodedLists.set(inputs, encoded);
  return encoded?.raw;
}
