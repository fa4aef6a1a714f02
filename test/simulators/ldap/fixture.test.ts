import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDirectoryFixture,
  DEMO_DIRECTORY_FIXTURE_PATH,
  DirectoryFixtureError,
  directoryToLdif,
  FILETIME_NEVER,
  loadDirectoryFixture,
  parseDirectoryFixture,
  type DirectoryFixtureInput,
} from '../../../simulators/ldap/index.ts';
import { formatIssue, type Issue } from '../../../runtime/validation/index.ts';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/directory');

const base: DirectoryFixtureInput = {
  baseDn: 'DC=radmfa,DC=test',
  serviceAccount: { dn: 'CN=svc,DC=radmfa,DC=test', password: 'svc-pass' },
};

function issuesOf(input: unknown): readonly Issue[] {
  const result = checkDirectoryFixture(input);
  if (result.ok) throw new Error('expected the fixture to be rejected');
  return result.issues;
}

describe('directory fixture', () => {
  it('loads the demo tenant with the account states the brief lists', async () => {
    const fixture = await loadDirectoryFixture(DEMO_DIRECTORY_FIXTURE_PATH);
    const sams = fixture.users.map((user) => user.sAMAccountName);
    expect(sams).toEqual(
      expect.arrayContaining([
        'alice',
        'bob',
        'carol',
        'dave',
        'erin',
        'frank',
        'grace',
        'heidi',
        'ivan',
        'judy',
        'mallory',
      ]),
    );
    const user = (sam: string) => fixture.users.find((candidate) => candidate.sAMAccountName === sam);
    expect(user('alice')?.userPrincipalName).toBe('alice@radmfa.test');
    expect(user('alice')?.password).toBe('Passw0rd!');
    expect(user('grace')?.userAccountControl).toBe(514);
    expect(user('heidi')?.userAccountControl).toBe(0x800200);
    expect(user('heidi')?.pwdLastSet).toBe('0');
    expect(user('mallory')?.lockoutTime).not.toBe('0');
    expect(user('alice')?.accountExpires).toBe(FILETIME_NEVER);
    expect(user('alice')?.memberOf).toEqual([
      'CN=VPN-Users,OU=Groups,DC=radmfa,DC=test',
      'CN=VPN-Admins,OU=Groups,DC=radmfa,DC=test',
    ]);
    for (const normal of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'ivan', 'judy']) {
      expect(user(normal)?.memberOf).toContain('CN=VPN-Users,OU=Groups,DC=radmfa,DC=test');
      const names = user(normal)?.attributes.map((attribute) => attribute.name);
      expect(names).toEqual(expect.arrayContaining(['mobile', 'employeeID']));
    }
    expect(fixture.containers.map((container) => container.dn)).toEqual([
      'OU=Service Accounts,DC=radmfa,DC=test',
      'OU=Users,DC=radmfa,DC=test',
      'OU=Groups,DC=radmfa,DC=test',
    ]);
  });

  it('reads JSON, derives naming attributes, resolves memberOf both ways and nested groups', async () => {
    const fixture = await loadDirectoryFixture(path.join(FIXTURES, 'minimal.json'));
    expect(fixture.baseKind).toBe('organization');
    expect(fixture.containers.map((container) => [container.dn, container.kind])).toEqual([
      ['CN=System,O=Example Corp', 'container'],
      ['OU=People,O=Example Corp', 'organizationalUnit'],
      ['OU=Groups,O=Example Corp', 'organizationalUnit'],
    ]);
    const staff = fixture.groups.find((group) => group.cn === 'Staff');
    expect(staff?.members).toEqual([
      'CN=Yann Young,OU=People,O=Example Corp',
      'UID=zoe,OU=People,O=Example Corp',
    ]);
    expect(staff?.memberOf).toEqual(['CN=Everyone,OU=Groups,O=Example Corp']);
    const ldif = directoryToLdif(fixture);
    expect(ldif).toContain('dn: UID=zoe,OU=People,O=Example Corp\n');
    expect(ldif).toContain('\nuid: zoe\n');
    // Non-ASCII values are base64 in LDIF (RFC 2849 SAFE-STRING is ASCII only).
    expect(ldif).toContain(`cn:: ${Buffer.from('Zoë Zimmer').toString('base64')}`);
  });

  it('serves the NT hash as the Samba schema does (uppercase hex MD4 of UTF-16LE)', async () => {
    const fixture = await loadDirectoryFixture(path.join(FIXTURES, 'minimal.json'));
    // The widely published NT hash of "password".
    expect(directoryToLdif(fixture)).toContain('sambaNTPassword: 8846F7EAEE8FB117AD06BDD830B7586C');
  });

  it('reports every problem at once, each naming the field and the fix', async () => {
    const error = await loadDirectoryFixture(path.join(FIXTURES, 'invalid.yaml')).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DirectoryFixtureError);
    const fixtureError = error as DirectoryFixtureError;
    expect(fixtureError.code).toBe('LDAP_FIXTURE_INVALID');
    // Each issue reads "path: message. Fix: fix"; the assertions span the message and the fix.
    const byPath = new Map(fixtureError.issues.map((issue) => [issue.path, formatIssue(issue)]));
    for (const issue of fixtureError.issues) expect(issue.fix, issue.path).not.toBe('');
    expect(byPath.get('serviceAccount.password')).toMatch(/is missing\. Fix: .*bind/);
    expect(byPath.get('users[0].dn')).toMatch(/must lie below baseDn DC=radmfa,DC=test/);
    expect(byPath.get('users[1].sAMAccountName')).toMatch(/already used by users\[0\].*case-insensitively/);
    expect(byPath.get('users[1].password')).toMatch(/quote it/);
    expect(byPath.get('users[1].userAccountControl')).toMatch(/512 \(normal\)/);
    expect(byPath.get('users[1].accountExpires')).toMatch(/ISO-8601/);
    expect(byPath.get('users[1].attributes.userPassword')).toMatch(/set the `password` field/);
    expect(byPath.get('users[1].attributes.mobile')).toMatch(/at least one value/);
    expect(byPath.get('users[2].cn')).toMatch(/must equal the DN's CN value "Carol"/);
    expect(byPath.get('users[2].userPrincipalName')).toMatch(/user@suffix/);
    expect(byPath.get('users[2].mobile')).toMatch(/is not a known setting\. Fix: .*under attributes/);
    expect(byPath.get('groups[0].members[0]')).toMatch(/"nobody" matches no user or group/);
    expect(fixtureError.message).toContain('invalid.yaml');
    expect(fixtureError.message).toContain(`  - ${formatIssue(fixtureError.issues[0] as Issue)}`);
  });

  it('rejects syntax errors, a bad base DN and unknown fields', () => {
    expect(() => parseDirectoryFixture('baseDn: [', 'yaml', 'broken.yaml')).toThrow(/not valid YAML/);
    expect(issuesOf({ ...base, baseDn: 'not a dn' })).toContainEqual({
      path: 'baseDn',
      message: expect.stringMatching(/is not a valid DN/) as string,
      fix: 'write it like "DC=radmfa,DC=test"',
    });
    expect(issuesOf({ ...base, baseDn: 'L=Paris' })[0]?.message).toMatch(/DC=, O=, OU= or CN=/);
    expect(issuesOf({ ...base, user: [] })).toContainEqual({
      path: 'user',
      message: 'is not a known setting',
      fix: expect.stringMatching(/^did you mean users\?/) as string,
    });
    expect(issuesOf('just text')[0]).toMatchObject({
      path: '',
      message: 'must be a mapping, got string "just text"',
    });
  });

  it('rejects duplicate DNs, over-long names and parents that cannot be created', () => {
    const issues = issuesOf({
      ...base,
      users: [
        { dn: 'CN=A,OU=X,DC=radmfa,DC=test', sAMAccountName: 'a' },
        { dn: 'cn=a, ou=x, dc=RADMFA, dc=test', sAMAccountName: 'b' },
        { dn: 'CN=C,L=Paris,DC=radmfa,DC=test', sAMAccountName: 'c'.repeat(21) },
      ],
    });
    expect(issues.map((issue) => issue.path)).toEqual([
      'users[1].dn',
      'users[2].dn',
      'users[2].sAMAccountName',
    ]);
    expect(issues[0]?.message).toMatch(/duplicates the DN of users\[0\]\.dn/);
    expect(issues[1]?.message).toMatch(/only OU= and CN= containers/);
    expect(issues[2]?.message).toMatch(/at most 20 characters/);
  });

  it('accepts account times as never, 0, ISO-8601 or FILETIME', () => {
    const result = checkDirectoryFixture({
      ...base,
      users: [
        { dn: 'CN=A,DC=radmfa,DC=test', sAMAccountName: 'a', accountExpires: 0, pwdLastSet: '2024-01-01' },
        {
          dn: 'CN=B,DC=radmfa,DC=test',
          sAMAccountName: 'b',
          accountExpires: '133500000000000000',
          lockoutTime: 'never',
        },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.fixture.users[0]?.accountExpires).toBe('0');
    // 2024-01-01T00:00:00Z = (1704067200000 ms + 11644473600000 ms) * 10^4.
    expect(result.fixture.users[0]?.pwdLastSet).toBe('133485408000000000');
    expect(result.fixture.users[1]?.accountExpires).toBe('133500000000000000');
  });
});
