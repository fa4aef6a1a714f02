// The cloud presets and the transport settings: each preset gives the seed's three registry values
// (HKLM\SOFTWARE\Microsoft\AzureMfa, "Microsoft Azure Government or Microsoft Azure operated by
// 21Vianet additional steps"), each value can be overridden, and every mistake is reported at once
// with its field and fix.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IssueCollector } from '../../../runtime/validation/index.ts';
import { mfaEndpoints } from '../../../reference/config/mfa-cloud.ts';
import { normaliseMfa, type MfaSettings } from '../../../reference/config/mfa-config.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';

const BASE = { enabled: true, tenantId: 't', certificates: { dir: tmpdir() } };

function settings(mfa: Record<string, unknown>): MfaSettings {
  const c = new IssueCollector();
  const result = normaliseMfa(c, { ...BASE, ...mfa });
  expect(c.issues).toEqual([]);
  return result;
}

function issues(mfa: Record<string, unknown>): string[] {
  const c = new IssueCollector();
  normaliseMfa(c, { ...BASE, ...mfa });
  return c.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

// The seed's values, copied from its tables (and its network requirements for the public cloud).
const SEED = {
  public: [
    'strongauthenticationservice.auth.microsoft.com',
    'adnotifications.windowsazure.com',
    'https://login.microsoftonline.com/',
  ],
  usgov: [
    'strongauthenticationservice.auth.microsoft.us',
    'adnotifications.windowsazure.us',
    'https://login.microsoftonline.us/',
  ],
  china: [
    'strongauthenticationservice.auth.microsoft.cn',
    'adnotifications.windowsazure.cn',
    'https://login.chinacloudapi.cn/',
  ],
} as const;

describe('cloud presets', () => {
  for (const [cloud, [mfaHost, resourceHost, sts]] of Object.entries(SEED)) {
    it(`${cloud}: the seed's AZURE_MFA_HOSTNAME, AZURE_MFA_RESOURCE_HOSTNAME and STS_URL`, () => {
      const s = settings({ cloud });
      expect([s.AZURE_MFA_HOSTNAME, s.AZURE_MFA_RESOURCE_HOSTNAME, s.STS_URL]).toEqual([
        mfaHost,
        resourceHost,
        sts,
      ]);
      expect(mfaEndpoints(s)).toEqual({
        sts,
        mfa: `https://${mfaHost}/`,
        resource: `https://${resourceHost}`,
      });
    });
  }

  it('public is the default once a host or cloud is named', () => {
    expect(settings({ STS_URL: 'https://login.microsoftonline.com/' }).AZURE_MFA_HOSTNAME).toBe(
      SEED.public[0],
    );
  });

  it('each registry value overrides its preset alone', () => {
    const s = settings({ cloud: 'usgov', AZURE_MFA_HOSTNAME: 'MFA.Lab.Example' });
    expect(s.AZURE_MFA_HOSTNAME).toBe('mfa.lab.example');
    expect(s.AZURE_MFA_RESOURCE_HOSTNAME).toBe(SEED.usgov[1]);
    expect(s.STS_URL).toBe(SEED.usgov[2]);
    expect(settings({ cloud: 'china', STS_URL: 'https://sts.lab.example/' }).STS_URL).toBe(
      'https://sts.lab.example/',
    );
  });

  it('serviceUrl plays every host (one compatible service); the resource still comes from the cloud', () => {
    const s = settings({ cloud: 'usgov', serviceUrl: 'http://127.0.0.1:8080' });
    expect(mfaEndpoints(s)).toEqual({
      sts: 'http://127.0.0.1:8080',
      mfa: 'http://127.0.0.1:8080',
      resource: `https://${SEED.usgov[1]}`,
    });
  });

  it('enabled MFA with neither a service URL, a cloud, nor an embedded tenant is still an error', () => {
    expect(issues({})).toEqual(['mfa.serviceUrl: is missing while mfa.enabled is true']);
  });
});

describe('transport settings: TLS 1.2 floor, plain HTTP only when asked for', () => {
  const dir = mkdtempSync(join(tmpdir(), 'radmfa-cloud-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults: TLS 1.2 minimum, no plain HTTP, no CA file (Node store), no mapping', () => {
    const s = settings({ cloud: 'public' });
    expect(s.minTlsVersion).toBe('TLSv1.2');
    expect(s.allowInsecureHttp).toBe(false);
    expect(s.caFile).toBeUndefined();
    expect(s.resolve).toEqual({});
  });

  it('plain HTTP to a remote host is refused unless allowInsecureHttp; loopback needs no switch', () => {
    expect(issues({ serviceUrl: 'http://mfa.lab.example' })).toEqual([
      'mfa.serviceUrl: is plain HTTP to mfa.lab.example, which was not asked for',
    ]);
    expect(issues({ STS_URL: 'http://login.microsoftonline.us/' })).toEqual([
      'mfa.STS_URL: is plain HTTP to login.microsoftonline.us, which was not asked for',
    ]);
    expect(issues({ serviceUrl: 'http://mfa.lab.example', allowInsecureHttp: true })).toEqual([]);
    expect(issues({ serviceUrl: 'http://127.0.0.1:8080' })).toEqual([]);
    expect(issues({ serviceUrl: 'http://[::1]:8080' })).toEqual([]);
  });

  it('http: auto by default; auto, h2 and http1.1 accepted; anything else named with its fix, with the other mistakes', () => {
    expect(settings({ cloud: 'public' }).http).toBe('auto');
    for (const http of ['auto', 'h2', 'http1.1'] as const)
      expect(settings({ cloud: 'public', http }).http).toBe(http);
    const c = new IssueCollector();
    normaliseMfa(c, { ...BASE, cloud: 'public', http: 'h3', minTlsVersion: 'TLSv1.1' });
    expect(c.issues.map((issue) => issue.path).sort()).toEqual(['mfa.http', 'mfa.minTlsVersion']);
    const http = c.issues.find((issue) => issue.path === 'mfa.http');
    expect(`${http?.message} ${http?.fix}`).toMatch(/auto/);
    expect(`${http?.message} ${http?.fix}`).toMatch(/http1\.1/);
  });

  it('TLS below 1.2 cannot be configured', () => {
    expect(issues({ cloud: 'public', minTlsVersion: 'TLSv1.1' })).toHaveLength(1);
    expect(issues({ cloud: 'public', minTlsVersion: 'TLSv1.1' })[0]).toMatch(/^mfa\.minTlsVersion/);
  });

  it('a CA file must exist and hold a PEM certificate', () => {
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(issues({ cloud: 'public', caFile: join(dir, 'missing.pem') })).toEqual([
      `mfa.caFile: "${join(dir, 'missing.pem')}" does not exist`,
    ]);
    expect(issues({ cloud: 'public', caFile: notPem })).toEqual([
      `mfa.caFile: "${notPem}" holds no PEM certificate`,
    ]);
    expect(settings({ cloud: 'public', caFile: pem }).caFile).toBe(pem);
  });

  it('every mistake at once, each with its field and fix', () => {
    const c = new IssueCollector();
    normaliseMfa(c, {
      ...BASE,
      cloud: 'germany',
      AZURE_MFA_HOSTNAME: 'https://strongauthenticationservice.auth.microsoft.us',
      STS_URL: 'https://login.microsoftonline.us/tenant/path',
      resolve: { 'login.microsoftonline.us': 'localhost:443', 'bad host': '127.0.0.1:1' },
    });
    expect(c.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'mfa.AZURE_MFA_HOSTNAME',
        'mfa.STS_URL',
        'mfa.cloud',
        'mfa.resolve.bad host',
        'mfa.resolve.login.microsoftonline.us',
      ].sort(),
    );
    for (const issue of c.issues) expect(issue.fix).not.toBe('');
  });

  it('an invalid mfa section makes the whole server config invalid (exit 104 in radmfa serve)', () => {
    const result = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { url: 'ldap://127.0.0.1:389' },
      mfa: { ...BASE, STS_URL: 'http://login.microsoftonline.us/' },
    });
    expect(result.ok).toBe(false);
  });
});
