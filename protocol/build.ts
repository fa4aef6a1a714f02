import { encodeAttributes, type AttributeInput, type CryptoContext } from './attributes.ts';
import {
  ZERO_AUTHENTICATOR,
  signComputedRequestAuthenticator,
  signMessageAuthenticator,
  signResponseAuthenticator,
  type Secret,
} from './authenticators.ts';
import {
  MESSAGE_AUTHENTICATOR_LENGTH,
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  PacketCode,
  RADIUS_AUTHENTICATOR_LENGTH,
  hasComputedRequestAuthenticator,
} from './constants.ts';
import type { Dictionary } from './dictionary/dictionary.ts';
import { defaultDictionary } from './dictionaries/index.ts';
import { PacketEncodeError, encodePacket, type RadiusPacket, type RawAttribute } from './packet.ts';
import { pooledRandomBytes } from './random.ts';

export interface BuiltPacket {
  readonly bytes: Buffer;
  readonly packet: RadiusPacket;
}

export interface BuildRequestOptions {
  readonly code: number;
  readonly identifier: number;
  readonly attributes: readonly AttributeInput[];
  readonly secret: Secret;
  /**
   * Request Authenticator for Access-Request and Status-Server (random when absent). Ignored for
   * Accounting/CoA/Disconnect requests, whose authenticator is computed (RFC 2866 3, RFC 5176 2.3).
   */
  readonly authenticator?: Buffer;
  /**
   * Add a Message-Authenticator, placed first (Blast-RADIUS guidance). Defaults to true for
   * Access-Request and Status-Server (RFC 5997 requires it), false otherwise.
   */
  readonly messageAuthenticator?: boolean;
  /** Attributes already in wire form, appended after the named ones (e.g. pre-built EAP-Message). */
  readonly rawAttributes?: readonly RawAttribute[];
  readonly dictionary?: Dictionary;
  readonly random?: (size: number) => Buffer;
}

const placeholder = (): RawAttribute => ({
  type: MESSAGE_AUTHENTICATOR_TYPE,
  value: Buffer.alloc(MESSAGE_AUTHENTICATOR_LENGTH),
});

/**
 * A reply's Message-Authenticator before signing: only ever read (encodePacket copies it, the view
 * replaces it with the signed value), so every reply shares it.
 */
const PLACEHOLDER: RawAttribute = placeholder();

function isMessageAuthenticator(input: AttributeInput): boolean {
  return input.name.toLowerCase() === 'message-authenticator';
}

/** The inputs without any Message-Authenticator (radmfa places its own first); no copy when none. */
function withoutMessageAuthenticator(inputs: readonly AttributeInput[]): readonly AttributeInput[] {
  return inputs.some(isMessageAuthenticator)
    ? inputs.filter((input) => !isMessageAuthenticator(input))
    : inputs;
}

function checkIdentifier(identifier: number): void {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new PacketEncodeError(`Identifier must be 0..255, got ${identifier}`);
  }
}

export function buildRequest(options: BuildRequestOptions): BuiltPacket {
  checkIdentifier(options.identifier);
  const random = options.random ?? pooledRandomBytes;
  const computed = hasComputedRequestAuthenticator(options.code);
  const authenticator = computed
    ? Buffer.from(ZERO_AUTHENTICATOR)
    : (options.authenticator ?? random(RADIUS_AUTHENTICATOR_LENGTH));
  if (authenticator.length !== RADIUS_AUTHENTICATOR_LENGTH) {
    throw new PacketEncodeError(`authenticator must be 16 octets, got ${authenticator.length}`);
  }
  const wantsMessageAuthenticator =
    options.messageAuthenticator ??
    (options.code === PacketCode.AccessRequest || options.code === PacketCode.StatusServer);
  const crypto = { secret: options.secret, requestAuthenticator: authenticator, random };
  const attributes: RawAttribute[] = [
    ...(wantsMessageAuthenticator ? [placeholder()] : []),
    ...encodeAttributes(
      withoutMessageAuthenticator(options.attributes),
      crypto,
      options.dictionary ?? defaultDictionary,
    ),
    ...(options.rawAttributes ?? []),
  ];
  const bytes = encodePacket({
    code: options.code,
    identifier: options.identifier,
    authenticator,
    attributes,
  });
  if (wantsMessageAuthenticator) signMessageAuthenticator(bytes, options.secret, authenticator);
  if (computed) signComputedRequestAuthenticator(bytes, options.secret);
  return { bytes, packet: packetView(bytes, options.code, options.identifier, attributes) };
}

export interface BuildResponseOptions {
  readonly code: number;
  /** The request being answered: its Identifier and Request Authenticator key the reply. */
  readonly request: Pick<RadiusPacket, 'identifier' | 'authenticator'> & {
    readonly attributes?: readonly RawAttribute[];
  };
  readonly attributes: readonly AttributeInput[];
  readonly secret: Secret;
  /** Defaults to true: every reply radmfa builds carries Message-Authenticator first. */
  readonly messageAuthenticator?: boolean;
  readonly rawAttributes?: readonly RawAttribute[];
  /** Copy the request's Proxy-State attributes, in order, into the reply (RFC 2865 5.33). Default true. */
  readonly echoProxyState?: boolean;
  readonly dictionary?: Dictionary;
  readonly random?: (size: number) => Buffer;
}

