// The MFA mock's HTTP listener, whatever answers the requests: the lifecycle (listen, stop
// listening and resume on the same port, close with long-polls aborted), the request limits and the
// wire behaviour around an endpoint (421 for another Host, 413 for a large body, 400 for a request
// fetch could not carry, 404 for no endpoint, a destroyed socket for a dropped connection, 500 for an
// endpoint that threw). What answers is a Dispatcher: the direct router (router.ts), or msw's
// getResponse over the same endpoints (msw-http-adapter.ts), kept to compare the two.
//
// It speaks HTTP/2 and HTTP/1.1 on one port, as the cloud's hosts do: over TLS the client's ALPN
// chooses; over plain HTTP the first bytes do (the HTTP/2 preface: h2c with prior knowledge).
// `protocols: 'http1.1'` plays a service that knows only HTTP/1.1 (no ALPN h2, the preface refused).

import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server as Http1Server,
  type ServerResponse,
} from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import { createServer as createTlsServer } from 'node:https';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';

export interface MockHttpServerOptions {
  /** Loopback only: 127.0.0.1 (default) or ::1. */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Larger request bodies get 413; default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Serve HTTPS (TLS 1.2 and later) with this key and certificate, PEM. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * The host name this listener plays (login.microsoftonline.us, ...): a request whose Host header
   * names another host gets 421 Misdirected Request, so a client that sent a call to the wrong host
   * finds out. Default: any Host.
   */
  readonly hostname?: string;
  /** 'h2+http1.1' (default): both on one port; 'http1.1': a service without HTTP/2. */
  readonly protocols?: MockHttpProtocols;
  /** HTTP/2 streams one session may carry at once (the SETTINGS the mock sends); default 10,000. */
  readonly maxConcurrentStreams?: number;
}

export type MockHttpProtocols = 'h2+http1.1' | 'http1.1';

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/** The first bytes of an HTTP/2 connection with prior knowledge (RFC 9113 3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');
/** The mock's HTTP/2 session memory bound, MB: ~1 KB per open stream (long-polls), room to spare. */
const MOCK_SESSION_MEMORY_MB = 64;

/**
 * What listens on the port and the servers behind it: HTTP/1.1 connections go to `h1`, HTTP/2
 * sessions are tracked so stopping can send GOAWAY to idle ones and closing can destroy them all.
 */
interface Listener {
  readonly front: Server;
  readonly h1: Http1Server;
  readonly sessions: Set<Http2Session>;
  /** Connections accepted but not yet handed on (their first bytes not read). */
  readonly unsorted: Set<Socket>;
  /**
   * HTTP/1.1 connections handed to `h1`, which does not listen and so tracks none of them itself
   * (closeIdleConnections and closeAllConnections see only a listening server's).
   */
  readonly handedOn: Set<Socket>;
}

/** One request as a dispatcher sees it. */
export interface IncomingCall {
  /** As node:http parsed it (upper case). */
  readonly method: string;
  /** The URL the client asked for: its host name (the listener's `hostname`), not the loopback address. */
  readonly url: URL;
  /** node's rawHeaders: name, value, name, value... */
  readonly rawHeaders: readonly string[];
  /** Undefined for GET and HEAD. */
  readonly body: Buffer | undefined;
  readonly signal: AbortSignal;
}

