// The MFA client's transport over HTTP/2 (mfa.http): long-polls as streams on one session per MFA
// host, a reset session failing every poll it carried, ALPN (and, for plain http://, the h2 preface)
// deciding between HTTP/2 and HTTP/1.1, TLS refusals and connect errors classified as over HTTP/1.1,
// a Clock timeout cancelling its stream. Real sockets on loopback, the mock's own listener
// (simulators/mfa/http-shell.ts) with a dispatcher the test holds.

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MfaHttpVersion } from '../../../reference/config/mfa-transport-config.ts';
import {
  callMfa,
  startMfaCall,
  type MfaCallResult,
  type MfaHttpOptions,
} from '../../../reference/mfa/mfa-http.ts';
import { createMfaTransport, type MfaTransport } from '../../../reference/mfa/mfa-transport.ts';
import { SystemClock, VirtualClock } from '../../../runtime/clock.ts';
import {
  MockHttpServer,
  type DispatchResult,
  type Dispatcher,
  type IncomingCall,
  type MockHttpServerOptions,
} from '../../../simulators/mfa/http-shell.ts';
import { createRunCa, type RunCa, type ServerCertificate } from '../../../simulators/mfa/run-ca.ts';

const HOST = 'strongauthenticationservice.auth.microsoft.us';
const clock = new SystemClock();
let ca: RunCa;
let good: ServerCertificate;

beforeAll(async () => {
  ca = await createRunCa({ now: clock.now() });
  good = await ca.issue([HOST]);
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const json = (status: number, body: unknown): DispatchResult => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(body)),
});

