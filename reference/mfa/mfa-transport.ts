import { readFileSync } from 'node:fs';
// Default imports, called at request time: an in-process msw patches the modules' request functions,
// which named imports of a built-in would not see.
import http, { type IncomingMessage } from 'node:http';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import https from 'node:https';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { isLoopbackHost } from '../config/mfa-cloud.ts';
import {
  parseResolveTarget,
  type MfaHttpVersion,
  type MfaTransportSettings,
  type ResolveTarget,
} from '../config/mfa-transport-config.ts';

// The MFA client's HTTP(S) over node:http2 and node:https, because the global fetch has no way to take
// a CA file, a TLS floor or a host -> address mapping without the undici package. The certificate is
// always verified (no switch turns that off); only the trust anchor is configurable.
//
// HTTP/2 first (mfa.http: auto): every login waiting on MFA holds a long-poll, and with HTTP/1.1 each
// is a connection of its own (a socket, a ClientRequest, its parser: most of a pending login's
// memory). Over HTTP/2 they are streams multiplexed on a few sessions per MFA host. A host that does
// not negotiate h2 by ALPN (or, for plain http://, does not answer the h2 preface) is spoken to in
// HTTP/1.1 from then on.

/** What the MFA client reads of an answer: a fetch Response fits, and so does a plain in-process one. */
export type MfaAnswer = Pick<Response, 'status' | 'ok' | 'text' | 'arrayBuffer'>;

/** What callMfa needs of fetch; the global fetch and msw's fit it too. */
export type MfaFetch = (input: URL, init: RequestInit) => Promise<MfaAnswer>;

/** Why a TLS connection was refused, closed: the reason the server's logs and the tests name. */
export type TlsRefusal =
  | 'untrusted-certificate'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'hostname-mismatch'
  | 'protocol-version'
  | 'handshake-failed'
  | 'plain-http-refused';

const TLS_REFUSALS: Readonly<Record<string, TlsRefusal>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted-certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted-certificate',
  CERT_SIGNATURE_FAILURE: 'untrusted-certificate',
  CERT_UNTRUSTED: 'untrusted-certificate',
  CERT_REJECTED: 'untrusted-certificate',
  INVALID_CA: 'untrusted-certificate',
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol-version',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol-version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol-version',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol-version',
  ERR_MFA_PLAIN_HTTP_REFUSED: 'plain-http-refused',
};

/** OpenSSL's words for a protocol version the two sides do not share (reported as EPROTO). */
const PROTOCOL_VERSION = /protocol version|unsupported protocol|no protocols available|wrong version number/i;

/** The refusal behind a socket error, if it is a TLS (or plain-HTTP) refusal. */
export function tlsRefusalOf(code: string, message = ''): TlsRefusal | undefined {
  const known = TLS_REFUSALS[code];
  if (known !== undefined) return known;
  // A handshake the peer ended with an alert comes back as EPROTO with OpenSSL's text.
  if (code === 'EPROTO') return PROTOCOL_VERSION.test(message) ? 'protocol-version' : 'handshake-failed';
  return code.startsWith('ERR_SSL_') ? 'handshake-failed' : undefined;
}

export interface MfaTransportOptions {
  /** PEM trust anchors; undefined: Node's store (its Mozilla roots, NODE_EXTRA_CA_CERTS). */
  readonly ca?: string;
  readonly minTlsVersion: MfaTransportSettings['minTlsVersion'];
  readonly allowInsecureHttp: boolean;
  /** Lower-case host name -> where to connect (curl --resolve). */
  readonly resolve?: ReadonlyMap<string, ResolveTarget>;
  /** Which HTTP to speak (mfa.http); default 'auto'. */
  readonly http?: MfaHttpVersion;
}

