// The MFA client's transport on its own: TLS 1.2 and later only, certificates always verified against
// the configured CA (or Node's store), plain HTTP only when asked for, a host name reached at a mapped
// address while SNI, Host and the certificate check keep the name. Real sockets on loopback.

import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MfaHttpVersion } from '../../../reference/config/mfa-transport-config.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { callMfa, type MfaCallResult } from '../../../reference/mfa/mfa-http.ts';
import { createMfaTransport, type MfaTransportOptions } from '../../../reference/mfa/mfa-transport.ts';
import { createRunCa, type RunCa, type ServerCertificate } from '../../../simulators/mfa/run-ca.ts';

const HOST = 'strongauthenticationservice.auth.microsoft.us';
const clock = new SystemClock();
let ca: RunCa;
let good: ServerCertificate;

beforeAll(async () => {
  ca = await createRunCa({ now: clock.now() });
  good = await ca.issue([HOST]);
});

const servers: Server[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Seen {
  connections: number;
  hosts: string[];
  servernames: string[];
}

async function listen(server: Server, seen: Seen): Promise<number> {
  servers.push(server);
  server.on('connection', () => seen.connections++);
  server.on('secureConnection', (socket: { servername?: string | false }) => {
    if (typeof socket.servername === 'string') seen.servernames.push(socket.servername);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const handler =
  (seen: Seen) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    seen.hosts.push(req.headers.host ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  };

async function httpsServer(
  certificate: ServerCertificate,
  tls: { minVersion?: 'TLSv1'; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string } = {},
): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { connections: 0, hosts: [], servernames: [] };
  const server = createHttpsServer({ ...certificate, ...tls }, handler(seen));
  return { port: await listen(server, seen), seen };
}

/** Every case runs over both of the transport's paths: HTTP/2 first (auto) and HTTP/1.1 only. */
let version: MfaHttpVersion = 'auto';

async function call(
  url: string,
  port: number,
  options: Partial<MfaTransportOptions> = {},
): Promise<MfaCallResult<unknown>> {
  const transport = createMfaTransport({
    ca: ca.certPem,
    minTlsVersion: 'TLSv1.2',
    allowInsecureHttp: false,
    resolve: new Map([[new URL(url).hostname, { address: '127.0.0.1', port }]]),
    http: version,
    ...options,
  });
  closers.push(() => transport.close());
  return callMfa({ baseUrl: url, clock, timeoutMs: 5_000, fetch: transport.fetch }, 'GET', '/probe');
}

describe.each(['auto', 'http1.1'] as const)('mfa.http: %s', (http) => {
  beforeEach(() => {
    version = http;
  });

  describe('HTTPS to a mapped host name', () => {
    it("verifies the server against the run's CA; SNI and Host carry the name, not the address", async () => {
      const { port, seen } = await httpsServer(good);
      const result = await call(`https://${HOST}/`, port);
      expect(result).toMatchObject({ kind: 'ok', status: 200, body: { ok: true } });
      expect(seen.servernames).toEqual([HOST]);
      expect(seen.hosts).toEqual([HOST]);
    });

    it('a certificate from another CA is refused: untrusted-certificate', async () => {
      const other = await createRunCa({ now: clock.now(), commonName: 'not the run CA' });
      const { port } = await httpsServer(await other.issue([HOST]));
      expect(await call(`https://${HOST}/`, port)).toMatchObject({
        kind: 'transport-error',
        code: 'HTTPS_COMMUNICATION_ERROR',
        tls: 'untrusted-certificate',
      });
    });

    it("without a CA file, Node's store does not know the run's CA: refused", async () => {
      const { port } = await httpsServer(good);
      const transport = createMfaTransport({
        minTlsVersion: 'TLSv1.2',
        allowInsecureHttp: false,
        resolve: new Map([[HOST, { address: '127.0.0.1', port }]]),
        http: version,
      });
      closers.push(() => transport.close());
      const result = await callMfa(
        { baseUrl: `https://${HOST}/`, clock, timeoutMs: 5_000, fetch: transport.fetch },
        'GET',
        '/probe',
      );
      expect(result).toMatchObject({ kind: 'transport-error', tls: 'untrusted-certificate' });
    });

    it('an expired certificate is refused: certificate-expired', async () => {
      const now = clock.now();
      const expired = await ca.issue([HOST], {
        notBefore: new Date(now - 48 * 3_600_000),
        notAfter: new Date(now - 24 * 3_600_000),
      });
      const { port } = await httpsServer(expired);
      expect(await call(`https://${HOST}/`, port)).toMatchObject({ tls: 'certificate-expired' });
    });

    it('a certificate not valid yet is refused: certificate-not-yet-valid', async () => {
      const now = clock.now();
      const early = await ca.issue([HOST], {
        notBefore: new Date(now + 24 * 3_600_000),
        notAfter: new Date(now + 48 * 3_600_000),
      });
      const { port } = await httpsServer(early);
      expect(await call(`https://${HOST}/`, port)).toMatchObject({ tls: 'certificate-not-yet-valid' });
    });

    it('a certificate for another host name is refused: hostname-mismatch', async () => {
      const { port } = await httpsServer(await ca.issue(['strongauthenticationservice.auth.microsoft.com']));
      expect(await call(`https://${HOST}/`, port)).toMatchObject({ tls: 'hostname-mismatch' });
    });

    it('a server that offers only TLS 1.1 is refused: protocol-version', async () => {
      // OpenSSL 3 needs security level 0 to speak TLS 1.1 at all; the server is made that old on purpose.
      const { port } = await httpsServer(good, {
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      expect(await call(`https://${HOST}/`, port)).toMatchObject({
        kind: 'transport-error',
        tls: 'protocol-version',
      });
    });

    it('minTlsVersion TLSv1.3 refuses a server that stops at TLS 1.2, and takes one that speaks 1.3', async () => {
      const { port: upTo12 } = await httpsServer(good, { maxVersion: 'TLSv1.2' });
      const { port: upTo13 } = await httpsServer(good, { maxVersion: 'TLSv1.3' });
      expect(await call(`https://${HOST}/`, upTo12, { minTlsVersion: 'TLSv1.3' })).toMatchObject({
        tls: 'protocol-version',
      });
      expect(await call(`https://${HOST}/`, upTo13, { minTlsVersion: 'TLSv1.3' })).toMatchObject({
        kind: 'ok',
      });
    });
  });

  describe('plain HTTP only when asked for', () => {
    async function httpServer(): Promise<{ port: number; seen: Seen }> {
      const seen: Seen = { connections: 0, hosts: [], servernames: [] };
      const server = createHttpServer(handler(seen));
      return { port: await listen(server, seen), seen };
    }

    it('http:// to a non-loopback name is refused before any connection', async () => {
      const { port, seen } = await httpServer();
      const result = await call(`http://${HOST}/`, port);
      expect(result).toMatchObject({ kind: 'transport-error', tls: 'plain-http-refused' });
      expect(seen.connections).toBe(0);
    });

    it('with allowInsecureHttp it is sent', async () => {
      const { port, seen } = await httpServer();
      expect(await call(`http://${HOST}/`, port, { allowInsecureHttp: true })).toMatchObject({ kind: 'ok' });
      expect(seen.hosts).toEqual([HOST]);
    });

    it('http:// to loopback needs no switch (it never leaves the machine)', async () => {
      const { port } = await httpServer();
      expect(await call(`http://127.0.0.1:${port}/`, port, { resolve: new Map() })).toMatchObject({
        kind: 'ok',
      });
    });
  });
});
