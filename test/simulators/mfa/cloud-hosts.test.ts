// The MFA mock as one cloud: the token service and the MFA host on their own loopback listeners,
// under their own names (Host checked), over HTTPS with the run's CA; `unreachable` can take one
// host down and leave the other up.

import { request as httpsRequest } from 'node:https';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../runtime/clock.ts';
import { tokenPath, type MfaHost } from '../../../protocol/mfa-api.ts';
import { createMfaTransport, type MfaTransport } from '../../../reference/mfa/mfa-transport.ts';
import {
  createMfaMock,
  serveMfaCloud,
  serveMfaMock,
  validateFaultSettings,
  type MfaCloudServers,
  type MfaMock,
} from '../../../simulators/mfa/index.ts';
import { createRunCa, type RunCa } from '../../../simulators/mfa/run-ca.ts';
import { loadDemoTenant } from '../../support/mfa-stack.ts';
import { testCredential } from '../../support/certificates.ts';

const STS = 'login.microsoftonline.us';
const MFA = 'strongauthenticationservice.auth.microsoft.us';
const clock = new SystemClock();
let ca: RunCa;
beforeAll(async () => {
  ca = await createRunCa({ now: clock.now() });
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Cloud {
  readonly mock: MfaMock;
  readonly servers: MfaCloudServers;
  readonly transport: MfaTransport;
  /** A call to `host` by its name (mapped to its listener, verified against the run CA). */
  send(
    host: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

async function cloud(): Promise<Cloud> {
  const mock = createMfaMock({ tenant: await loadDemoTenant(), clock });
  cleanups.push(() => mock.dispose());
  const servers = await serveMfaCloud(mock, {
    hostnames: { sts: STS, mfa: MFA },
    certificateFor: (hostname) => ca.issue([hostname]),
  });
  cleanups.push(() => servers.close());
  const resolve = new Map(
    Object.entries(servers.resolve).map(([host, target]) => {
      const [address = '', port = '0'] = target.split(':');
      return [host, { address, port: Number(port) }] as const;
    }),
  );
  const transport = createMfaTransport({
    ca: ca.certPem,
    minTlsVersion: 'TLSv1.2',
    allowInsecureHttp: false,
    resolve,
  });
  cleanups.push(() => transport.close());
  const send: Cloud['send'] = (host, method, path, body, headers = {}) =>
    transport.fetch(new URL(path, `https://${host}/`), {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { mock, servers, transport, send };
}

/** A client_credentials request with the test certificate's assertion for the token URL `audience`. */
function assertionFor(audience: string): object {
  const body = testCredential(clock).signedRequest(audience);
  if ('error' in body) throw new Error(body.error);
  return body;
}

const token = (c: Cloud, host = STS): Promise<Response> => {
  const path = tokenPath(c.mock.service.tenant.id);
  return c.send(host, 'POST', path, assertionFor(`https://${host}${path}`));
};

describe('one listener per host, over HTTPS', () => {
  it('the STS issues tokens under its name; the MFA host takes the bearer for begin', async () => {
    const c = await cloud();
    const issued = await token(c);
    expect(issued.status).toBe(200);
    const { accessToken } = (await issued.json()) as { accessToken: string };
    const begun = await c.send(
      MFA,
      'POST',
      '/mfa/v1/authentications',
      { user: 'bob@radmfa.test' },
      {
        authorization: `Bearer ${accessToken}`,
      },
    );
    expect(begun.status).toBe(201);
  });

  it('each host serves only its own endpoints: no token on the MFA host, no begin on the STS', async () => {
    const c = await cloud();
    expect((await token(c, MFA)).status).toBe(404);
    expect((await c.send(STS, 'POST', '/mfa/v1/authentications', { user: 'bob@radmfa.test' })).status).toBe(
      404,
    );
  });

  it('a request naming another host is misdirected (421)', async () => {
    const c = await cloud();
    // TLS to the STS listener under its own name, but a Host header for the public cloud's STS.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: c.servers.sts.port,
          servername: STS,
          ca: ca.certPem,
          path: '/_admin/health',
          headers: { host: 'login.microsoftonline.com' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    expect((await c.send(STS, 'GET', '/_admin/health')).status).toBe(200);
  });
});

describe('unreachable, per host', () => {
  const cases: readonly [MfaHost, string, string][] = [
    ['sts', STS, MFA],
    ['mfa', MFA, STS],
  ];
  for (const [host, down, up] of cases) {
    it(`hosts: [${host}] closes ${down} (refused) and leaves ${up} answering; clearing reopens it`, async () => {
      const c = await cloud();
      c.mock.service.faults.set({ unreachable: { hosts: [host] } });
      await c.servers.settled();
      await expect(c.send(down, 'GET', '/_admin/health')).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });
      expect((await c.send(up, 'GET', '/_admin/health')).status).toBe(200);
      c.mock.service.faults.clear();
      await c.servers.settled();
      expect((await c.send(down, 'GET', '/_admin/health')).status).toBe(200);
    });
  }

  it('on a single listener playing both hosts, only the unreachable host fails (network error)', async () => {
    const mock = createMfaMock({ tenant: await loadDemoTenant(), clock });
    cleanups.push(() => mock.dispose());
    const server = await serveMfaMock(mock);
    cleanups.push(() => server.close());
    mock.service.faults.set({ unreachable: { hosts: ['sts'] } });
    await server.settled();
    expect(server.listening).toBe(true);
    await expect(
      fetch(`${server.url}${tokenPath(mock.service.tenant.id)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(assertionFor(`${server.url}${tokenPath(mock.service.tenant.id)}`)),
      }),
    ).rejects.toThrow(/fetch failed/);
    const begin = await fetch(`${server.url}/mfa/v1/authentications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob@radmfa.test' }),
    });
    // The MFA host answers: without a token it refuses the call, as it should.
    expect(begin.status).toBe(401);
  });

  it('unreachable.hosts is checked like every other fault setting', () => {
    expect(validateFaultSettings({ unreachable: { hosts: ['sts', 'mfa'] } }).ok).toBe(true);
    const bad = validateFaultSettings({ unreachable: { hosts: ['login'] } });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues.map((issue) => issue.path)).toEqual(['unreachable.hosts']);
    expect(validateFaultSettings({ unreachable: { hosts: [] } }).ok).toBe(false);
  });
});

describe('the token service and the resource', () => {
  it('a token asked for another resource is refused with ESTS_TOKEN_ERROR (unknown_resource)', async () => {
    const mock = createMfaMock({
      tenant: await loadDemoTenant(),
      clock,
      resource: 'https://adnotifications.windowsazure.us',
    });
    cleanups.push(() => mock.dispose());
    const server = await serveMfaMock(mock);
    cleanups.push(() => server.close());
    const ask = (resource: string): Promise<Response> =>
      fetch(`${server.url}${tokenPath(mock.service.tenant.id)}?resource=${encodeURIComponent(resource)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(assertionFor(`${server.url}${tokenPath(mock.service.tenant.id)}`)),
      });
    expect((await ask('https://adnotifications.windowsazure.us/')).status).toBe(200);
    const refused = await ask('https://adnotifications.windowsazure.com');
    const body = (await refused.json()) as { error: { code: string; detail?: string } };
    expect(body.error.code).toBe('ESTS_TOKEN_ERROR');
    expect(body.error.detail).toMatch(/^unknown_resource/);
  });
});
