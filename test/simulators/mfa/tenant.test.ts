import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TENANT_SETTINGS,
  isValidPhoneNumber,
  loadTenantFile,
  normaliseThumbprint,
  parseTenant,
  parseTenantYaml,
} from '../../../simulators/mfa/tenant.ts';
import { DEMO_TENANT_FILE } from './support/harness.ts';

function issuesOf(text: string): { path: string; message: string; fix: string }[] {
  const result = parseTenantYaml(text);
  if (result.ok) throw new Error('expected issues');
  return [...result.issues];
}

describe('the demo tenant', () => {
  it('loads, with the users the scenarios rely on', async () => {
    const tenant = await loadTenantFile(DEMO_TENANT_FILE);
    expect(tenant.id).toBe('3f6b2c1e-8a4d-4e2f-9b7a-0c5d1e2f3a4b');
    expect(tenant.settings).toEqual(DEFAULT_TENANT_SETTINGS);
    const byName = new Map(tenant.users.map((u) => [u.upn.split('@')[0], u]));
    expect(byName.get('alice')).toMatchObject({ methods: ['push'], defaultMethod: 'push' });
    expect(byName.get('alice')?.behaviour.prompt).toEqual({
      outcome: 'approve',
      responseTime: { kind: 'fixed', ms: 2000 },
    });
    expect(byName.get('bob')?.totp).toMatchObject({
      secret: 'JBSWY3DPEHPK3PXP',
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
    });
    expect(byName.get('carol')?.behaviour.prompt.outcome).toBe('deny');
    expect(byName.get('dave')).toMatchObject({ enrolled: false, methods: [] });
    expect(byName.get('erin')).toMatchObject({ methods: ['sms'], phone: '+12025550105' });
    expect(byName.get('frank')?.behaviour.prompt.outcome).toBe('ignore');
    expect(byName.get('ivan')).toMatchObject({ methods: ['phone_call'] });
    expect(byName.get('ivan')?.behaviour.prompt.responseTime).toEqual({ kind: 'fixed', ms: 5000 });
    expect(byName.get('judy')?.behaviour.prompt.responseTime).toEqual({ kind: 'fixed', ms: 45_000 });
    for (const name of ['grace', 'heidi', 'mallory']) expect(byName.get(name)?.methods).toEqual(['push']);
  });
});

describe('validation', () => {
  it('reports every problem at once, each naming the field and the fix', () => {
    const issues = issuesOf(`
tenant:
  id: t
  domains: []
  certificates: [{ thumbprint: nothex }]
settings: { sessionLifetime: 3 minutes, maxWrongCodes: 0, colour: blue }
users:
  - upn: alice
    methods: [push, push, telepathy]
    defaultMethod: sms
  - upn: erin@x.test
    methods: [sms, app_code]
    totp: { secret: 'not base32!' }
    behaviour: { prompt: { outcome: maybe, after: { uniform: { min: 5s, max: 1s } } }, code: { wrongCodeProbability: 1.5 } }
  - upn: ERIN@x.test
    enrolled: true
`);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tenant.domains',
        'tenant.certificates[0]',
        'settings.sessionLifetime',
        'settings.maxWrongCodes',
        'settings.colour',
        'users[0].upn',
        'users[0].methods[1]',
        'users[0].methods[2]',
        'users[0].defaultMethod',
        'users[1].phone',
        'users[1].totp.secret',
        'users[1].behaviour.prompt.outcome',
        'users[1].behaviour.prompt.after.uniform.max',
        'users[1].behaviour.code.wrongCodeProbability',
        'users[2].methods',
        'users[2]',
      ]),
    );
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(0);
      expect(issue.fix.length).toBeGreaterThan(0);
    }
    expect(issues.find((i) => i.path === 'users[2]')?.message).toMatch(/already used by users\[1\]/);
  });

  it('reports YAML syntax errors and a missing tenant', () => {
    expect(issuesOf('tenant: [unclosed')[0]).toMatchObject({
      path: '',
      message: expect.stringMatching(/^is not valid YAML/) as unknown,
    });
    expect(parseTenant(42)).toMatchObject({ ok: false });
    expect(issuesOf('users: []').map((i) => i.path)).toContain('tenant');
  });

  it('refuses a prompt timeout longer than the session', () => {
    const issues = issuesOf(`
tenant: { id: t, domains: [x.test], certificates: [{ file: test/fixtures/certificates/test-client.pem }] }
settings: { sessionLifetime: 1m, promptTimeout: 2m }
`);
    expect(issues.map((i) => i.path)).toEqual(['settings.promptTimeout']);
  });

  it('throws MFA_TENANT_INVALID listing the issues, MFA_TENANT_UNREADABLE for a missing file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-tenant-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'tenant: { id: t }\n');
    await expect(loadTenantFile(file)).rejects.toMatchObject({ code: 'MFA_TENANT_INVALID' });
    await expect(loadTenantFile(file)).rejects.toThrow(/tenant\.domains/);
    await expect(loadTenantFile(path.join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'MFA_TENANT_UNREADABLE',
    });
  });
});

describe('helpers', () => {
  it('normalises thumbprints as certificate tools print them', () => {
    expect(normaliseThumbprint('a1:b2 c3')).toBe('A1B2C3');
  });

  it('accepts E.164 numbers with the usual separators only', () => {
    expect(isValidPhoneNumber('+1 (202) 555-0105')).toBe(true);
    expect(isValidPhoneNumber('2025550105')).toBe(false);
    expect(isValidPhoneNumber('+0 555')).toBe(false);
  });
});
