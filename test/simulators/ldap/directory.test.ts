// The directory engine without sockets: binds, scopes, limits and the root DSE.
import { describe, expect, it } from 'vitest';
import { unescapeFilterValue } from '../../../simulators/ldap/ldapjs-server.ts';
import {
  accountState,
  Directory,
  LdapResultCode,
  validateDirectoryFixture,
  type BoundIdentity,
  type DirectorySearchRequest,
} from '../../../simulators/ldap/index.ts';

const fixture = validateDirectoryFixture({
  baseDn: 'DC=corp,DC=test',
  serviceAccount: { dn: 'CN=svc,CN=Users,DC=corp,DC=test', password: 'svc-pass' },
  defaults: { password: 'pw' },
  users: [
    { dn: 'CN=Ann,CN=Users,DC=corp,DC=test', sAMAccountName: 'ann' },
    { dn: 'CN=Ben,CN=Users,DC=corp,DC=test', sAMAccountName: 'ben', userAccountControl: 512 | 0x10 },
    { dn: 'CN=Cid,OU=Staff,CN=Users,DC=corp,DC=test', sAMAccountName: 'cid', pwdLastSet: 0 },
  ],
});
const directory = new Directory(fixture);
const service: BoundIdentity = { kind: 'entry', dn: fixture.serviceAccount.dn, entryKind: 'service-account' };

function search(overrides: Partial<DirectorySearchRequest>, identity: BoundIdentity = service) {
  return directory.search(
    {
      baseDn: 'DC=corp,DC=test',
      scope: 'sub',
      filter: { type: 'present', attribute: 'objectClass' },
      attributes: [],
      sizeLimit: 0,
      typesOnly: false,
      ...overrides,
    },
    identity,
  );
}

describe('Directory', () => {
  it('answers binds as AD does, including the lockout flag and pwdLastSet=0', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(directory.bind('CN=Ann,CN=Users,DC=corp,DC=test', 'pw', now)).toMatchObject({ ok: true });
    expect(directory.bind('CN=Ben,CN=Users,DC=corp,DC=test', 'pw', now)).toMatchObject({
      ok: false,
      reason: 'locked',
    });
    expect(directory.bind('CN=Cid,OU=Staff,CN=Users,DC=corp,DC=test', 'pw', now)).toMatchObject({
      ok: false,
      reason: 'password-must-change',
      diagnosticMessage: expect.stringContaining('data 773') as string,
    });
    // RFC 4513 5.1.2: a DN without a password is an unauthenticated bind, refused.
    expect(directory.bind('CN=Ann,CN=Users,DC=corp,DC=test', '', now)).toMatchObject({
      ok: false,
      resultCode: LdapResultCode.unwillingToPerform,
    });
    // Binding as a container is not binding as an account.
    expect(directory.bind('CN=Users,DC=corp,DC=test', 'pw', now)).toMatchObject({
      ok: false,
      reason: 'not-a-user',
    });
  });

  it('creates CN= containers as AD does and searches each scope', () => {
    const dns = (overrides: Partial<DirectorySearchRequest>) =>
      search(overrides).entries.map((entry) => entry.dn);
    expect(dns({ baseDn: 'CN=Users,DC=corp,DC=test', scope: 'one' })).toEqual([
      'OU=Staff,CN=Users,DC=corp,DC=test',
      'CN=svc,CN=Users,DC=corp,DC=test',
      'CN=Ann,CN=Users,DC=corp,DC=test',
      'CN=Ben,CN=Users,DC=corp,DC=test',
    ]);
    expect(dns({ baseDn: 'cn=users,dc=corp,dc=test', scope: 'base' })).toEqual(['CN=Users,DC=corp,DC=test']);
    expect(dns({})).toHaveLength(7);
    expect(search({ baseDn: 'CN=Users,DC=corp,DC=test', scope: 'base' }).entries[0]?.attributes).toEqual([
      { name: 'objectClass', values: ['top', 'container'] },
      { name: 'cn', values: ['Users'] },
    ]);
  });

  it('reports noSuchObject with the closest existing ancestor, and stops at the size limit', () => {
    expect(search({ baseDn: 'CN=Gone,OU=Staff,CN=Users,DC=corp,DC=test' })).toMatchObject({
      resultCode: LdapResultCode.noSuchObject,
      matchedDn: 'OU=Staff,CN=Users,DC=corp,DC=test',
    });
    const limited = search({ sizeLimit: 2 });
    expect(limited.resultCode).toBe(LdapResultCode.sizeLimitExceeded);
    expect(limited.entries).toHaveLength(2);
  });

  it('returns attribute types only when asked, and the root DSE to anyone', () => {
    const typesOnly = search({
      filter: { type: 'equality', attribute: 'sAMAccountName', value: 'ann' },
      typesOnly: true,
    });
    expect(typesOnly.entries[0]?.attributes.every((attribute) => attribute.values.length === 0)).toBe(true);
    const rootDse = search({ baseDn: '', scope: 'base' }, { kind: 'anonymous' });
    expect(rootDse.entries[0]?.attributes).toContainEqual({
      name: 'namingContexts',
      values: ['DC=corp,DC=test'],
    });
    expect(search({}, { kind: 'anonymous' }).resultCode).toBe(LdapResultCode.operationsError);
  });

  it('computes account states from the attributes alone', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const active = { userAccountControl: 512, accountExpires: '0', pwdLastSet: '133485408000000000' };
    expect(accountState(active, now)).toBe('active');
    expect(accountState({ ...active, lockoutTime: '0' }, now)).toBe('active');
    expect(accountState({ ...active, accountExpires: '133485408000000000' }, now)).toBe('account-expired');
    // Disabled wins over locked (protocol/ad-account.ts: Windows' order).
    expect(accountState({ ...active, userAccountControl: 514, lockoutTime: '1' }, now)).toBe('disabled');
  });
});

describe('ldapjs filter values', () => {
  it('decodes the RFC 4515 escapes ldapjs leaves in assertion values', () => {
    expect(unescapeFilterValue('Zo\\c3\\ab')).toBe('Zoë');
    expect(unescapeFilterValue('a\\2ab\\5c\\28')).toBe('a*b\\(');
    expect(unescapeFilterValue('plain')).toBe('plain');
  });
});