export interface OutgoingReply {
  readonly status: number;
  /** Lower-case names, without hop-by-hop headers; the listener adds content-length. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** undefined: no endpoint (404); 'drop': destroy the connection, as a real drop looks to a client. */
export type DispatchResult = OutgoingReply | 'drop' | undefined;

export type Dispatcher = (call: IncomingCall) => Promise<DispatchResult>;

/** A request fetch would refuse to build (a forbidden method, credentials in the URL): the client's mistake. */
export class BadRequestError extends Error {}

export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

class BodyTooLarge extends Error {}

function readBody(req: AnyRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeReply(res: AnyResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer): void {
  if (res instanceof http2.Http2ServerResponse) res.writeHead(status, headers).end(body);
  else res.writeHead(status, headers).end(body);
}

function sendJson(res: AnyResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  writeReply(res, status, { 'content-type': 'application/json', 'content-length': data.length }, data);
}

function isH2(req: AnyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** node's rawHeaders without HTTP/2 pseudo-headers (:method, :path...): what an HTTP/1.1 request carries. */
function plainRawHeaders(req: AnyRequest): string[] {
  if (!isH2(req)) return req.rawHeaders;
  const raw: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (!name.startsWith(':')) raw.push(name, req.rawHeaders[i + 1] as string);
  }
  const authority = req.headers[':authority'];
  if (req.headers.host === undefined && typeof authority === 'string') raw.push('host', authority);
  return raw;
}

function formatError(message: string): { error: { code: 'REQUEST_FORMAT_ERROR'; message: string } } {
  return { error: { code: 'REQUEST_FORMAT_ERROR', message } };
}

export class MockHttpServer {
  private server: Listener;
  /** Listeners closed by `stopListening`, still draining requests that were in flight. */
  private readonly draining = new Set<Listener>();
  private readonly inFlight = new Set<AbortController>();
  /** HTTP/1.1 requests in progress per connection: an idle connection has none. */
  private readonly active = new WeakMap<Socket, number>();
  private paused = false;
  private closed = false;

  private constructor(
    private readonly dispatch: Dispatcher,
    readonly host: string,
    private boundPort: number,
    private readonly maxBodyBytes: number,
    private readonly tls: MockHttpServerOptions['tls'],
    readonly hostname: string | undefined,
    private readonly protocols: MockHttpProtocols,
    private readonly maxConcurrentStreams: number,
  ) {
    this.server = this.newServer();
  }

  static async start(dispatch: Dispatcher, options: MockHttpServerOptions = {}): Promise<MockHttpServer> {
    const server = new MockHttpServer(
      dispatch,
      options.host ?? '127.0.0.1',
      options.port ?? 0,
      options.maxBodyBytes ?? 65_536,
      options.tls,
      options.hostname?.toLowerCase(),
      options.protocols ?? 'h2+http1.1',
      options.maxConcurrentStreams ?? 10_000,
    );
    await server.listen();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  /** e.g. "http://127.0.0.1:41234" (IPv6 hosts in brackets); https:// when serving TLS. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.tls === undefined ? 'http' : 'https'}://${host}:${this.boundPort}`;
  }

  /** "address:port" for a client's host -> address mapping (mfa.resolve). */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  get listening(): boolean {
    return !this.paused && !this.closed;
  }

  /**
   * Stops accepting connections (clients get "connection refused") but keeps the port for
   * `resumeListening`. Requests already in flight are answered, on connections that then close.
   */
  stopListening(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    const old = this.server;
    this.draining.add(old);
    old.front.close(() => this.draining.delete(old));
    old.h1.closeIdleConnections();
    for (const socket of old.handedOn) if ((this.active.get(socket) ?? 0) === 0) socket.destroy();
    // GOAWAY: streams in flight are answered, then the session closes; no new stream is taken.
    for (const session of old.sessions) session.close();
    for (const socket of old.unsorted) socket.destroy();
  }

  /** Listens again on the same port. */
  async resumeListening(): Promise<void> {
    if (!this.paused || this.closed) return;
    this.server = this.newServer();
    await this.listen();
    this.paused = false;
  }

  /** Aborts requests in flight (long-polls answer at once), closes every connection and the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    const servers = [this.server, ...this.draining];
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.front.close(() => resolve());
            server.h1.closeAllConnections();
            for (const socket of server.handedOn) socket.destroy();
            for (const session of server.sessions) session.destroy();
            for (const socket of server.unsorted) socket.destroy();
          }),
      ),
    );
  }

  /** HTTP/2 sessions open now, for tests that reset one (every stream on it fails). */
  h2Sessions(): readonly Http2Session[] {
    return [this.server, ...this.draining].flatMap((listener) => [...listener.sessions]);
  }

  private newServer(): Listener {
    const onRequest = (req: AnyRequest, res: AnyResponse): void => {
      void this.handle(req, res);
    };
    const h1 = createServer(onRequest);
    const sessions = new Set<Http2Session>();
    const unsorted = new Set<Socket>();
    const handedOn = new Set<Socket>();
    const toH1 = (socket: Socket): void => {
      handedOn.add(socket);
      socket.once('close', () => handedOn.delete(socket));
      h1.emit('connection', socket);
    };
    const track = (session: Http2Session): void => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      // A client that resets its connection is its business; the mock keeps serving the others.
      session.on('error', () => undefined);
    };
    const h2Options = {
      settings: { maxConcurrentStreams: this.maxConcurrentStreams },
      maxSessionMemory: MOCK_SESSION_MEMORY_MB,
    };
    if (this.tls !== undefined) {
      const tlsOptions = { key: this.tls.key, cert: this.tls.cert, minVersion: 'TLSv1.2' } as const;
      if (this.protocols === 'http1.1') {
        const front = createTlsServer(tlsOptions, onRequest);
        return { front, h1: front, sessions, unsorted, handedOn };
      }
      // ALPN: h2 when the client offers it; a client that offers only http/1.1, or no ALPN at all
      // (node:https), is an HTTP/1.1 client and goes to the HTTP/1.1 server.
      const front = http2.createSecureServer(
        { ...tlsOptions, ...h2Options, ALPNProtocols: ['h2', 'http/1.1'], allowHTTP1: false },
        onRequest,
      );
      front.on('session', track);
      front.on('unknownProtocol', toH1);
      return { front, h1, sessions, unsorted, handedOn };
    }
    if (this.protocols === 'http1.1') return { front: h1, h1, sessions, unsorted, handedOn };
    const h2 = http2.createServer(h2Options, onRequest);
    h2.on('session', track);
    // Plain HTTP: the preface says HTTP/2 (prior knowledge); anything else is HTTP/1.1.
    const front = net.createServer((socket) => {
      unsorted.add(socket);
      socket.once('close', () => unsorted.delete(socket));
      socket.once('data', (chunk: Buffer) => {
        unsorted.delete(socket);
        socket.pause();
        socket.unshift(chunk);
        if (chunk.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) {
          // The HTTP/2 session reads the socket's handle itself and takes the buffered bytes first;
          // resuming the JS stream here would hand them to nobody.
          h2.emit('connection', socket);
        } else {
          toH1(socket);
          socket.resume();
        }
      });
    });
    return { front, h1, sessions, unsorted, handedOn };
  }

  /** The Host header's (or HTTP/2 :authority's) name, without port or brackets. */
  private static hostHeaderName(req: AnyRequest): string {
    const authority = req.headers[':authority'];
    const header = (typeof authority === 'string' ? authority : (req.headers.host ?? '')).toLowerCase();
    return header.startsWith('[') ? header.slice(1, header.indexOf(']')) : (header.split(':')[0] ?? '');
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = this.server.front;
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', onError);
        this.boundPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** The URL the client asked for, or BadRequestError when it does not parse. */
  private requestUrl(req: AnyRequest): URL {
    // Handlers see the URL the client asked for: its host name, not the loopback address.
    const scheme = this.tls === undefined ? 'http' : 'https';
    const origin = this.hostname === undefined ? this.url : `${scheme}://${this.hostname}`;
    try {
      return new URL(req.url ?? '/', origin);
    } catch (error) {
      throw new BadRequestError(error instanceof Error ? error.message : 'bad request');
    }
  }

  private async handle(req: AnyRequest, res: AnyResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const socket = isH2(req) ? undefined : req.socket;
    if (socket !== undefined) this.active.set(socket, (this.active.get(socket) ?? 0) + 1);
    res.on('close', () => {
      this.inFlight.delete(controller);
      if (socket !== undefined) this.active.set(socket, (this.active.get(socket) ?? 1) - 1);
      // The client went away before its answer: let a long-poll stop waiting.
      if (!res.writableEnded) controller.abort();
    });
    try {
      if (this.hostname !== undefined && MockHttpServer.hostHeaderName(req) !== this.hostname) {
        sendJson(
          res,
          421,
          formatError(
            `this listener is ${this.hostname}, not ${MockHttpServer.hostHeaderName(req) || '(no Host header)'}`,
          ),
        );
        return;
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, this.maxBodyBytes);
      const url = this.requestUrl(req);
      const reply = await this.dispatch({
        method,
        url,
        rawHeaders: plainRawHeaders(req),
        body,
        signal: controller.signal,
      });
      if (reply === undefined) {
        sendJson(res, 404, formatError(`no endpoint ${method} ${req.url ?? ''}`));
        return;
      }
      if (reply === 'drop') {
        // HTTP/1.1: the connection goes, as a real drop looks. HTTP/2: this request's stream is reset
        // (RST_STREAM), so the drop fails this call alone, not every call sharing the session.
        if (isH2(req)) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else req.socket.destroy();
        return;
      }
      const outgoing: Record<string, string> = {
        ...reply.headers,
        'content-length': String(reply.body.length),
      };
      // HTTP/2 has no Connection header; its sessions get GOAWAY from stopListening instead.
      if ((this.paused || this.closed) && !isH2(req)) outgoing['connection'] = 'close';
      writeReply(res, reply.status, outgoing, reply.body);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof BodyTooLarge) {
        sendJson(res, 413, formatError(`body larger than ${this.maxBodyBytes} bytes`));
      } else if (error instanceof BadRequestError || error instanceof URIError) {
        // An unusable request line (a method fetch refuses, such as TRACE; a URL that does not parse;
        // malformed percent-encoding in a path parameter) is the client's mistake, not an outage.
        sendJson(res, 400, formatError(error.message));
      } else {
        sendJson(res, 500, {
          error: {
            code: 'ServiceUnavailable',
            message: error instanceof Error ? error.message : 'internal error',
          },
        });
      }
    }
  }
}
