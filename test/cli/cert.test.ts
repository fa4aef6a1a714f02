// `radmfa cert new|list|rollover` end to end: PEM files in a directory, KeyCredentials in a tenant
// file, then a server reading that directory gets tokens from a mock loading that tenant file, over
// real HTTP. And `radmfa serve` refusing to start with only expired certificates (exit 104).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { CommandIo } from '../../cli/command-line.ts';
import { runCert } from '../../cli/cert.ts';
import { main } from '../../cli/main.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { IssueCollector } from '../../runtime/validation/index.ts';
import { normaliseMfa } from '../../reference/config/mfa-config.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import { CertificateCredential } from '../../reference/mfa/client-credential.ts';
import { loadCertificateDir } from '../../reference/mfa/client-certificates.ts';
import { createMfaMock, serveMfaMock } from '../../simulators/mfa/mock.ts';
import { loadTenantFile } from '../../simulators/mfa/tenant.ts';
import { DEMO_DIRECTORY, SERVE_SECRET } from '../../peers/serve-process.ts';

const TENANT_ID = '9d1e0c2b-7a6f-4e5d-8c3b-2a1f0e9d8c7b';
const DAY = 86_400_000;

const TENANT_YAML = `# a tenant for the cert command's tests
tenant:
  id: ${TENANT_ID}
  domains: [radmfa.test]
users:
  - upn: alice@radmfa.test
    methods: [push]
    behaviour: { prompt: { outcome: approve, after: 20ms } }
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function workspace(): { dir: string; certs: string; tenant: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-cert-'));
  dirs.push(dir);
  const tenant = path.join(dir, 'tenant.yaml');
  writeFileSync(tenant, TENANT_YAML);
  return { dir, certs: path.join(dir, 'certs'), tenant };
}

function capture(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    stdout: () => out,
    stderr: () => err,
  };
}

function registered(tenantFile: string): { description?: string; endDate?: string }[] {
  const doc = parseYaml(readFileSync(tenantFile, 'utf8')) as {
    tenant: { certificates?: { description?: string }[] };
  };
  return doc.tenant.certificates ?? [];
}

describe('radmfa cert', () => {
  it('new: writes DIR/<THUMBPRINT>.pem (mode 0600), registers it in the tenant file, prints no key', async () => {
    const w = workspace();
    const io = capture();
    expect(
      await main(['cert', 'new', '--dir', w.certs, '--tenant-file', w.tenant, '--key-type', 'ec-p256'], io),
    ).toBe(0);
    const [file] = readdirSync(w.certs);
    expect(file).toMatch(/^[0-9A-F]{40}\.pem$/);
    const pem = readFileSync(path.join(w.certs, file ?? ''), 'utf8');
    expect(pem).toMatch(/BEGIN CERTIFICATE[\s\S]+BEGIN PRIVATE KEY/);
    expect(statSync(path.join(w.certs, file ?? '')).mode & 0o777).toBe(0o600);
    const thumbprint = file?.slice(0, 40) ?? '';
    expect(io.stdout()).toContain(
      `created ${path.join(w.certs, file ?? '')}: ${thumbprint} CN=${TENANT_ID}, OU=Microsoft NPS Extension`,
    );
    expect(io.stdout() + io.stderr()).not.toMatch(/PRIVATE KEY/);
    expect(registered(w.tenant)).toEqual([
      expect.objectContaining({ description: `radmfa cert, thumbprint ${thumbprint}` }),
    ]);
    // The comment at the top of the tenant file survives the edit.
    expect(readFileSync(w.tenant, 'utf8')).toMatch(/^# a tenant for the cert command's tests/);
    // The tenant file registers only the public part.
    expect(readFileSync(w.tenant, 'utf8')).not.toMatch(/PRIVATE KEY/);

    const list = capture();
    expect(await main(['cert', 'list', '--dir', w.certs, '--tenant-file', w.tenant], list)).toBe(0);
    expect(list.stdout()).toMatch(
      new RegExp(
        `^${thumbprint}  CN=${TENANT_ID}, OU=Microsoft NPS Extension  .*valid, 730 days left  registered  <- in use\\n$`,
      ),
    );
  });

  it('the server with that directory gets a token from a mock loading that tenant file, over HTTP: alice approves', async () => {
    const w = workspace();
    expect(
      await main(
        ['cert', 'new', '--dir', w.certs, '--tenant-file', w.tenant, '--key-type', 'ec-p256'],
        capture(),
      ),
    ).toBe(0);
    const clock = new SystemClock();
    const mock = createMfaMock({ tenant: await loadTenantFile(w.tenant), clock });
    const server = await serveMfaMock(mock, { host: '127.0.0.1', port: 0 });
    const c = new IssueCollector();
    const settings = normaliseMfa(c, {
      serviceUrl: server.url,
      tenantId: TENANT_ID,
      certificates: { dir: w.certs },
    });
    expect(c.issues).toEqual([]);
    const { certificates } = loadCertificateDir(w.certs);
    const mfa = new CloudMfa({
      settings,
      baseUrl: server.url,
      clock,
      credential: new CertificateCredential({ certificates, tenantId: TENANT_ID, clock }),
    });
    try {
      const decision = await mfa.verify({
        client: 'test',
        method: 'pap',
        user: {
          accountName: 'alice',
          dn: 'CN=alice',
          userPrincipalName: 'alice@radmfa.test',
          attributes: {},
          groups: [],
          state: 'active',
        },
      });
      expect(decision).toMatchObject({ kind: 'allow', reason: 'mfa-approved' });
      expect(mock.service.history.list({ endpoint: 'token' }).map((call) => call.result)).toEqual([
        'token_issued',
      ]);
    } finally {
      mfa.close();
      await server.close();
      mock.dispose();
    }
  });

  it('rollover: a new certificate, the expired one deleted and unregistered, the still-valid one kept', async () => {
    const w = workspace();
    const now = Date.now();
    const args = { dir: w.certs, tenantFile: w.tenant, keyType: 'ec-p256', days: 30 } as const;
    // Made 40 days ago for 30 days: expired. Made 20 days ago for 30 days: 10 days left.
    expect(await runCert({ ...args, action: 'new' }, capture(), now - 40 * DAY)).toBe(0);
    expect(await runCert({ ...args, action: 'new' }, capture(), now - 20 * DAY)).toBe(0);
    const [expired, expiring] = loadCertificateDir(w.certs)
      .certificates.slice()
      .sort((a, b) => a.notAfter - b.notAfter);
    const before = capture();
    expect(await main(['cert', 'list', '--dir', w.certs, '--tenant-file', w.tenant], before)).toBe(0);
    expect(before.stdout()).toMatch(new RegExp(`${expired?.thumbprint}  .*  expired  registered\\n`));
    expect(before.stdout()).toMatch(
      new RegExp(`${expiring?.thumbprint}  .*  valid, EXPIRES IN 10 DAY\\(S\\)  registered  <- in use\\n`),
    );

    const io = capture();
    expect(
      await main(
        ['cert', 'rollover', '--dir', w.certs, '--tenant-file', w.tenant, '--key-type', 'ec-p256'],
        io,
      ),
    ).toBe(0);
    expect(io.stdout()).toContain(`deleted expired ${expired?.thumbprint}`);
    expect(io.stdout()).toContain('unregistered 1 expired certificate(s)');
    const after = loadCertificateDir(w.certs).certificates;
    expect(after.map((c) => c.thumbprint)).toContain(expiring?.thumbprint);
    expect(after.map((c) => c.thumbprint)).not.toContain(expired?.thumbprint);
    expect(after).toHaveLength(2);
    expect(registered(w.tenant)).toHaveLength(2);
    const fresh = after.find((c) => c.thumbprint !== expiring?.thumbprint);
    const list = capture();
    expect(await main(['cert', 'list', '--dir', w.certs, '--tenant-file', w.tenant], list)).toBe(0);
    expect(list.stdout()).toMatch(
      new RegExp(`${fresh?.thumbprint}  .*valid, 730 days left  registered  <- in use\\n`),
    );
  });

  it('list exits 1 when no certificate is usable; a wrong action or a missing tenant id exits 104', async () => {
    const w = workspace();
    expect(
      await runCert(
        { action: 'new', dir: w.certs, tenantFile: w.tenant, keyType: 'ec-p256', days: 1 },
        capture(),
        Date.now() - 2 * DAY,
      ),
    ).toBe(0);
    const list = capture();
    expect(await main(['cert', 'list', '--dir', w.certs, '--tenant-id', TENANT_ID], list)).toBe(1);
    expect(list.stderr()).toContain('no usable certificate (all-expired); run radmfa cert rollover');
    const wrong = capture();
    expect(await main(['cert', 'renew', '--dir', w.certs], wrong)).toBe(104);
    expect(wrong.stderr()).toContain(
      'ACTION: "renew" is not an action. Fix: give one of new, list, rollover',
    );
    const noTenant = capture();
    expect(await main(['cert', 'new', '--dir', w.certs], noTenant)).toBe(104);
    expect(noTenant.stderr()).toContain('--tenant-id: is required to new a certificate');
  });
});

describe('radmfa serve with only expired certificates', () => {
  it('refuses to start: exit 104 naming mfa.certificates.dir and the rollover fix, nothing of the key', async () => {
    const w = workspace();
    expect(
      await runCert(
        { action: 'new', dir: w.certs, tenantId: TENANT_ID, keyType: 'ec-p256', days: 30 },
        capture(),
        Date.now() - 40 * DAY,
      ),
    ).toBe(0);
    const config = path.join(w.dir, 'radmfa.yaml');
    writeFileSync(
      config,
      toYaml({
        listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
        clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: SERVE_SECRET }],
        directory: { embedded: { fixture: DEMO_DIRECTORY } },
        mfa: { serviceUrl: 'http://127.0.0.1:9', tenantId: TENANT_ID, certificates: { dir: 'certs' } },
      }),
    );
    const io = capture();
    expect(await main(['serve', '--config', config], io)).toBe(104);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toMatch(
      / {2}- mfa\.certificates\.dir: every certificate that matches has expired: [0-9A-F]{40} on .*\. Fix: make a new one and delete the expired ones: radmfa cert rollover --dir /,
    );
    expect(io.stderr()).not.toMatch(/PRIVATE KEY/);

    // The same with CLIENT_CERT_IDENTIFIER naming a certificate the directory does not hold.
    writeFileSync(
      config,
      toYaml({
        ...(parseYaml(readFileSync(config, 'utf8')) as Record<string, unknown>),
        mfa: {
          serviceUrl: 'http://127.0.0.1:9',
          tenantId: TENANT_ID,
          certificates: { dir: 'certs' },
          CLIENT_CERT_IDENTIFIER: 'ab:'.repeat(19) + 'ab',
        },
      }),
    );
    const byThumbprint = capture();
    expect(await main(['serve', '--config', config], byThumbprint)).toBe(104);
    expect(byThumbprint.stderr()).toMatch(
      / {2}- mfa\.CLIENT_CERT_IDENTIFIER: no certificate in .* has the thumbprint (AB){20} \(found: [0-9A-F]{40}\)\. Fix: copy a thumbprint from radmfa cert list/,
    );
  });
});
