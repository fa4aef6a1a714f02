// A tiny RADIUS client for server tests: builds requests with the codec, sends them over any
// Transport, and matches replies to requests by Identifier and Response Authenticator. Waiting runs
// on the injected Clock, so under a VirtualClock the test drives time with advance().
// (The full simulated NAS lives in simulators/nas; this stays small on purpose.)
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  PacketCode,
  buildRequest,
  decodeAttributes,
  decodePacket,
  verifyResponse,
  verifyResponseAuthenticator,
  type AttributeInput,
  type BuiltPacket,
  type DecodedAttribute,
  type RadiusPacket,
  type RawAttribute,
  type Result,
} from '../../protocol/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { DatagramSocket, Endpoint, Transport } from '../../runtime/transport.ts';

export interface RadiusTestClientOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /** Where requests go unless send() is told otherwise. */
  readonly server: Endpoint;
  readonly secret: string;
  /** Local address to bind (the source address the server sees). Default 127.0.0.1. */
  readonly address?: string;
}

export interface RequestOptions {
  readonly identifier?: number;
  readonly authenticator?: Buffer;
  readonly messageAuthenticator?: boolean;
  /** Sign with another secret than the client's (to test wrong secrets). */
  readonly secret?: string;
  readonly rawAttributes?: readonly RawAttribute[];
}

export interface RadiusReply {
  readonly bytes: Buffer;
  readonly packet: RadiusPacket;
  /** Decoded with the request's authenticator, so salted attributes (MPPE keys) are revealed. */
  readonly attributes: DecodedAttribute[];
  readonly from: Endpoint;
  readonly receivedAt: number;
  /** verifyResponse with requireMessageAuthenticator: true. */
  readonly verified: Result<void>;
  /** Message-Authenticator is the first attribute (Blast-RADIUS guidance). */
  readonly messageAuthenticatorFirst: boolean;
}

interface Received {
  readonly bytes: Buffer;
  readonly from: Endpoint;
  readonly at: number;
}

interface Waiter {
  readonly request: RadiusPacket;
  readonly resolve: (reply: RadiusReply | undefined) => void;
}

export class RadiusTestClient {
  /** Every datagram received, in order, matched or not. */
  readonly received: Received[] = [];
  private readonly waiters = new Set<Waiter>();
  private nextIdentifier = 0;

  private constructor(
    private readonly socket: DatagramSocket,
    private readonly options: RadiusTestClientOptions,
  ) {
    socket.onMessage((bytes, from) => this.onMessage(bytes, from));
  }

  static async open(options: RadiusTestClientOptions): Promise<RadiusTestClient> {
    const socket = await options.transport.bind({ address: options.address ?? '127.0.0.1', port: 0 });
    return new RadiusTestClient(socket, options);
  }

  get local(): Endpoint {
    return this.socket.local;
  }

  /** Builds a signed request; the Identifier counts up per client unless given. */
  build(code: number, attributes: readonly AttributeInput[], options: RequestOptions = {}): BuiltPacket {
    const identifier = options.identifier ?? this.nextIdentifier;
    if (options.identifier === undefined) this.nextIdentifier = (this.nextIdentifier + 1) & 0xff;
    return buildRequest({
      code,
      identifier,
      attributes,
      secret: options.secret ?? this.options.secret,
      ...(options.authenticator !== undefined ? { authenticator: options.authenticator } : {}),
      ...(options.messageAuthenticator !== undefined
        ? { messageAuthenticator: options.messageAuthenticator }
        : {}),
      ...(options.rawAttributes !== undefined ? { rawAttributes: options.rawAttributes } : {}),
    });
  }

  accessRequest(attributes: readonly AttributeInput[], options: RequestOptions = {}): BuiltPacket {
    return this.build(PacketCode.AccessRequest, attributes, options);
  }

  async send(bytes: Buffer, to: Endpoint = this.options.server): Promise<void> {
    await this.socket.send(bytes, to);
  }

  /**
   * The first reply to `request` (already received, or arriving within `timeoutMs` on the clock);
   * undefined when none comes.
   */
  replyTo(request: RadiusPacket | BuiltPacket, timeoutMs = 60_000): Promise<RadiusReply | undefined> {
    const packet = 'packet' in request ? request.packet : request;
    const already = this.repliesTo(packet)[0];
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter: Waiter = {
        request: packet,
        resolve: (reply) => {
          this.options.clock.clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reply);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Every reply received so far whose Identifier and Response Authenticator match `request`. */
  repliesTo(request: RadiusPacket | BuiltPacket): RadiusReply[] {
    const packet = 'packet' in request ? request.packet : request;
    return this.received.flatMap((datagram) => {
      const reply = this.match(datagram, packet);
      return reply === undefined ? [] : [reply];
    });
  }

  /** Sends and waits for the reply (the clock must be driven by the caller under virtual time). */
  async exchange(built: BuiltPacket, timeoutMs = 60_000): Promise<RadiusReply | undefined> {
    const reply = this.replyTo(built, timeoutMs);
    await this.send(built.bytes);
    return reply;
  }

  close(): Promise<void> {
    for (const waiter of [...this.waiters]) waiter.resolve(undefined);
    return this.socket.close();
  }

  private onMessage(bytes: Buffer, from: Endpoint): void {
    const datagram = { bytes: Buffer.from(bytes), from, at: this.options.clock.now() };
    this.received.push(datagram);
    for (const waiter of [...this.waiters]) {
      const reply = this.match(datagram, waiter.request);
      if (reply !== undefined) waiter.resolve(reply);
    }
  }

  private match(datagram: Received, request: RadiusPacket): RadiusReply | undefined {
    const decoded = decodePacket(datagram.bytes);
    if (!decoded.ok || decoded.value.identifier !== request.identifier) return undefined;
    const { secret } = this.options;
    if (!verifyResponseAuthenticator(datagram.bytes, secret, request.authenticator)) return undefined;
    const packet = decoded.value;
    return {
      bytes: datagram.bytes,
      packet,
      attributes: decodeAttributes(packet.attributes, {
        secret,
        requestAuthenticator: request.authenticator,
      }),
      from: datagram.from,
      receivedAt: datagram.at,
      verified: verifyResponse(datagram.bytes, packet, request.authenticator, secret, {
        requireMessageAuthenticator: true,
      }),
      messageAuthenticatorFirst: packet.attributes[0]?.type === MESSAGE_AUTHENTICATOR_TYPE,
    };
  }
}

/**
 * Drives a VirtualClock until `promise` settles: first at the current instant, then in `stepMs`
 * steps, giving up (and returning what the promise gives by then) after `limitMs`.
 */
export async function settle<T>(
  clock: { advance(ms: number): Promise<void> },
  promise: Promise<T>,
  options: { readonly stepMs?: number; readonly limitMs?: number } = {},
): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  const step = options.stepMs ?? 100;
  const limit = options.limitMs ?? 120_000;
  await clock.advance(0);
  for (let elapsed = 0; !done && elapsed < limit; elapsed += step) await clock.advance(step);
  return tracked;
}