/** One request as the transport sends it: headers with lower-case names, a text body or none. */
export interface MfaExchange {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An answer as it came off the wire. */
export interface MfaRawReply {
  readonly status: number;
  readonly statusText: string;
  /** name, value, name, value... (no HTTP/2 pseudo-headers) */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly httpVersion: '1.1' | '2';
}

/** Called once: an error (a socket or TLS error, or AbortError after cancel) or the reply. */
export type MfaReplyHandler = (error: Error | undefined, reply: MfaRawReply | undefined) => void;

/** What the transport holds, for tests and the pending benchmark. */
export interface MfaTransportStats {
  /** Per origin ("https://host:port"), the HTTP version decided for it, if any yet. */
  readonly origins: Readonly<Record<string, 'h2' | 'http1.1' | 'unknown'>>;
  readonly h2Sessions: number;
  readonly h2Streams: number;
}

export interface MfaTransport {
  readonly fetch: (input: URL, init: RequestInit) => Promise<Response>;
  /**
   * The same request without fetch's objects (no AbortSignal, no Response): `done` is called once;
   * the returned function cancels (done then gets an AbortError, unless it was already called).
   */
  readonly exchange: (request: MfaExchange, done: MfaReplyHandler) => () => void;
  stats(): MfaTransportStats;
  /** Closes kept-alive connections and HTTP/2 sessions (calls in flight fail). */
  close(): void;
}

/**
 * The transport the settings describe; reads the CA file (checked when the config was read). `ca`
 * (PEM) replaces the file: the embedded stack's run CA, which exists only in memory.
 */
export function mfaTransportFromSettings(settings: MfaTransportSettings, ca?: string): MfaTransport {
  const resolve = new Map<string, ResolveTarget>();
  for (const [host, value] of Object.entries(settings.resolve)) {
    const target = parseResolveTarget(value);
    if (target !== undefined) resolve.set(host.toLowerCase(), target);
  }
  return createMfaTransport({
    ...(ca !== undefined
      ? { ca }
      : settings.caFile !== undefined
        ? { ca: readFileSync(settings.caFile, 'utf8') }
        : {}),
    minTlsVersion: settings.minTlsVersion,
    allowInsecureHttp: settings.allowInsecureHttp,
    resolve,
    http: settings.http,
  });
}

/** fetch reports network failures as TypeError("fetch failed") with the socket error as cause. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function plainHttpRefused(host: string): Error {
  return codedError(
    'ERR_MFA_PLAIN_HTTP_REFUSED',
    `plain HTTP to ${host} was not asked for (allowInsecureHttp)`,
  );
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}

function headersOf(init: RequestInit): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function toResponse(reply: MfaRawReply): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < reply.rawHeaders.length; i += 2) {
    headers.append(reply.rawHeaders[i] ?? '', reply.rawHeaders[i + 1] ?? '');
  }
  const { status, body } = reply;
  const empty = status === 204 || status === 304 || body.length === 0;
  return new Response(empty ? null : body, { status, statusText: reply.statusText, headers });
}

/** Where one URL's requests go: the name (Host, :authority, SNI, certificate) and the address. */
interface Target {
  readonly secure: boolean;
  /** Lower-case host name without brackets. */
  readonly hostname: string;
  /** What to connect to: the --resolve address, or the host name. */
  readonly address: string;
  readonly port: number;
  /** The URL's host (with a port when not the default): the Host header and :authority. */
  readonly authority: string;
  /** The pool key: one pool per name, address and port. */
  readonly key: string;
}

/** Headers HTTP/2 forbids (RFC 9113 8.2.2) or carries as pseudo-headers. */
const NOT_IN_H2: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Streams one session carries at most, whatever the service allows: a reset session fails every
 * stream it carries, and each stream counts against the session's memory bound (maxSessionMemory).
 */
const MAX_STREAMS_PER_SESSION = 1_000;
/** The session's memory bound, MB: ~1 KB of nghttp2 state per open stream, with room to spare. */
const SESSION_MEMORY_MB = 32;

/** Origins whose Target is kept for reuse (the MFA host and the token service, in practice). */
const MAX_CACHED_TARGETS = 64;

/** A call that waits for its session's SETTINGS, or for a session at all. */
interface Waiting {
  readonly target: Target;
  /** Dropped once the stream carries it: a long-poll need not hold its URL and headers for a minute. */
  request: MfaExchange | undefined;
  readonly done: MfaReplyHandler;
  /** Set once the call has been given to a stream or an HTTP/1.1 request: its cancel. */
  cancel: (() => void) | undefined;
  finished: boolean;
}

/** One HTTP/2 connection to an origin: connecting, ready (its SETTINGS seen), or gone. */
interface H2Connection {
  readonly pool: H2Pool;
  readonly socket: net.Socket | tls.TLSSocket;
  session: ClientHttp2Session | undefined;
  /** The peer accepted the connection (TCP, or TLS with its certificate verified). */
  connected: boolean;
  /** The peer's SETTINGS arrived: it speaks HTTP/2. */
  ready: boolean;
  /** GOAWAY received or closed: no new streams. */
  draining: boolean;
  limit: number;
  streams: number;
  readonly waiting: Waiting[];
  /** The last socket or session error: what streams closed without one of their own failed with. */
  lastError: Error | undefined;
}

interface H2Pool {
  version: 'h2' | 'http1.1' | 'unknown';
  readonly connections: Set<H2Connection>;
}

export function createMfaTransport(options: MfaTransportOptions): MfaTransport {
  const mode: MfaHttpVersion = options.http ?? 'auto';
  const tlsOptions = {
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    minVersion: options.minTlsVersion,
    rejectUnauthorized: true,
  } as const;
  const httpsAgent = new https.Agent({ keepAlive: true, ...tlsOptions });
  const httpAgent = new http.Agent({ keepAlive: true });
  const pools = new Map<string, H2Pool>();
  let closed = false;

  // One Target per origin, shared by its calls: a waiting long-poll holds its call's target, and
  // ten thousand copies of the same few strings were ~0.2 KB a login. Bounded: origins are few.
  const targets = new Map<string, Target>();
  const targetOf = (input: URL): Target | Error => {
    const known = targets.get(input.origin);
    if (known !== undefined) return known;
    const target = newTarget(input);
    const cacheable = input.protocol === 'https:' || input.protocol === 'http:';
    if (cacheable && !(target instanceof Error) && targets.size < MAX_CACHED_TARGETS)
      targets.set(input.origin, target);
    return target;
  };
  const newTarget = (input: URL): Target | Error => {
    const secure = input.protocol === 'https:';
    const hostname = input.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!secure && !options.allowInsecureHttp && !isLoopbackHost(hostname)) return plainHttpRefused(hostname);
    const mapped = options.resolve?.get(hostname);
    const port = mapped?.port ?? (input.port !== '' ? Number(input.port) : secure ? 443 : 80);
    const address = mapped?.address ?? hostname;
    return {
      secure,
      hostname,
      address,
      port,
      authority: input.host,
      key: `${secure ? 'https' : 'http'}://${input.host}@${address}:${port}`,
    };
  };

