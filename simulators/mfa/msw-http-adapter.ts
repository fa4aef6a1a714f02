// Serves msw request handlers on a real node:http socket, so a server in another process can reach
// the same handlers tests use in process. @mswjs/http-middleware 0.10.3 was tried first: it serves
// ordinary responses with this msw, but a handler returning HttpResponse.error() (a dropped
// connection, one of the mock's faults) makes it set status 0 and throw ERR_HTTP_INVALID_STATUS_CODE,
// which takes down the process. This adapter feeds each request to msw's getResponse instead and turns
// a network-error response into a destroyed socket, which is what a client sees of a real drop.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getResponse, type RequestHandler } from 'msw';

export interface MswHttpServerOptions {
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

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length']);

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
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
  res.end(data);
}

export class MswHttpServer {
  private server: Server;
  /** Servers closed by `stopListening`, still draining requests that were in flight. */
  private readonly draining = new Set<Server>();
  private readonly inFlight = new Set<AbortController>();
  private paused = false;
  private closed = false;

  private constructor(
    private readonly handlers: readonly RequestHandler[],
    readonly host: string,
    private boundPort: number,
    private readonly maxBodyBytes: number,
    private readonly tls: MswHttpServerOptions['tls'],
    readonly hostname: string | undefined,
  ) {
    this.server = this.newServer();
  }

  static async start(
    handlers: readonly RequestHandler[],
    options: MswHttpServerOptions = {},
  ): Promise<MswHttpServer> {
    const adapter = new MswHttpServer(
      handlers,
      options.host ?? '127.0.0.1',
      options.port ?? 0,
      options.maxBodyBytes ?? 65_536,
      options.tls,
      options.hostname?.toLowerCase(),
    );
    await adapter.listen();
    return adapter;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.on('close', () => {
      this.inFlight.delete(controller);
      // The client went away before its answer: let a long-poll stop waiting.
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (this.hostname !== undefined && MswHttpServer.hostHeaderName(req) !== this.hostname) {
        sendJson(res, 421, {
          error: {
            code: 'REQUEST_FORMAT_ERROR',
            message: `this listener is ${this.hostname}, not ${req.headers.host ?? '(no Host header)'}`,
          },
        });
        return;
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, this.maxBodyBytes);
      const headers = new Headers();
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] ?? '';
        if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, req.rawHeaders[i + 1] ?? '');
      }
      // Handlers see the URL the client asked for: its host name, not the loopback address.
      const scheme = this.tls === undefined ? 'http' : 'https';
      const origin = this.hostname === undefined ? this.url : `${scheme}://${this.hostname}`;
      let request: Request;
      try {
        request = new Request(new URL(req.url ?? '/', origin), {
          method,
          headers,
          signal: controller.signal,
          ...(body === undefined ? {} : { body }),
        });
      } catch (error) {
        // An unusable request line (a method fetch refuses, such as TRACE; a URL that does not parse)
        // is the client's mistake, not an outage.
        sendJson(res, 400, {
          error: {
            code: 'REQUEST_FORMAT_ERROR',
            message: error instanceof Error ? error.message : 'bad request',
          },
        });
        return;
      }
      const response = await getResponse([...this.handlers], request, { baseUrl: origin });
      if (response === undefined) {
        sendJson(res, 404, {
          error: { code: 'REQUEST_FORMAT_ERROR', message: `no endpoint ${method} ${req.url ?? ''}` },
        });
        return;
      }
      if (response.type === 'error') {
        req.socket.destroy();
        return;
      }
      const data = Buffer.from(await response.arrayBuffer());
      const outgoing: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name)) outgoing[name] = value;
      });
      outgoing['content-length'] = String(data.length);
      if (this.paused || this.closed) outgoing['connection'] = 'close';
      res.writeHead(response.status, outgoing);
      res.end(data);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof BodyTooLarge) {
        sendJson(res, 413, {
          error: { code: 'REQUEST_FORMAT_ERROR', message: `body larger than ${this.maxBodyBytes} bytes` },
        });
      } else if (error instanceof URIError) {
        // Malformed percent-encoding in the path (msw decodes path parameters): the client's error.
        sendJson(res, 400, { error: { code: 'REQUEST_FORMAT_ERROR', message: error.message } });
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
