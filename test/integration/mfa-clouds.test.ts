// The reference server's MFA client against one MFA mock per cloud, over HTTPS with a CA made for
// the run: each cloud preset's host names (the seed's registry values) reach their own loopback
// listeners, the token service and the MFA host fail apart ("security token error" vs "HTTP connect
// error", as the seed's troubleshooting tells them apart), and refused certificates fail closed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../protocol/auth/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { IssueCollector } from '../../runtime/validation/index.ts';
import { CLOUD_PRESETS, MFA_CLOUDS, type MfaCloud } from '../../reference/config/mfa-cloud.ts';
import { normaliseMfa } from '../../reference/config/mfa-config.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import type { MfaContext, MfaDecision } from '../../reference/mfa/second-factor.ts';
import {
  createMfaMock,
  serveMfaCloud,
  type MfaCloudServers,
  type MfaMock,
} from '../../simulators/mfa/index.ts';
import { createRunCa, type RunCa } from '../../simulators/mfa/run-ca.ts';
import { embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { testCredential } from '../support/certificates.ts';
import { runRadmfa } from '../support/radmfa-cli.ts';
import { DEMO_TOTP_SECRET, loadDemoTenant, startMfaStack, upn } from '../support/mfa-stack.ts';

const clock = new SystemClock();
const dir = mkdtempSync(join(tmpdir(), 'radmfa-clouds-'));
let ca: RunCa;
let caFile: string;

beforeAll(async () => {
  ca = await createRunCa({ now: clock.now() });
  caFile = join(dir, 'run-ca.pem');
  writeFileSync(caFile, ca.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CloudFixture {
  readonly mock: MfaMock;
  readonly servers: MfaCloudServers;
  readonly client: CloudMfa;
}
const open: CloudFixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) {
    f.client.close();
    await f.servers.close();
    f.mock.dispose();
  }
});

const stsHost = (cloud: MfaCloud): string => new URL(CLOUD_PRESETS[cloud].STS_URL).hostname;

interface CloudOptions {
  /** Certificate for a host name; default: the run CA's for that name. */
  readonly certificateFor?: (hostname: string) => Promise<{ key: string; cert: string }>;
  /** mfa settings on top of the cloud's. */
  readonly mfa?: Record<string, unknown>;
}

/** One cloud's mock on its own two listeners, and a client configured for that cloud. */
async function cloudFixture(cloud: MfaCloud, options: CloudOptions = {}): Promise<CloudFixture> {
  const tenant = await loadDemoTenant();
  const preset = CLOUD_PRESETS[cloud];
  const mock = createMfaMock({ tenant, clock, resource: `https://${preset.AZURE_MFA_RESOURCE_HOSTNAME}` });
  const servers = await serveMfaCloud(mock, {
    hostnames: { sts: stsHost(cloud), mfa: preset.AZURE_MFA_HOSTNAME },
    certificateFor: options.certificateFor ?? ((hostname) => ca.issue([hostname])),
  });
  const c = new IssueCollector();
  const settings = normaliseMfa(c, {
    enabled: true,
    cloud,
    tenantId: tenant.id,
    certificates: { dir },
    caFile,
    // Never the internet: every name the client can ask for is mapped to a loopback listener.
    resolve: servers.resolve,
    httpTimeoutMs: 5_000,
    ...options.mfa,
  });
  expect(c.issues).toEqual([]);
  const client = new CloudMfa({ settings, clock, credential: testCredential(clock, tenant.id) });
  const fixture = { mock, servers, client };
  open.push(fixture);
  return fixture;
}

const context = (name: string): MfaContext => ({
  user: {
    dn: `CN=${name},DC=radmfa,DC=test`,
    accountName: name,
    userPrincipalName: upn(name),
    groups: [],
    state: 'active',
    attributes: {},
  },
  method: 'pap',
  client: 'vpn',
});

const currentCode = (): string => {
  const key = base32Decode(DEMO_TOTP_SECRET);
  if (!key.ok) throw new Error('demo TOTP secret');
  return totp(key.value, clock.now());
};

/** bob (app code): token from the STS, begin on the MFA host, then the code. */
async function bobLogsIn(client: CloudMfa): Promise<[MfaDecision, MfaDecision | undefined]> {
  const first = await client.verify(context('bob'));
  if (first.kind !== 'challenge') return [first, undefined];
  return [first, await client.submitCode(context('bob'), first.session, currentCode())];
}

describe.each(MFA_CLOUDS)('cloud %s', (cloud) => {
  it("resolves to the seed's host names and logs in through its own two listeners over HTTPS", async () => {
    const { mock, servers, client } = await cloudFixture(cloud);
    expect(client.endpoints.sts).toBe(CLOUD_PRESETS[cloud].STS_URL);
    expect(client.endpoints.mfa).toBe(`https://${CLOUD_PRESETS[cloud].AZURE_MFA_HOSTNAME}/`);
    const [first, second] = await bobLogsIn(client);
    expect(first).toMatchObject({ kind: 'challenge' });
    expect(second).toMatchObject({ kind: 'allow', reason: 'mfa-code-accepted' });
    const calls = mock.service.history.list({});
    expect(calls.map((call) => [call.endpoint, call.result])).toEqual([
      ['token', 'token_issued'],
      ['begin', 'enter_app_code'],
      ['code', 'accepted'],
    ]);
    // Both listeners are this cloud's: their names are the ones the client was mapped to.
    expect(Object.keys(servers.resolve).sort()).toEqual(
      [stsHost(cloud), CLOUD_PRESETS[cloud].AZURE_MFA_HOSTNAME].sort(),
    );
  });
});

describe('the token host and the MFA host fail apart', () => {
  it('STS unreachable: security token error (ESTS_TOKEN_ERROR), nothing reaches the MFA host', async () => {
    const { mock, servers, client } = await cloudFixture('usgov');
    mock.service.faults.set({ unreachable: { hosts: ['sts'] } });
    await servers.settled();
    expect(servers.sts.listening).toBe(false);
    expect(servers.mfa.listening).toBe(true);
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', reason: 'mfa-unavailable', code: 'ESTS_TOKEN_ERROR' });
    expect(decision.kind === 'deny' ? decision.detail : '').toMatch(
      /security token error: no token from login\.microsoftonline\.us \(HTTP_CONNECT_ERROR/,
    );
    expect(mock.service.history.list({ endpoint: 'begin' })).toHaveLength(0);
  });

  it('STS unreachable while a token is held: the MFA host still works', async () => {
    const { mock, servers, client } = await cloudFixture('usgov');
    expect((await client.verify(context('bob'))).kind).toBe('challenge');
    mock.service.faults.set({ unreachable: { hosts: ['sts'] } });
    await servers.settled();
    const [first, second] = await bobLogsIn(client);
    expect(first.kind).toBe('challenge');
    expect(second).toMatchObject({ kind: 'allow' });
  });

  it('any fault on the token endpoint is a security token error: 5xx, a dropped connection', async () => {
    for (const faults of [
      { serverError: { endpoints: ['token' as const] } },
      { drop: { endpoints: ['token' as const] } },
    ]) {
      const { mock, client } = await cloudFixture('public');
      mock.service.faults.set(faults);
      const decision = await client.verify(context('bob'));
      expect(decision).toMatchObject({ kind: 'deny', reason: 'mfa-unavailable', code: 'ESTS_TOKEN_ERROR' });
      expect(decision.kind === 'deny' ? decision.detail : '').toMatch(
        /^security token error: no token from login\.microsoftonline\.com/,
      );
    }
  });

  it('the same faults on the MFA host keep their own codes: ServiceUnavailable, HTTPS communication error', async () => {
    const { mock, client } = await cloudFixture('public');
    mock.service.faults.set({ serverError: { endpoints: ['begin'], times: 1 } });
    expect(await client.verify(context('bob'))).toMatchObject({ kind: 'deny', code: 'ServiceUnavailable' });
    mock.service.faults.set({ drop: { endpoints: ['begin'], times: 1 } });
    expect(await client.verify(context('bob'))).toMatchObject({
      kind: 'deny',
      code: 'HTTPS_COMMUNICATION_ERROR',
    });
  });

  it('MFA host unreachable: HTTP connect error after a token was issued', async () => {
    const { mock, servers, client } = await cloudFixture('china');
    mock.service.faults.set({ unreachable: { hosts: ['mfa'] } });
    await servers.settled();
    expect(servers.sts.listening).toBe(true);
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', reason: 'mfa-unavailable', code: 'HTTP_CONNECT_ERROR' });
    expect(mock.service.history.list({}).map((call) => [call.endpoint, call.result])).toEqual([
      ['token', 'token_issued'],
    ]);
  });

  it('a resource of another cloud: the STS refuses the token (security token error)', async () => {
    const { client } = await cloudFixture('usgov', {
      mfa: { AZURE_MFA_RESOURCE_HOSTNAME: CLOUD_PRESETS.public.AZURE_MFA_RESOURCE_HOSTNAME },
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', code: 'ESTS_TOKEN_ERROR' });
    expect(decision.kind === 'deny' ? decision.detail : '').toMatch(/unknown_resource/);
  });
});

describe('HTTPS: certificates are verified, fail closed', () => {
  const refusal = (decision: MfaDecision): string =>
    decision.kind === 'deny' ? (decision.detail ?? '') : '';

  it('a CA the server was not given: untrusted-certificate (MFA host: HTTPS communication error)', async () => {
    const other = await createRunCa({ now: clock.now(), commonName: 'someone else' });
    const { client } = await cloudFixture('public', {
      certificateFor: (hostname) => (hostname.startsWith('login.') ? ca : other).issue([hostname]),
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({
      kind: 'deny',
      reason: 'mfa-unavailable',
      code: 'HTTPS_COMMUNICATION_ERROR',
    });
    expect(refusal(decision)).toMatch(/TLS untrusted-certificate/);
  });

  it('the same on the STS: security token error, with the TLS reason', async () => {
    const other = await createRunCa({ now: clock.now(), commonName: 'someone else' });
    const { client } = await cloudFixture('public', {
      certificateFor: (hostname) => other.issue([hostname]),
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', code: 'ESTS_TOKEN_ERROR' });
    expect(refusal(decision)).toMatch(/TLS untrusted-certificate/);
  });

  it('an expired server certificate: certificate-expired', async () => {
    const now = clock.now();
    const { client } = await cloudFixture('public', {
      certificateFor: (hostname) =>
        hostname.startsWith('login.')
          ? ca.issue([hostname])
          : ca.issue([hostname], {
              notBefore: new Date(now - 7_200_000),
              notAfter: new Date(now - 3_600_000),
            }),
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', code: 'HTTPS_COMMUNICATION_ERROR' });
    expect(refusal(decision)).toMatch(/TLS certificate-expired/);
  });

  it('a certificate for another host name: hostname-mismatch', async () => {
    const { client } = await cloudFixture('public', {
      certificateFor: (hostname) =>
        ca.issue([hostname.startsWith('login.') ? hostname : 'adnotifications.windowsazure.com']),
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'deny', code: 'HTTPS_COMMUNICATION_ERROR' });
    expect(refusal(decision)).toMatch(/TLS hostname-mismatch/);
  });

  it('fail-open does not turn a refused certificate into a silent pass: it is named as fail-open', async () => {
    const other = await createRunCa({ now: clock.now() });
    const { client } = await cloudFixture('public', {
      certificateFor: (hostname) => (hostname.startsWith('login.') ? ca : other).issue([hostname]),
      mfa: { failMode: 'fail-open' },
    });
    const decision = await client.verify(context('bob'));
    expect(decision).toMatchObject({ kind: 'allow', reason: 'fail-open', code: 'HTTPS_COMMUNICATION_ERROR' });
  });
});

describe('the embedded stack with mfa.embedded.https', () => {
  const tenantFile = (): string => {
    const mfa = embeddedDefaultConfig().mfa as { embedded: { tenant: string } };
    return mfa.embedded.tenant;
  };

  it("a RADIUS login goes through the cloud's names over HTTPS with the run's CA (usgov)", async () => {
    const running = await startMfaStack({
      mfa: { cloud: 'usgov', embedded: { tenant: tenantFile(), https: true } },
    });
    try {
      expect(running.stack.config.mfa.resolve).toHaveProperty('login.microsoftonline.us');
      expect(running.stack.config.mfa.resolve).toHaveProperty(
        'strongauthenticationservice.auth.microsoft.us',
      );
      expect(running.stack.config.mfa.serviceUrl).toBe('');
      expect(running.mfaUrl).toBe('https://strongauthenticationservice.auth.microsoft.us/');
      const result = await running.login({ user: 'alice' });
      expect(result.outcome).toBe('accept');
      const calls = running.mock.service.history.list({});
      expect(calls.map((call) => call.endpoint).slice(0, 2)).toEqual(['token', 'begin']);
      expect(running.events.access.at(-1)).toMatchObject({ outcome: 'accept', reason: 'mfa-approved' });
    } finally {
      await running.close();
    }
  });

  it('the STS down in the embedded stack: rejected with the security token error', async () => {
    const running = await startMfaStack({
      mfa: { cloud: 'china', embedded: { tenant: tenantFile(), https: true } },
    });
    try {
      running.mock.service.faults.set({ unreachable: { hosts: ['sts'] } });
      await running.stack.mfaHttp?.settled();
      const result = await running.login({ user: 'alice' });
      expect(result.outcome).toBe('reject');
      expect(running.events.access.at(-1)).toMatchObject({
        outcome: 'reject',
        reason: 'mfa-unavailable',
        mfa: { code: 'ESTS_TOKEN_ERROR' },
      });
      expect(running.begins(upn('alice'))).toBe(0);
    } finally {
      await running.close();
    }
  });
});

describe('radmfa serve refuses bad cloud and TLS settings (exit 104, field and fix)', () => {
  it('lists every cloud/TLS mistake at once', async () => {
    const file = join(dir, 'bad-cloud.yaml');
    writeFileSync(
      file,
      [
        'clients: [{ address: 127.0.0.1/32, secret: testing123 }]',
        'directory: { url: "ldap://127.0.0.1:389" }',
        'mfa:',
        '  tenantId: t',
        '  certificates: { dir: . }',
        '  cloud: germany',
        '  AZURE_MFA_HOSTNAME: https://strongauthenticationservice.auth.microsoft.us',
        '  STS_URL: http://login.microsoftonline.us/',
        '  caFile: no-such-ca.pem',
        '  minTlsVersion: TLSv1.1',
        '  resolve: { login.microsoftonline.us: "localhost:443" }',
        '',
      ].join('\n'),
    );
    const result = await runRadmfa(['serve', '--config', file]);
    expect(result.exitCode).toBe(104);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
    for (const field of [
      'mfa.cloud',
      'mfa.AZURE_MFA_HOSTNAME',
      'mfa.STS_URL',
      'mfa.caFile',
      'mfa.minTlsVersion',
      'mfa.resolve.login.microsoftonline.us',
    ]) {
      const line = lines.find((l) => l.startsWith(`  - ${field}: `));
      expect(line, `no issue for ${field} in:\n${result.stderr}`).toBeDefined();
      expect(line).toMatch(/\. Fix: \S/);
    }
  });
});