  // ---- HTTP/1.1 ----

  const http1Exchange = (target: Target, request: MfaExchange, done: MfaReplyHandler): (() => void) => {
    let finished = false;
    const finish = (error: Error | undefined, reply?: MfaRawReply): void => {
      if (finished) return;
      finished = true;
      done(error, reply);
    };
    const common = {
      host: target.address,
      port: target.port,
      method: request.method,
      path: `${request.url.pathname}${request.url.search}`,
      // The name, not the address it was mapped to: virtual hosting and the certificate both use it.
      headers: { ...request.headers, host: target.authority },
    };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 502,
          statusText: res.statusMessage ?? '',
          rawHeaders: res.rawHeaders,
          body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
          httpVersion: '1.1',
        }),
      );
      res.on('error', (error) => finish(error));
    };
    const req = target.secure
      ? https.request(
          {
            ...common,
            ...tlsOptions,
            agent: httpsAgent,
            // SNI and the certificate check use the host name even when connecting to a mapped address.
            ...(isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
          },
          onResponse,
        )
      : http.request({ ...common, agent: httpAgent }, onResponse);
    req.on('error', (error) => finish(error));
    if (request.body !== undefined) req.end(request.body);
    else req.end();
    return () => {
      if (finished) return;
      finish(abortError());
      req.destroy();
    };
  };

  // ---- HTTP/2 ----

  const poolOf = (target: Target): H2Pool => {
    let pool = pools.get(target.key);
    if (pool === undefined) {
      pool = { version: mode === 'http1.1' ? 'http1.1' : 'unknown', connections: new Set() };
      pools.set(target.key, pool);
    }
    return pool;
  };

  /** Starts the call on a stream of a ready connection. */
  const startStream = (connection: H2Connection, call: Waiting): void => {
    const session = connection.session as ClientHttp2Session;
    const { request, target } = call;
    if (request === undefined) return;
    call.request = undefined;
    const headers: Record<string, string> = {
      ':method': request.method,
      ':path': `${request.url.pathname}${request.url.search}`,
      ':authority': target.authority,
      ':scheme': target.secure ? 'https' : 'http',
    };
    for (const [name, value] of Object.entries(request.headers)) {
      if (!NOT_IN_H2.has(name)) headers[name] = value;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: request.body === undefined });
    } catch (error) {
      // The session went away between the pick and the request (ERR_HTTP2_INVALID_SESSION).
      finishCall(call, error instanceof Error ? error : codedError('ERR_MFA_H2_NO_SESSION', String(error)));
      return;
    }
    streamOpened(connection);
    clearSentHeaders(stream);
    const record = new H2StreamCall(call, connection, stream, settleStream);
    (stream as StreamWithCall)[STREAM_CALL] = record;
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    if (request.body !== undefined) stream.end(request.body);
    // An arrow made here, not a class-field arrow: tsx names a field arrow with defineProperty,
    // which leaves the function with a ~256-byte dictionary of properties (per stream).
    call.cancel = () => record.cancel();
  };

  /** What a stream came to (H2StreamCall calls it once): the call's answer or its failure. */
  const settleStream = (record: H2StreamCall, error: Error | undefined, reply?: MfaRawReply): void => {
    const { call, connection } = record;
    if (call.finished) return;
    streamClosedOn(connection);
    finishCall(call, error, reply);
  };

  // An idle session does not keep the process alive (as node:http's agent unrefs a free socket);
  // one carrying a poll does, since the poll's caller may wait on nothing else.
  const streamOpened = (connection: H2Connection): void => {
    if (connection.streams++ === 0) connection.session?.ref();
  };
  const streamClosedOn = (connection: H2Connection): void => {
    if (--connection.streams === 0) connection.session?.unref();
  };

  const finishCall = (call: Waiting, error: Error | undefined, reply?: MfaRawReply): void => {
    if (call.finished) return;
    call.finished = true;
    call.done(error, reply);
  };

  /** The calls waiting on a connection that will not speak HTTP/2: HTTP/1.1, or their failure. */
  const release = (connection: H2Connection, error: Error | undefined, fallBack: boolean): void => {
    const waiting = connection.waiting.splice(0);
    if (fallBack) connection.pool.version = 'http1.1';
    for (const call of waiting) {
      if (call.finished) continue;
      if (fallBack && call.request !== undefined) {
        const cancel = http1Exchange(call.target, call.request, (e, reply) => finishCall(call, e, reply));
        call.cancel = cancel;
      } else {
        finishCall(call, error ?? codedError('ERR_MFA_H2_SESSION_CLOSED', 'the HTTP/2 session closed'));
      }
    }
  };

  const onReady = (connection: H2Connection, maxConcurrentStreams: number | undefined): void => {
    connection.ready = true;
    connection.pool.version = 'h2';
    connection.limit = Math.max(1, Math.min(maxConcurrentStreams ?? 100, MAX_STREAMS_PER_SESSION));
    const waiting = connection.waiting.splice(0);
    for (const call of waiting) {
      if (call.finished) continue;
      // Beyond what the peer allows on this session: another session takes it.
      if (connection.streams < connection.limit && !connection.draining) startStream(connection, call);
      else dispatchH2(call);
    }
  };

  const forget = (connection: H2Connection): void => {
    connection.draining = true;
    connection.pool.connections.delete(connection);
  };

  const openConnection = (pool: H2Pool, target: Target): H2Connection => {
    const socket = target.secure
      ? tls.connect({
          host: target.address,
          port: target.port,
          ...tlsOptions,
          ...(isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
          // Both offered even under h2, so a service without HTTP/2 completes the handshake and is
          // refused with that reason, not with a TLS alert that reads like a certificate problem.
          ALPNProtocols: ['h2', 'http/1.1'],
        })
      : net.connect({ host: target.address, port: target.port });
    const connection: H2Connection = {
      pool,
      socket,
      session: undefined,
      connected: false,
      ready: false,
      draining: false,
      limit: MAX_STREAMS_PER_SESSION,
      streams: 0,
      waiting: [],
      lastError: undefined,
    };
    pool.connections.add(connection);
    socket.on('error', (error) => {
      connection.lastError ??= error;
    });
    socket.once('close', () => {
      if (connection.session !== undefined) return;
      // Closed before any HTTP/2: refused, TLS refused, or ALPN chose HTTP/1.1 (handled on connect).
      forget(connection);
      release(connection, connection.lastError, false);
    });
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      connection.connected = true;
      if (target.secure && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
        forget(connection);
        if (mode === 'auto') {
          // The peer chose HTTP/1.1 (or no ALPN at all): this origin is HTTP/1.1 from now on.
          release(connection, undefined, true);
        } else {
          release(
            connection,
            codedError(
              'ERR_MFA_H2_NOT_NEGOTIATED',
              `${target.hostname} did not negotiate HTTP/2 (ALPN h2); set mfa.http: auto or http1.1`,
            ),
            false,
          );
        }
        socket.destroy();
        return;
      }
      startSession(connection, target);
    });
    return connection;
  };

  const startSession = (connection: H2Connection, target: Target): void => {
    const session = http2.connect(`${target.secure ? 'https' : 'http'}://${target.authority}`, {
      createConnection: () => connection.socket,
      maxSessionMemory: SESSION_MEMORY_MB,
      settings: { enablePush: false },
    });
    connection.session = session;
    session.on('error', (error: Error) => {
      connection.lastError ??= error;
    });
    session.once('remoteSettings', (settings: http2.Settings) =>
      onReady(connection, settings.maxConcurrentStreams),
    );
    session.on('goaway', () => forget(connection));
    session.once('close', () => {
      forget(connection);
      if (connection.ready) return;
      // Accepted, then no SETTINGS: not an HTTP/2 server. Over plain HTTP (no ALPN to ask) auto
      // falls back to HTTP/1.1; no request was processed, so sending them again is safe.
      release(connection, connection.lastError, mode === 'auto' && !target.secure && connection.connected);
    });
  };

  const pickConnection = (pool: H2Pool): H2Connection | undefined => {
    for (const connection of pool.connections) {
      if (connection.draining) continue;
      if (connection.streams + connection.waiting.length < connection.limit) return connection;
    }
    return undefined;
  };

  const dispatchH2 = (call: Waiting): void => {
    const pool = poolOf(call.target);
    if (pool.version === 'http1.1' && call.request !== undefined) {
      call.cancel = http1Exchange(call.target, call.request, (e, reply) => finishCall(call, e, reply));
      return;
    }
    const connection = pickConnection(pool) ?? openConnection(pool, call.target);
    if (connection.ready) {
      startStream(connection, call);
      return;
    }
    connection.waiting.push(call);
    call.cancel = () => {
      if (call.finished) return;
      const index = connection.waiting.indexOf(call);
      if (index >= 0) connection.waiting.splice(index, 1);
      finishCall(call, abortError());
      // Nobody waits on a connection that has not answered its preface: give it up, and over plain
      // HTTP take the silence as "not HTTP/2" (auto), so the next call does not queue behind it.
      if (connection.waiting.length === 0 && connection.connected && !connection.ready) {
        forget(connection);
        if (mode === 'auto' && connection.session !== undefined && !call.target.secure)
          connection.pool.version = 'http1.1';
        connection.session?.destroy();
        connection.socket.destroy();
      }
    };
  };

  const exchange: MfaTransport['exchange'] = (request, done) => {
    const target = targetOf(request.url);
    if (target instanceof Error || closed) {
      const error = target instanceof Error ? target : codedError('ERR_MFA_TRANSPORT_CLOSED', 'closed');
      queueMicrotask(() => done(error, undefined));
      return () => undefined;
    }
    if (mode === 'http1.1') return http1Exchange(target, request, done);
    const call: Waiting = { target, request, done, cancel: undefined, finished: false };
    dispatchH2(call);
    return () => call.cancel?.();
  };

  const fetchOne: MfaTransport['fetch'] = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted === true) {
        reject(abortError());
        return;
      }
      const onAbort = (): void => cancel();
      const cancel = exchange(
        {
          url: input,
          method: init.method ?? 'GET',
          headers: headersOf(init),
          ...(typeof init.body === 'string' ? { body: init.body } : {}),
        },
        (error, reply) => {
          signal?.removeEventListener('abort', onAbort);
          if (error !== undefined) reject(error.name === 'AbortError' ? error : fetchFailed(error));
          else resolve(toResponse(reply as MfaRawReply));
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  return {
    fetch: fetchOne,
    exchange,
    stats: () => {
      const origins: Record<string, 'h2' | 'http1.1' | 'unknown'> = {};
      let h2Sessions = 0;
      let h2Streams = 0;
      for (const [key, pool] of pools) {
        origins[key.slice(0, key.indexOf('@'))] = pool.version;
        for (const connection of pool.connections) {
          if (connection.session !== undefined) h2Sessions++;
          h2Streams += connection.streams;
        }
      }
      return { origins, h2Sessions, h2Streams };
    },
    close: () => {
      closed = true;
      httpsAgent.destroy();
      httpAgent.destroy();
      for (const pool of pools.values()) {
        for (const connection of [...pool.connections]) {
          forget(connection);
          release(connection, codedError('ERR_MFA_TRANSPORT_CLOSED', 'the MFA transport was closed'), false);
          connection.session?.destroy();
          connection.socket.destroy();
        }
      }
      pools.clear();
    },
  };
}

/** The stream's call, kept on the stream so its listeners can be shared functions, not closures. */
const STREAM_CALL = Symbol('radmfa.mfaStreamCall');
type StreamWithCall = http2.ClientHttp2Stream & { [STREAM_CALL]?: H2StreamCall };

/**
 * One call on an HTTP/2 stream, held as one record while it waits (a long-poll waits up to a minute,
 * ten thousand at once): the stream's listeners are the shared functions below, which find it here.
 */
class H2StreamCall {
  status = 0;
  rawHeaders: string[] = [];
  chunks: Buffer[] | undefined;
  ended = false;

  constructor(
    readonly call: Waiting,
    readonly connection: H2Connection,
    readonly stream: http2.ClientHttp2Stream,
    private readonly settled: (record: H2StreamCall, error: Error | undefined, reply?: MfaRawReply) => void,
  ) {}

  /** Cancels the call. */
  cancel(): void {
    if (this.call.finished) return;
    this.settled(this, abortError());
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  settle(error: Error | undefined): void {
    if (this.call.finished) return;
    if (error !== undefined) {
      this.settled(this, error);
      return;
    }
    const chunks = this.chunks ?? [];
    this.settled(this, undefined, {
      status: this.status,
      statusText: '',
      rawHeaders: this.rawHeaders,
      body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
      httpVersion: '2',
    });
  }
}

function streamCallOf(stream: http2.ClientHttp2Stream): H2StreamCall | undefined {
  return (stream as StreamWithCall)[STREAM_CALL];
}

function onStreamResponse(this: http2.ClientHttp2Stream, response: IncomingHttpHeaders): void {
  const record = streamCallOf(this);
  if (record === undefined) return;
  record.status = Number(response[':status'] ?? 502);
  record.rawHeaders = flattenHeaders(response);
}

function onStreamData(this: http2.ClientHttp2Stream, chunk: Buffer): void {
  const record = streamCallOf(this);
  if (record !== undefined) (record.chunks ??= []).push(chunk);
}

function onStreamEnd(this: http2.ClientHttp2Stream): void {
  const record = streamCallOf(this);
  if (record !== undefined) record.ended = true;
}

function onStreamError(this: http2.ClientHttp2Stream, error: Error): void {
  const record = streamCallOf(this);
  record?.settle(record.connection.lastError ?? error);
}

// Settled on close, not end: a stream whose session is torn down also ends its readable side, with
// no answer (or half of one); only a stream closed with NO_ERROR after its answer is one.
function onStreamClose(this: http2.ClientHttp2Stream): void {
  const record = streamCallOf(this);
  if (record === undefined) return;
  const complete = record.ended && record.status !== 0 && this.rstCode === http2.constants.NGHTTP2_NO_ERROR;
  record.settle(complete ? undefined : (record.connection.lastError ?? streamClosed(this.rstCode)));
}

/**
 * Node keeps the headers a stream was opened with (stream.sentHeaders) for the stream's life: a
 * null-prototype dictionary of ~0.5 KB per waiting long-poll. Nothing here reads them once sent.
 */
let sentHeadersKey: symbol | null | undefined;
function clearSentHeaders(stream: http2.ClientHttp2Stream): void {
  sentHeadersKey ??=
    Object.getOwnPropertySymbols(stream).find((key) => key.description === 'sent-headers') ?? null;
  if (sentHeadersKey !== null) Reflect.set(stream, sentHeadersKey, undefined);
}

/** HTTP/2 response headers as node:http's rawHeaders, without the pseudo-headers. */
function flattenHeaders(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, v);
    else raw.push(name, String(value));
  }
  return raw;
}

/** A stream the peer reset (RST_STREAM) or that closed before its answer ended. */
function streamClosed(rstCode: number | undefined): Error {
  return codedError(
    'ERR_HTTP2_STREAM_ERROR',
    `HTTP/2 stream closed before its answer (RST_STREAM code ${rstCode ?? 'none'})`,
  );
}