export function buildResponse(options: BuildResponseOptions): BuiltPacket {
  const attributes = responseAttributes(options);
  return lazyView(signedResponse(options, attributes), options.code, options.request.identifier, attributes);
}

/** buildResponse's bytes alone, for a server that sends them and never reads the packet back. */
export function buildResponseBytes(options: BuildResponseOptions): Buffer {
  return signedResponse(options, responseAttributes(options));
}

/** Replies with nothing but a Message-Authenticator (most accepts), or nothing: read only, shared. */
const PLACEHOLDER_ONLY: readonly RawAttribute[] = [PLACEHOLDER];
const NO_ATTRIBUTES: readonly RawAttribute[] = [];

function echoesProxyState(options: BuildResponseOptions): boolean {
  if (options.echoProxyState === false || options.request.attributes === undefined) return false;
  for (const attr of options.request.attributes) if (attr.type === PROXY_STATE_TYPE) return true;
  return false;
}

function responseAttributes(options: BuildResponseOptions): readonly RawAttribute[] {
  const { request } = options;
  checkIdentifier(request.identifier);
  const wantsMessageAuthenticator = options.messageAuthenticator ?? true;
  const named = options.attributes;
  if (named.length === 0 && options.rawAttributes === undefined && !echoesProxyState(options))
    return wantsMessageAuthenticator ? PLACEHOLDER_ONLY : NO_ATTRIBUTES;
  // Pushed in wire order rather than spread: this runs once per answered request.
  const attributes: RawAttribute[] = [];
  if (wantsMessageAuthenticator) attributes.push(PLACEHOLDER);
  if (named.length > 0) {
    // Only named attributes may need hiding: most answers have none, and no context to build.
    const crypto: CryptoContext =
      options.random !== undefined
        ? { secret: options.secret, requestAuthenticator: request.authenticator, random: options.random }
        : { secret: options.secret, requestAuthenticator: request.authenticator };
    const dictionary = options.dictionary ?? defaultDictionary;
    for (const attr of encodeAttributes(withoutMessageAuthenticator(named), crypto, dictionary)) {
      attributes.push(attr);
    }
  }
  if (options.rawAttributes !== undefined) for (const attr of options.rawAttributes) attributes.push(attr);
  if (options.echoProxyState !== false && request.attributes !== undefined) {
    for (const attr of request.attributes) if (attr.type === PROXY_STATE_TYPE) attributes.push(attr);
  }
  return attributes;
}

function signedResponse(options: BuildResponseOptions, attributes: readonly RawAttribute[]): Buffer {
  const { request } = options;
  const bytes = encodePacket({
    code: options.code,
    identifier: request.identifier,
    authenticator: request.authenticator,
    attributes,
  });
  // RFC 3579 3.2: the reply's Message-Authenticator is computed with the Request Authenticator in
  // place, and the Response Authenticator is computed afterwards, over the filled-in value.
  if (options.messageAuthenticator ?? true)
    signMessageAuthenticator(bytes, options.secret, request.authenticator);
  signResponseAuthenticator(bytes, options.secret, request.authenticator);
  return bytes;
}

/**
 * The bytes now, the decoded view only when read: a server answering thousands of requests a second
 * sends the bytes and never looks at the view (its copies were a tenth of the reply's cost).
 */
class LazyBuiltPacket implements BuiltPacket {
  private view: RadiusPacket | undefined;

  constructor(
    readonly bytes: Buffer,
    private readonly code: number,
    private readonly identifier: number,
    private readonly attributes: readonly RawAttribute[],
  ) {}

  get packet(): RadiusPacket {
    this.view ??= packetView(this.bytes, this.code, this.identifier, this.attributes);
    return this.view;
  }
}

function lazyView(
  bytes: Buffer,
  code: number,
  identifier: number,
  attributes: readonly RawAttribute[],
): BuiltPacket {
  return new LazyBuiltPacket(bytes, code, identifier, attributes);
}

function packetView(
  bytes: Buffer,
  code: number,
  identifier: number,
  attributes: readonly RawAttribute[],
): RadiusPacket {
  // Re-read the signed Message-Authenticator so the view matches the bytes exactly.
  const signed = attributes.map((attr, index) =>
    index === 0 && attr.type === MESSAGE_AUTHENTICATOR_TYPE
      ? { type: attr.type, value: Buffer.from(bytes.subarray(22, 22 + MESSAGE_AUTHENTICATOR_LENGTH)) }
      : attr,
  );
  return { code, identifier, authenticator: Buffer.from(bytes.subarray(4, 20)), attributes: signed };
}
