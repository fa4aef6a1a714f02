import { request } from 'node:http';
// What only the loopback HTTP mode does: real time on a SystemClock, connection-level faults as a
// client's socket sees them, the listener closing and reopening on the same port, request limits.

import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../runtime/clock.ts';
import {
  createMfaMock,
  serveMfaMock,
  type MfaHttpServer,
  type MfaMock,
} from '../../../simulators/mfa/mock.ts';
import { parseTenantYaml, tenantOrThrow } from '../../../simulators/mfa/tenant.ts';
import { MfaTestClient, errorCode, okBody } from './support/client.ts';
import { virtualDemoMock } from './support/harness.ts';

const FAST_TENANT = `
tenant:
  id: fast-tenant
  domains: [radmfa.test]
  certificates: [{ file: test/fixtures/certificates/test-client.pem }]
users:
  - upn: quick@radmfa.test
    methods: [push]
    behaviour: { prompt: { outcome: approve, after: 150ms } }
`;

const opened: { mock: MfaMock; server: MfaHttpServer }[] = [];

async function open(mock: MfaMock): Promise<{ server: MfaHttpServer; client: MfaTestClient }> {
  const server = await serveMfaMock(mock);
  opened.push({ mock, server });
  return { server, client: new MfaTestClient(server.url, mock.service.clock) };
}

afterEach(async () => {
  for (const { mock, server } of opened.splice(0)) {
    await server.close();
    mock.dispose();
  }
});

describe('MFA mock over real HTTP', () => {
  it('runs a push login in real time on a SystemClock', async () => {
    const mock = createMfaMock({
      tenant: tenantOrThrow(parseTenantYaml(FAST_TENANT)),
      clock: new SystemClock(),
    });
    const { server, client } = await open(mock);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    okBody(await client.login('fast-tenant'));
    const begun = okBody(await client.begin({ user: 'quick@radmfa.test' }));
    const session = okBody(await client.poll(begun.sessionId, 5000));
    expect(session).toMatchObject({ status: 'approved', decidedAt: begun.createdAt + 150 });
  });

  it('shows a dropped connection as a socket error and unreachable as connection refused', async () => {
    const { mock } = await virtualDemoMock();
    const { server, client } = await open(mock);
    okBody(await client.login());
    mock.service.faults.set({ drop: { times: 1 } });
    const dropped = await client.begin({ user: 'alice@radmfa.test' });
    expect(dropped).toEqual({ kind: 'network', error: 'UND_ERR_SOCKET' });

    mock.service.faults.set({ unreachable: {} });
    await server.settled();
    expect(server.listening).toBe(false);
    // A pooled keep-alive connection may be the first to notice (reset), new connections are refused.
    const first = await client.begin({ user: 'alice@radmfa.test' });
    expect(first.kind === 'network' && first.error).toMatch(/^(ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET)$/);
    expect(await client.begin({ user: 'alice@radmfa.test' })).toEqual({
      kind: 'network',
      error: 'ECONNREFUSED',
    });
    expect(mock.service.history.count({ endpoint: 'begin' })).toBe(1);

    const port = server.port;
    mock.service.faults.clear();
    await server.settled();
    expect(server.port).toBe(port);
    expect(okBody(await client.begin({ user: 'alice@radmfa.test' })).next).toBe('push_sent');
  });

  it('can be made unreachable over its own admin API, and comes back after forMs', async () => {
    const { clock, mock } = await virtualDemoMock();
    const { server, client } = await open(mock);
    expect((await client.setFaults({ unreachable: { forMs: 1000 } })).kind).toBe('ok');
    await server.settled();
    expect((await client.calls()).kind).toBe('network');
    await clock.advance(1000);
    await server.settled();
    expect(okBody(await client.calls()).calls).toEqual([]);
  });

  it('answers long-polls in flight when closed', async () => {
    const { mock } = await virtualDemoMock();
    const { server, client } = await open(mock);
    okBody(await client.login());
    const sessionId = okBody(await client.begin({ user: 'frank@radmfa.test' })).sessionId;
    const poll = client.poll(sessionId, 60_000);
    await mock.service.history.waitFor({ endpoint: 'poll' });
    await server.close();
    const reply = await poll;
    // Either the pending status made it out before the socket closed, or the socket closed first.
    expect(reply.kind === 'ok' ? reply.body.status : reply.kind).toMatch(/^(pending|network)$/);
  });

  it('answers unknown paths with 404 and oversized bodies with 413', async () => {
    const { mock } = await virtualDemoMock();
    const { client } = await open(mock);
    const missing = await client.call('GET', '/no/such/endpoint');
    expect(missing.kind === 'error' && missing.status).toBe(404);
    const huge = await client.call('POST', '/mfa/v1/authentications', { user: 'x'.repeat(70_000) });
    expect(huge.kind === 'error' && huge.status).toBe(413);
    expect(errorCode(huge)).toBe('REQUEST_FORMAT_ERROR');
  });

  it('decodes a percent-encoded id once, and answers malformed encoding with 400', async () => {
    const { mock } = await virtualDemoMock();
    const { client } = await open(mock);
    okBody(await client.login());
    // "%25" is an encoded "%": the id is the six characters "%E0%A4", not bytes to decode again.
    const encodedPercent = await client.call('GET', '/mfa/v1/authentications/%25E0%25A4');
    expect(errorCode(encodedPercent)).toBe('InvalidSession');
    // A client's malformed request is its own error, not the service being unavailable (5xx).
    const malformed = await client.call('GET', '/mfa/v1/authentications/%E0%A4');
    expect(malformed.kind === 'error' && malformed.status).toBe(400);
    expect(errorCode(malformed)).toBe('REQUEST_FORMAT_ERROR');
  });

  it('answers a request line fetch cannot represent (TRACE) with 400, not a 5xx outage', async () => {
    const { mock } = await virtualDemoMock();
    const { server } = await open(mock);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/mfa/v1/authentications`, { method: 'TRACE' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('serves on ::1 too', async () => {
    const { mock } = await virtualDemoMock();
    const server = await serveMfaMock(mock, { host: '::1' });
    opened.push({ mock, server });
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const client = new MfaTestClient(server.url, mock.service.clock);
    expect((await client.login()).kind).toBe('ok');
  });
});
