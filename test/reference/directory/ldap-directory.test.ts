// The server's LDAP client (ldapts) against the directory stub over real TCP: lookups, account
// states, binds, and what a down, hanging or refusing directory becomes.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { normaliseServerConfig, type DirectoryConfig } from '../../../reference/config/server-config.ts';
import {
  LdapDirectory,
  escapeFilterValue,
  stripNetbiosDomain,
} from '../../../reference/directory/ldap-directory.ts';
import { accountState, filetimeToMs } from '../../../reference/directory/account-state.ts';
import type { DirectoryUser } from '../../../reference/directory/types.ts';
import { ntPasswordHash } from '../../../protocol/auth/index.ts';
import { SystemClock, VirtualClock } from '../../../runtime/clock.ts';
import { startLdapStub, type LdapStub } from '../../../simulators/ldap/index.ts';
import { demoDirectoryFixture } from '../../../scenarios/embedded/defaults.ts';

function directoryConfig(stub: LdapStub, timeoutMs = 400): DirectoryConfig {
  const result = normaliseServerConfig({
    clients: [{ address: '127.0.0.1', secret: 's' }],
    directory: {
      url: stub.url,
      bindDn: stub.serviceAccount.dn,
      bindPassword: stub.serviceAccount.password,
      baseDn: stub.baseDn,
      timeoutMs,
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config.directory;
}

describe('LdapDirectory against the LDAP stub', () => {
  let stub: LdapStub;
  let directory: LdapDirectory;

  beforeAll(async () => {
    stub = await startLdapStub({ fixturePath: demoDirectoryFixture });
    directory = new LdapDirectory({ config: directoryConfig(stub), url: stub.url, clock: new SystemClock() });
  });

  afterAll(async () => {
    await directory?.close();
    await stub?.stop();
  });

  async function found(name: string): Promise<DirectoryUser> {
    const result = await directory.findUser(name);
    if (result.kind !== 'found') throw new Error(`${name}: ${result.kind}`);
    return result.user;
  }

  it('finds a user by sAMAccountName, by UPN and by DOMAIN\\name, with groups and the NT hash', async () => {
    const alice = await found('alice');
    expect(alice.userPrincipalName).toBe('alice@radmfa.test');
    expect(alice.groups).toEqual(expect.arrayContaining(['VPN-Users', 'VPN-Admins']));
    expect(alice.ntHash?.equals(ntPasswordHash('Passw0rd!'))).toBe(true);
    expect(alice.cleartextPassword).toBe('Passw0rd!');
    expect(alice.state).toBe('active');
    expect((await found('alice@radmfa.test')).dn).toBe(alice.dn);
    expect((await found('RADMFA\\alice')).dn).toBe(alice.dn);
    expect((await directory.findUser('nobody')).kind).toBe('not-found');
  });

  it('reads AD account states: disabled, password must change, locked, expired', async () => {
    expect((await found('grace')).state).toBe('disabled');
    // PASSWORD_EXPIRED and pwdLastSet 0 both hold: "must change" comes first (protocol/ad-account.ts).
    expect((await found('heidi')).state).toBe('password-must-change');
    expect((await found('mallory')).state).toBe('locked');
    expect((await found('oscar')).state).toBe('account-expired');
  });

  it('escapes filter metacharacters instead of letting a User-Name widen the search', async () => {
    expect(escapeFilterValue('a*)(uid=*')).toBe('a\\2a\\29\\28uid=\\2a');
    expect((await directory.findUser('*')).kind).toBe('not-found');
    expect(stripNetbiosDomain('CORP\\bob')).toBe('bob');
  });

  it('an empty login name (or a bare DOMAIN\\) is nobody, without a search', async () => {
    const before = stub.history.searches().length;
    expect(await directory.findUser('')).toEqual({ kind: 'not-found' });
    expect(await directory.findUser('RADMFA\\')).toEqual({ kind: 'not-found' });
    expect(stub.history.searches().length).toBe(before);
  });

  it('a User-Name made of filter syntax is searched for as one literal value', async () => {
    const before = stub.history.searches().length;
    expect((await directory.findUser('*)(sAMAccountName=alice')).kind).toBe('not-found');
    const [search] = stub.history.searches().slice(before);
    expect(search?.filter).toContain('\\2a\\29\\28sAMAccountName=alice');
  });

  it('puts a User-Name with $ replacement patterns into the filter literally', async () => {
    // String.replaceAll would expand $' and $` into parts of the filter template: unbalanced
    // parentheses, a directory error, and the shared service connection torn down for everyone.
    for (const name of ["alice$'", 'alice$`', '$&', "$'alice"]) {
      expect((await directory.findUser(name)).kind, name).toBe('not-found');
    }
    expect((await directory.findUser('alice')).kind).toBe('found');
  });

  it('a login name matching two entries is nobody (ambiguous), and the shared connection stays up', async () => {
    const config = { ...directoryConfig(stub), userFilter: '(|(sAMAccountName={user})(sAMAccountName=bob))' };
    const ambiguous = new LdapDirectory({ config, url: stub.url, clock: new SystemClock() });
    try {
      expect((await ambiguous.findUser('alice')).kind).toBe('not-found');
      expect((await ambiguous.findUser('bob')).kind).toBe('found');
    } finally {
      await ambiguous.close();
    }
  });

  it('binds as the user for PAP: right password ok, wrong and empty refused', async () => {
    const alice = await found('alice');
    expect(await directory.bindAsUser(alice, 'Passw0rd!')).toBe('ok');
    expect(await directory.bindAsUser(alice, 'wrong')).toBe('invalid-credentials');
    expect(await directory.bindAsUser(alice, '')).toBe('invalid-credentials');
  });

  it('a pooled bind connection survives the directory restarting', async () => {
    const alice = await found('alice');
    expect(await directory.bindAsUser(alice, 'Passw0rd!')).toBe('ok');
    await stub.setFaults({ down: true });
    await stub.clearFaults();
    expect(await directory.bindAsUser(alice, 'Passw0rd!')).toBe('ok');
    expect(await directory.bindAsUser(alice, 'wrong')).toBe('invalid-credentials');
  });

  it('a directory that is down or refuses binds is "unavailable", then recovers', async () => {
    await stub.setFaults({ down: true });
    const down = await directory.findUser('alice');
    expect(down.kind).toBe('unavailable');
    await stub.clearFaults();
    expect((await directory.findUser('alice')).kind).toBe('found');

    const alice = await found('alice');
    await stub.setFaults({ refuseBinds: true });
    const refused = await directory.bindAsUser(alice, 'Passw0rd!');
    expect(typeof refused === 'object' && 'unavailable' in refused).toBe(true);
    await stub.clearFaults();
  });

  it('a search the directory never answers is "unavailable" exactly when timeoutMs (400) runs out, on the clock', async () => {
    // The timeout is a timer on the injected clock: in virtual time it is seen to be armed for 400 ms,
    // and nothing ends the lookup before the clock gets there.
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const timed = new LdapDirectory({ config: directoryConfig(stub), url: stub.url, clock });
    try {
      expect((await timed.findUser('alice')).kind).toBe('found');
      await stub.setFaults({ hang: ['search'] });
      const start = clock.now();
      let settled = false;
      const hung = timed.findUser('bob').finally(() => {
        settled = true;
      });
      // The positive signal: the stub holds bob's search, unanswered.
      await vi.waitFor(() => {
        expect(stub.history.pending().some((r) => r.kind === 'search' && r.filter.includes('=bob)'))).toBe(
          true,
        );
      });
      expect(clock.nextDueAt()).toBe(start + 400);
      expect(clock.pendingCount).toBe(1);
      await clock.advanceTo(start + 399);
      expect(settled).toBe(false);
      await clock.advanceTo(start + 400);
      const result = await hung;
      expect(result).toEqual({ kind: 'unavailable', reason: 'directory did not answer within 400 ms' });
      await stub.clearFaults();
      expect((await timed.findUser('bob')).kind).toBe('found');
    } finally {
      await stub.clearFaults();
      await timed.close();
    }
  });
});

describe('account state rules (MS-ADTS userAccountControl and FILETIME)', () => {
  const now = Date.UTC(2026, 0, 1);
  it('never-expiring values and the order of checks', () => {
    expect(filetimeToMs('0')).toBeUndefined();
    expect(filetimeToMs('9223372036854775807')).toBeUndefined();
    expect(filetimeToMs('116444736000000000')).toBe(0);
    expect(accountState({ useraccountcontrol: ['514'], lockouttime: ['1'] }, now)).toBe('disabled');
    expect(accountState({ useraccountcontrol: ['512'], lockouttime: ['1'] }, now)).toBe('locked');
    expect(accountState({ useraccountcontrol: ['512'], accountexpires: ['116444736000000000'] }, now)).toBe(
      'account-expired',
    );
    expect(accountState({ useraccountcontrol: ['512'], pwdlastset: ['0'] }, now)).toBe(
      'password-must-change',
    );
    expect(accountState({ useraccountcontrol: ['512'] }, now)).toBe('active');
  });
});
