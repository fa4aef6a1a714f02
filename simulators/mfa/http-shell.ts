// The MFA mock's node:http listener, whatever answers the requests: the lifecycle (listen, stop
// listening and resume on the same port, close with long-polls aborted), the request limits and the
// wire behaviour around an endpoint (421 for another Host, 413 for a large body, 400 for a request
// fetch could not carry, 404 for no endpoint, a destroyed socket for a dropped connection, 500 for an
// endpoint that threw). What answers is a Dispatcher: the direct router (router.ts), or msw's
// getResponse over the same endpoints (msw-http-adapter.ts), kept to compare the two.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

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

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
  res.end(data);
}

function formatError(message: string): { error: { code: 'REQUEST_FORMAT_ERROR'; message: string } } {
  return { error: { code: 'REQUEST_FORMAT_ERROR', message } };
}

export class MockHttpServer {
  private server: Server;
  /** Servers closed by `stopListening`, still draining requests that were in flight. */
  private readonly draining = new Set<Server>();
  private readonly inFlight = new Set<AbortController>();
  private paused = false;
  private closed = false;

  private constructor(
    private readonly dispatch: Dispatcher,
    readonly host: string,
    private boundPort: number,
    private readonly maxBodyBytes: number,
    private readonly tls: MockHttpServerOptions['tls'],
    readonly hostname: string | undefined,
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
    old.close(() => this.draining.delete(old));
    old.closeIdleConnections();
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
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private newServer(): Server {
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      void this.handle(req, res);
    };
    if (this.tls === undefined) return createServer(listener);
    return createTlsServer({ key: this.tls.key, cert: this.tls.cert, minVersion: 'TLSv1.2' }, listener);
  }

  /** The Host header's name, without port or brackets. */
  private static hostHeaderName(req: IncomingMessage): string {
    const header = (req.headers.host ?? '').toLowerCase();
    return header.startsWith('[') ? header.slice(1, header.indexOf(']')) : (header.split(':')[0] ?? '');
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = this.server;
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
  private requestUrl(req: IncomingMessage): URL {
    // Handlers see the URL the client asked for: its host name, not the loopback address.
    const scheme = this.tls === undefined ? 'http' : 'https';
    const origin = this.hostname === undefined ? this.url : `${scheme}://${this.hostname}`;
    try {
      return new URL(req.url ?? '/', origin);
    } catch (error) {
      throw new BadRequestError(error instanceof Error ? error.message : 'bad request');
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.on('close', () => {
      this.inFlight.delete(controller);
      // The client went away before its answer: let a long-poll stop waiting.
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (this.hostname !== undefined && MockHttpServer.hostHeaderName(req) !== this.hostname) {
        sendJson(
          res,
          421,
          formatError(`this listener is ${this.hostname}, not ${req.headers.host ?? '(no Host header)'}`),
        );
        return;
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, this.maxBodyBytes);
      const url = this.requestUrl(req);
      const reply = await this.dispatch({
        method,
        url,
        rawHeaders: req.rawHeaders,
        body,
        signal: controller.signal,
      });
      if (reply === undefined) {
        sendJson(res, 404, formatError(`no endpoint ${method} ${req.url ?? ''}`));
        return;
      }
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      const outgoing: Record<string, string> = {
        ...reply.headers,
        'content-length': String(reply.body.length),
      };
      if (this.paused || this.closed) outgoing['connection'] = 'close';
      res.writeHead(reply.status, outgoing);
      res.end(reply.body);
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