/** A dispatcher that answers /now at once and holds every other request until the test releases it. */
function holding(): { dispatch: Dispatcher; held: IncomingCall[]; releaseAll: () => void } {
  const held: IncomingCall[] = [];
  const releases: (() => void)[] = [];
  const dispatch: Dispatcher = (call) => {
    if (call.url.pathname === '/now') return Promise.resolve(json(200, { now: true }));
    return new Promise((resolve) => {
      held.push(call);
      releases.push(() => resolve(json(200, { path: call.url.pathname })));
      call.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
  };
  return { dispatch, held, releaseAll: () => releases.splice(0).forEach((release) => release()) };
}

async function serve(dispatch: Dispatcher, options: MockHttpServerOptions = {}): Promise<MockHttpServer> {
  const server = await MockHttpServer.start(dispatch, options);
  cleanups.push(() => server.close());
  return server;
}

function transport(port: number, http: MfaHttpVersion, ca0: string = ca.certPem): MfaTransport {
  const made = createMfaTransport({
    ca: ca0,
    minTlsVersion: 'TLSv1.2',
    allowInsecureHttp: false,
    resolve: new Map([[HOST, { address: '127.0.0.1', port }]]),
    http,
  });
  cleanups.push(() => made.close());
  return made;
}

function options(made: MfaTransport, baseUrl = `https://${HOST}/`): MfaHttpOptions {
  return { baseUrl, clock, timeoutMs: 10_000, fetch: made.fetch };
}

const get = (made: MfaTransport, path: string, baseUrl?: string): Promise<MfaCallResult<unknown>> =>
  callMfa(options(made, baseUrl), 'GET', path);

describe('long-polls over HTTP/2', () => {
  it('three polls wait as streams of one session and are each answered', async () => {
    const { dispatch, held, releaseAll } = holding();
    const server = await serve(dispatch, { tls: good, hostname: HOST });
    const made = transport(server.port, 'auto');
    const polls = ['/poll/1', '/poll/2', '/poll/3'].map((path) => get(made, path));
    await vi.waitFor(() => expect(held).toHaveLength(3), { timeout: 5_000, interval: 20 });
    expect(made.stats()).toEqual({ origins: { [`https://${HOST}`]: 'h2' }, h2Sessions: 1, h2Streams: 3 });
    // The name, not the mapped address, reached the service (the listener answers 421 otherwise).
    expect(held.map((call) => call.url.hostname)).toEqual([HOST, HOST, HOST]);
    releaseAll();
    expect(await Promise.all(polls)).toEqual([
      { kind: 'ok', status: 200, body: { path: '/poll/1' } },
      { kind: 'ok', status: 200, body: { path: '/poll/2' } },
      { kind: 'ok', status: 200, body: { path: '/poll/3' } },
    ]);
    expect(made.stats().h2Streams).toBe(0);
  });

  it('a session reset fails every poll in flight with HTTPS_COMMUNICATION_ERROR; the next call opens a new session', async () => {
    const { dispatch, held } = holding();
    const server = await serve(dispatch, { tls: good, hostname: HOST });
    const made = transport(server.port, 'h2');
    const polls = ['/poll/1', '/poll/2', '/poll/3'].map((path) => get(made, path));
    await vi.waitFor(() => expect(held).toHaveLength(3), { timeout: 5_000, interval: 20 });
    const [session] = server.h2Sessions();
    expect(server.h2Sessions()).toHaveLength(1);
    session?.destroy();
    const results = await Promise.all(polls);
    for (const result of results)
      expect(result).toMatchObject({ kind: 'transport-error', code: 'HTTPS_COMMUNICATION_ERROR' });
    expect(await get(made, '/now')).toEqual({ kind: 'ok', status: 200, body: { now: true } });
    expect(server.h2Sessions()).toHaveLength(1);
  });

  it('more polls than the service allows on one session open more sessions', async () => {
    const { dispatch, held, releaseAll } = holding();
    const server = await serve(dispatch, { tls: good, hostname: HOST, maxConcurrentStreams: 2 });
    const made = transport(server.port, 'h2');
    const polls = [1, 2, 3, 4, 5].map((n) => get(made, `/poll/${n}`));
    await vi.waitFor(() => expect(held).toHaveLength(5), { timeout: 5_000, interval: 20 });
    expect(made.stats()).toMatchObject({ h2Sessions: 3, h2Streams: 5 });
    releaseAll();
    for (const result of await Promise.all(polls)) expect(result).toMatchObject({ kind: 'ok' });
  });

  it('a timeout on the Clock cancels the stream: the service sees its request go away', async () => {
    const { dispatch, held } = holding();
    const server = await serve(dispatch, { tls: good, hostname: HOST });
    const made = transport(server.port, 'h2');
    const virtual = new VirtualClock(0);
    const results: MfaCallResult<unknown>[] = [];
    startMfaCall(
      { baseUrl: `https://${HOST}/`, clock: virtual, timeoutMs: 60_000, exchange: made.exchange },
      { method: 'GET', path: '/poll/1', timeoutMs: 5_000 },
      (result) => results.push(result),
    );
    await vi.waitFor(() => expect(held).toHaveLength(1), { timeout: 5_000, interval: 20 });
    await virtual.advance(5_000);
    expect(results).toEqual([
      { kind: 'transport-error', code: 'HTTPS_COMMUNICATION_ERROR', message: 'no answer within 5000 ms' },
    ]);
    await vi.waitFor(() => expect(held[0]?.signal.aborted).toBe(true), { timeout: 5_000, interval: 20 });
    expect(made.stats().h2Streams).toBe(0);
  });

  it('closing the transport fails the polls in flight', async () => {
    const { dispatch, held } = holding();
    const server = await serve(dispatch, { tls: good, hostname: HOST });
    const made = transport(server.port, 'h2');
    const polls = ['/poll/1', '/poll/2'].map((path) => get(made, path));
    await vi.waitFor(() => expect(held).toHaveLength(2), { timeout: 5_000, interval: 20 });
    made.close();
    for (const result of await Promise.all(polls))
      expect(result).toMatchObject({ kind: 'transport-error', code: 'HTTPS_COMMUNICATION_ERROR' });
  });
});

describe('HTTP/2 or HTTP/1.1: what the service negotiates', () => {
  it('ALPN: a service without HTTP/2 is spoken to in HTTP/1.1 under auto, and refused under h2', async () => {
    const server = await serve(holding().dispatch, { tls: good, hostname: HOST, protocols: 'http1.1' });
    const auto = transport(server.port, 'auto');
    expect(await get(auto, '/now')).toEqual({ kind: 'ok', status: 200, body: { now: true } });
    expect(auto.stats()).toEqual({
      origins: { [`https://${HOST}`]: 'http1.1' },
      h2Sessions: 0,
      h2Streams: 0,
    });
    // Decided once: the next call goes straight to HTTP/1.1.
    expect(await get(auto, '/now')).toMatchObject({ kind: 'ok' });
    const strict = transport(server.port, 'h2');
    const refused = await get(strict, '/now');
    expect(refused).toMatchObject({ kind: 'transport-error', code: 'HTTPS_COMMUNICATION_ERROR' });
    expect(refused.kind === 'transport-error' && refused.message).toMatch(/did not negotiate HTTP\/2/);
  });

  it('http1.1 never opens an HTTP/2 session, even to a service that offers one', async () => {
    const server = await serve(holding().dispatch, { tls: good, hostname: HOST });
    const made = transport(server.port, 'http1.1');
    expect(await get(made, '/now')).toMatchObject({ kind: 'ok' });
    expect(made.stats()).toMatchObject({ h2Sessions: 0 });
    expect(server.h2Sessions()).toHaveLength(0);
  });

  it('plain http:// on loopback: h2 with prior knowledge, HTTP/1.1 when the preface is refused', async () => {
    const both = await serve(holding().dispatch);
    const h2 = transport(both.port, 'auto');
    expect(await get(h2, '/now', both.url)).toMatchObject({ kind: 'ok', body: { now: true } });
    expect(h2.stats().origins).toEqual({ [both.url]: 'h2' });
    // The same port answers HTTP/1.1 clients too.
    const h1 = transport(both.port, 'http1.1');
    expect(await get(h1, '/now', both.url)).toMatchObject({ kind: 'ok', body: { now: true } });

    const old = await serve(holding().dispatch, { protocols: 'http1.1' });
    const auto = transport(old.port, 'auto');
    expect(await get(auto, '/now', old.url)).toMatchObject({ kind: 'ok', body: { now: true } });
    expect(auto.stats().origins).toEqual({ [old.url]: 'http1.1' });
    const strict = transport(old.port, 'h2');
    expect(await get(strict, '/now', old.url)).toMatchObject({
      kind: 'transport-error',
      code: 'HTTPS_COMMUNICATION_ERROR',
    });
  });
});

describe.each(['auto', 'h2'] as const)(
  'failures over HTTP/2 (mfa.http: %s) are classified as over HTTP/1.1',
  (http) => {
    it('a certificate from another CA: untrusted-certificate', async () => {
      const other = await createRunCa({ now: clock.now(), commonName: 'not the run CA' });
      const server = await serve(holding().dispatch, { tls: await other.issue([HOST]), hostname: HOST });
      expect(await get(transport(server.port, http), '/now')).toMatchObject({
        kind: 'transport-error',
        code: 'HTTPS_COMMUNICATION_ERROR',
        tls: 'untrusted-certificate',
      });
    });

    it('a certificate for another name: hostname-mismatch', async () => {
      const wrong = await ca.issue(['strongauthenticationservice.auth.microsoft.com']);
      const server = await serve(holding().dispatch, { tls: wrong, hostname: HOST });
      expect(await get(transport(server.port, http), '/now')).toMatchObject({ tls: 'hostname-mismatch' });
    });

    it('nothing listening: HTTP_CONNECT_ERROR, not a communication error', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      expect(await get(transport(port, http), '/now')).toMatchObject({
        kind: 'transport-error',
        code: 'HTTP_CONNECT_ERROR',
      });
    });
  },
);
