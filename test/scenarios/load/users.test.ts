// Who logs in: generated users exist in the directory and the tenant alike with the mix's shares,
// the same iteration gets the same user in every process, and a CSV of credentials is read with
// every bad line named.
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../runtime/validation/index.ts';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import {
  generatedDirectory,
  generatedTenant,
  openUserPool,
  parseCredentialsCsv,
} from '../../../scenarios/load/users.ts';

function profile(input: Record<string, unknown>): LoadProfile {
  const parsed = parseLoadProfile({
    scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '1s' } },
    ...input,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const mix = [
  { name: 'push', weight: 70, method: 'pap', mfa: 'push' },
  { name: 'totp', weight: 20, method: 'pap', mfa: 'totp' },
  { name: 'mschap', weight: 10, method: 'mschapv2', mfa: 'push' },
];

describe('load users', () => {
  it('generates 100,000 users in the directory and the tenant, classes in the mix proportions', () => {
    const p = profile({ mix });
    const directory = generatedDirectory(100_000, 'Passw0rd!');
    const tenant = generatedTenant(100_000, p.mix, 1);
    expect(directory.users).toHaveLength(100_000);
    expect(directory.groups?.[0]?.members).toHaveLength(100_000);
    expect(tenant.users).toHaveLength(100_000);
    const totp = tenant.users.filter((u) => u.methods.includes('app_code')).length;
    expect(Math.abs(totp - 20_000)).toBeLessThan(100);
    expect(tenant.users[0]?.upn).toBe(directory.users?.[0]?.userPrincipalName);
  });

  it('gives iteration i the same user, method and TOTP key wherever it runs', async () => {
    const p = profile({ mix, users: { source: 'generated', count: 500 } });
    const [a, b] = await Promise.all([openUserPool(p), openUserPool(p)]);
    if (!a.ok || !b.ok) throw new Error('pool');
    try {
      for (const i of [0, 1, 7, 499, 500, 12_345]) {
        const x = a.pool.pick(i);
        const y = b.pool.pick(i);
        expect([x.user, x.method, x.totpKey?.toString('hex')]).toEqual([
          y.user,
          y.method,
          y.totpKey?.toString('hex'),
        ]);
      }
      expect(a.pool.pick(500).user).toBe(a.pool.pick(0).user);
      const methods = new Set(Array.from({ length: 500 }, (_, i) => a.pool.pick(i).mixClass.name));
      expect([...methods].sort()).toEqual(['mschap', 'push', 'totp']);
      // The tenant agrees with the pool: a TOTP user's key is the one the MFA mock verifies with.
      const totpUser = Array.from({ length: 500 }, (_, i) => a.pool.pick(i)).find((c) => c.mfa === 'totp');
      const defined = a.pool.embedded?.tenant?.users.find((u) => u.upn.startsWith(`${totpUser?.user}@`));
      expect(defined?.totp?.key.toString('hex')).toBe(totpUser?.totpKey?.toString('hex'));
    } finally {
      await a.pool.dispose();
      await b.pool.dispose();
    }
  });

  it('reads a CSV of credentials and names every bad line', () => {
    const issues: Issue[] = [];
    const rows = parseCredentialsCsv(
      'user,password,method,totpSecret\nalice,Passw0rd!\nbob,Passw0rd!,pap,JBSWY3DPEHPK3PXP\ncarol\ndave,x,telepathy\nerin,x,pap,not-base32!\n',
      'users.csv',
      issues,
    );
    expect(rows.map((r) => [r.user, r.method, r.totpKey !== undefined])).toEqual([
      ['alice', 'pap', false],
      ['bob', 'pap', true],
    ]);
    expect(issues.map((i) => i.path)).toEqual(['users.csv:4', 'users.csv:5', 'users.csv:6']);
    expect(JSON.stringify(issues)).not.toContain('Passw0rd!');
  });
});
