// The in-memory directory of virtual stacks reads the demo fixture the way LdapDirectory reads the
// LDAP stub serving the same file: names, groups, account states, NT hash, the password check.
import { describe, expect, it } from 'vitest';
import { ntPasswordHash } from '../../protocol/auth/index.ts';
import { VirtualClock } from '../../runtime/clock.ts';
import { StaticDirectory } from '../../reference/directory/static-directory.ts';
import { demoDirectoryFixture } from '../../scenarios/embedded/defaults.ts';
import { VIRTUAL_START_MS, staticRecords } from '../../scenarios/embedded/stacks.ts';
import { loadDirectoryFixture } from '../../simulators/ldap/index.ts';

async function demoDirectory(): Promise<StaticDirectory> {
  const fixture = await loadDirectoryFixture(demoDirectoryFixture);
  return new StaticDirectory({ users: staticRecords(fixture), clock: new VirtualClock(VIRTUAL_START_MS) });
}

describe('StaticDirectory over the demo fixture', () => {
  it('finds a user by sAMAccountName, UPN or DOMAIN\\name, with groups and NT hash', async () => {
    const directory = await demoDirectory();
    for (const name of ['alice', 'ALICE@radmfa.test', 'RADMFA\\alice']) {
      const found = await directory.findUser(name);
      expect(found.kind, name).toBe('found');
      if (found.kind !== 'found') continue;
      expect(found.user.accountName).toBe('alice');
      expect(found.user.groups).toEqual(expect.arrayContaining(['VPN-Users', 'VPN-Admins']));
      expect(found.user.state).toBe('active');
      expect(found.user.ntHash?.equals(ntPasswordHash('Passw0rd!'))).toBe(true);
      expect(found.user.attributes.mail).toEqual(['alice.anderson@radmfa.test']);
    }
    expect((await directory.findUser('nobody')).kind).toBe('not-found');
  });

  it('reports the account states the fixture sets', async () => {
    const directory = await demoDirectory();
    const state = async (name: string): Promise<string> => {
      const found = await directory.findUser(name);
      return found.kind === 'found' ? found.user.state : found.kind;
    };
    expect(await state('grace')).toBe('disabled');
    expect(await state('heidi')).toBe('password-must-change');
    expect(await state('mallory')).toBe('locked');
    expect(await state('oscar')).toBe('account-expired');
  });

  it('checks the password on bind and refuses an empty one', async () => {
    const directory = await demoDirectory();
    const found = await directory.findUser('bob');
    if (found.kind !== 'found') throw new Error('bob is in the demo directory');
    expect(await directory.bindAsUser(found.user, 'Passw0rd!')).toBe('ok');
    expect(await directory.bindAsUser(found.user, 'wrong')).toBe('invalid-credentials');
    expect(await directory.bindAsUser(found.user, '')).toBe('invalid-credentials');
  });
});
