// The LDAP stub driven by the ldapts client the reference server uses, over real loopback TCP.
import { connect } from 'node:net';
import { Client, InvalidCredentialsError, type ClientOptions } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import {
  DEMO_DIRECTORY_FIXTURE_PATH,
  LdapStubError,
  sambaNtPassword,
  startLdapStub,
  type LdapStub,
} from '../../../simulators/ldap/index.ts';

const BASE = 'DC=radmfa,DC=test';
const ALICE_DN = 'CN=Alice Anderson,OU=Users,DC=radmfa,DC=test';
const userDn = (cn: string): string => `CN=${cn},OU=Users,DC=radmfa,DC=test`;
const PASSWORD = 'Passw0rd!';

function client(stub: LdapStub, options: Partial<ClientOptions> = {}): Client {
  return new Client({ url: stub.url, timeout: 5_000, connectTimeout: 2_000, ...options });
}

async function bindError(
  stub: LdapStub,
  dn: string,
  password: string,
): Promise<{ code: unknown; message: string }> {
  const ldap = client(stub);
  try {
    await ldap.bind(dn, password);
    throw new Error(`bind as ${dn} unexpectedly succeeded`);
  } catch (error) {
    const failure = error as { code?: unknown; message: string };
    return { code: failure.code, message: failure.message };
  } finally {
    await ldap.unbind();
  }
}

async function asService<T>(stub: LdapStub, work: (ldap: Client) => Promise<T>): Promise<T> {
  const ldap = client(stub);
  try {
    await ldap.bind(stub.serviceAccount.dn, stub.serviceAccount.password);
    return await work(ldap);
  } finally {
    await ldap.unbind();
  }
}

describe('LDAP stub over TCP (ldapts client)', () => {
  let stub: LdapStub;

  beforeAll(async () => {
    stub = await startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH });
  });
  afterAll(async () => {
    await stub.stop();
  });
  afterEach(async () => {
    await stub.clearFaults();
    stub.history.clear();
  });

  it('listens on 127.0.0.1 on an ephemeral port', () => {
    expect(stub.host).toBe('127.0.0.1');
    expect(stub.port).toBeGreaterThan(0);
    expect(stub.url).toBe(`ldap://127.0.0.1:${stub.port}`);
  });

  it('binds the service account and users by DN, in any case', async () => {
    await asService(stub, () => Promise.resolve());
    const ldap = client(stub);
    await ldap.bind('cn=alice anderson,ou=users,dc=radmfa,dc=test', PASSWORD);
    await ldap.unbind();
    expect(stub.history.binds().map((record) => record.resultCode)).toEqual([0, 0]);
  });

  it('answers a wrong password with invalidCredentials (49) and AD data code 52e', async () => {
    const failure = await bindError(stub, ALICE_DN, 'wrong');
    expect(failure.code).toBe(49);
    expect(failure.message).toMatch(/AcceptSecurityContext error, data 52e/);
    expect(stub.history.binds()[0]).toMatchObject({
      dn: ALICE_DN,
      resultCode: 49,
      failure: 'wrong-password',
    });
  });

  it.each([
    ['Grace Green', '533', 'disabled'],
    // PASSWORD_EXPIRED and pwdLastSet 0: "must change" wins (protocol/ad-account.ts), data 773.
    ['Heidi Hughes', '773', 'password-must-change'],
    ['Mallory Moore', '775', 'locked'],
    ['Oscar Owens', '701', 'account-expired'],
  ])('refuses %s with the right password: 49, data %s (%s)', async (cn, data, reason) => {
    const failure = await bindError(stub, userDn(cn), PASSWORD);
    expect(failure.code).toBe(49);
    expect(failure.message).toContain(`data ${data}`);
    expect(stub.history.binds()[0]?.failure).toBe(reason);
  });

  it('refuses unknown DNs (data 525) and anonymous binds (48) by default', async () => {
    const unknown = await bindError(stub, userDn('Nobody'), PASSWORD);
    expect(unknown.code).toBe(49);
    expect(unknown.message).toContain('data 525');
    const anonymous = await bindError(stub, '', '');
    expect(anonymous.code).toBe(48);
  });

  it('finds a user by sAMAccountName, case-insensitively, with memberOf and the NT hash', async () => {
    const { searchEntries } = await asService(stub, (ldap) =>
      ldap.search(BASE, {
        scope: 'sub',
        filter: '(&(objectClass=user)(sAMAccountName=ALICE))',
        attributes: [
          'samaccountname',
          'USERPRINCIPALNAME',
          'memberOf',
          'sambaNTPassword',
          'userAccountControl',
          'mobile',
          'employeeID',
        ],
      }),
    );
    expect(searchEntries).toEqual([
      {
        dn: ALICE_DN,
        sAMAccountName: 'alice',
        userPrincipalName: 'alice@radmfa.test',
        memberOf: ['CN=VPN-Users,OU=Groups,DC=radmfa,DC=test', 'CN=VPN-Admins,OU=Groups,DC=radmfa,DC=test'],
        sambaNTPassword: sambaNtPassword(PASSWORD),
        userAccountControl: '512',
        mobile: '+12025550101',
        employeeID: 'E1001',
      },
    ]);
    expect(sambaNtPassword(PASSWORD)).toMatch(/^[0-9A-F]{32}$/);
  });

  it('finds a user by userPrincipalName, and by an alternate login ID attribute', async () => {
    const byUpn = await asService(stub, (ldap) =>
      ldap.search(BASE, { filter: '(userPrincipalName=bob@radmfa.test)', attributes: ['cn', 'mail'] }),
    );
    expect(byUpn.searchEntries).toEqual([
      { dn: userDn('Bob Brown'), cn: 'Bob Brown', mail: 'bob.brown@radmfa.test' },
    ]);
    const byEmployeeId = await asService(stub, (ldap) =>
      ldap.search(BASE, { filter: '(employeeID=e1002)', attributes: ['sAMAccountName'] }),
    );
    expect(byEmployeeId.searchEntries).toEqual([{ dn: userDn('Bob Brown'), sAMAccountName: 'bob' }]);
  });

  it('serves the account attributes the server needs to tell states apart', async () => {
    const { searchEntries } = await asService(stub, (ldap) =>
      ldap.search(BASE, {
        filter:
          '(|(sAMAccountName=grace)(sAMAccountName=heidi)(sAMAccountName=mallory)(sAMAccountName=oscar))',
        attributes: ['sAMAccountName', 'userAccountControl', 'lockoutTime', 'pwdLastSet', 'accountExpires'],
      }),
    );
    const bySam = new Map(searchEntries.map((entry) => [entry.sAMAccountName, entry]));
    expect(Number(bySam.get('grace')?.userAccountControl) & 0x2).toBe(0x2);
    expect(Number(bySam.get('heidi')?.userAccountControl) & 0x800000).toBe(0x800000);
    expect(bySam.get('heidi')?.pwdLastSet).toBe('0');
    expect(BigInt(String(bySam.get('mallory')?.lockoutTime))).toBeGreaterThan(0n);
    // ldapts lists a requested attribute the entry lacks as an empty array.
    expect(bySam.get('grace')?.lockoutTime).toEqual([]);
    // accountExpires as FILETIME in the past: 2024-06-30T00:00:00Z = (1719705600000 + 11644473600000) ms * 10^4.
    expect(bySam.get('oscar')?.accountExpires).toBe('133641792000000000');
  });

  it("filters enabled users with AD's bitwise matching rule and honours scopes", async () => {
    const enabled = await asService(stub, (ldap) =>
      ldap.search(`OU=Users,${BASE}`, {
        scope: 'one',
        filter: '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
        attributes: ['sAMAccountName'],
      }),
    );
    const names = enabled.searchEntries.map((entry) => entry.sAMAccountName);
    expect(names).not.toContain('grace');
    expect(names).toContain('alice');
    expect(names).not.toContain('svc-radius');
    const base = await asService(stub, (ldap) =>
      ldap.search(ALICE_DN, { scope: 'base', attributes: ['1.1'] }),
    );
    // "1.1" asks for no attributes (RFC 4511 4.5.1.8); ldapts echoes the requested name as empty.
    expect(base.searchEntries.map((entry) => entry.dn)).toEqual([ALICE_DN]);
    expect(Object.values(base.searchEntries[0] ?? {}).flat()).toEqual([ALICE_DN]);
    const noSuch = await asService(stub, (ldap) =>
      ldap.search(`OU=Nowhere,${BASE}`, { filter: '(objectClass=*)' }).catch((error: unknown) => error),
    );
    expect((noSuch as { code?: number }).code).toBe(32);
  });

  it('decodes escaped filter values: an escaped "*" is a literal, not a wildcard', async () => {
    const search = (filter: string) =>
      asService(stub, (ldap) => ldap.search(BASE, { filter, attributes: ['sAMAccountName'] }));
    expect(
      (await search('(sAMAccountName=ali*)')).searchEntries.map((entry) => entry.sAMAccountName),
    ).toEqual(['alice']);
    expect((await search('(sAMAccountName=ali\\2a)')).searchEntries).toEqual([]);
    expect((await search('(displayName=Alice\\20Anderson)')).searchEntries).toHaveLength(1);
    expect(stub.history.searches().map((record) => record.filter)).toContain('(sAMAccountName=ali\\2a)');
  });

  it('lists group members', async () => {
    const { searchEntries } = await asService(stub, (ldap) =>
      ldap.search(BASE, {
        filter: '(&(objectClass=group)(cn=VPN-Admins))',
        attributes: ['member', 'sAMAccountName'],
      }),
    );
    expect(searchEntries).toEqual([
      { dn: 'CN=VPN-Admins,OU=Groups,DC=radmfa,DC=test', member: ALICE_DN, sAMAccountName: 'VPN-Admins' },
    ]);
  });

  it("refuses searches before a bind with AD's 000004DC operationsError", async () => {
    const ldap = client(stub);
    const error = await ldap
      .search(BASE, { filter: '(sAMAccountName=alice)' })
      .catch((caught: unknown) => caught);
    await ldap.unbind();
    expect((error as { code?: number }).code).toBe(1);
    expect((error as Error).message).toContain('000004DC');
  });

  it('is read-only: writes get unwillingToPerform (53)', async () => {
    const error = await asService(stub, (ldap) =>
      ldap
        .add(`CN=Eve,OU=Users,${BASE}`, { objectClass: 'person', cn: 'Eve', sn: 'Eve' })
        .catch((caught: unknown) => caught),
    );
    expect((error as { code?: number }).code).toBe(53);
    expect(stub.history.all().map((record) => record.kind)).toEqual(['bind', 'other']);
  });

  it('records binds and searches in its history, never passwords', async () => {
    await asService(stub, (ldap) =>
      ldap.search(BASE, { filter: '(sAMAccountName=carol)', attributes: ['cn'] }),
    );
    const [bind, search] = stub.history.all();
    expect(bind).toMatchObject({ kind: 'bind', dn: stub.serviceAccount.dn, resultCode: 0, failure: null });
    expect(search).toMatchObject({
      kind: 'search',
      baseDn: expect.stringMatching(/^DC=radmfa,DC=test$/i) as string,
      scope: 'sub',
      filter: '(sAMAccountName=carol)',
      attributes: ['cn'],
      boundAs: stub.serviceAccount.dn,
      entryDns: [userDn('Carol Clark')],
      resultCode: 0,
    });
    expect(search?.connectionId).toBe(bind?.connectionId);
    expect(JSON.stringify(stub.history.all())).not.toContain(stub.serviceAccount.password);
  });

  it('refuses binds on demand (unavailable, 52) and recovers', async () => {
    await stub.setFaults({ refuseBinds: true });
    const refused = await bindError(stub, ALICE_DN, PASSWORD);
    expect(refused.code).toBe(52);
    expect(stub.history.binds()[0]?.failure).toBe('refused-by-fault');
    await stub.setFaults({ refuseBinds: { resultCode: 51, diagnosticMessage: 'busy' } });
    expect((await bindError(stub, ALICE_DN, PASSWORD)).code).toBe(51);
    await stub.setFaults({ refuseBinds: false });
    await asService(stub, () => Promise.resolve());
  });

  it('hangs on demand: the client times out, the request stays unanswered', async () => {
    await stub.setFaults({ hang: ['search'] });
    const ldap = client(stub, { timeout: 300 });
    await ldap.bind(stub.serviceAccount.dn, stub.serviceAccount.password);
    const error = await ldap
      .search(BASE, { filter: '(sAMAccountName=alice)' })
      .catch((caught: unknown) => caught);
    await ldap.unbind().catch(() => undefined);
    expect((error as Error).message).toMatch(/SearchRequest: Operation timed out/);
    const search = stub.history.searches()[0];
    expect(search).toMatchObject({ answeredAt: null, resultCode: null });
  });

  it('validates faults', async () => {
    const error = await stub.setFaults({ latencyMs: -5 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LdapStubError);
    expect((error as LdapStubError).code).toBe('LDAP_FAULTS_INVALID');
    expect((error as Error).message).toMatch(/latencyMs must be a finite number >= 0/);
  });
});

describe('LDAP stub faults that need their own instance', () => {
  it('adds latency through the injected clock (virtual time)', async () => {
    const clock = new VirtualClock(Date.parse('2025-06-01T00:00:00Z'));
    const stub = await startLdapStub({
      fixturePath: DEMO_DIRECTORY_FIXTURE_PATH,
      clock,
      faults: { latencyMs: 1_500 },
    });
    const ldap = client(stub);
    try {
      let settled = false;
      const bind = ldap.bind(ALICE_DN, PASSWORD).then(() => {
        settled = true;
      });
      await vi.waitFor(() => expect(clock.pendingCount).toBe(1));
      await clock.advance(1_499);
      expect(settled).toBe(false);
      await clock.advance(1);
      await bind;
      expect(settled).toBe(true);
      const [record] = stub.history.binds();
      expect(record?.receivedAt).toBe(Date.parse('2025-06-01T00:00:00Z'));
      expect((record?.answeredAt ?? 0) - (record?.receivedAt ?? 0)).toBe(1_500);
      expect(record?.resultCode).toBe(0);
    } finally {
      await ldap.unbind().catch(() => undefined);
      await stub.stop();
    }
  });

  it('decides account expiry at the clock time', async () => {
    // At a virtual 2024-01-01, oscar's account (expiring 2024-06-30) is still valid.
    const clock = new VirtualClock(Date.parse('2024-01-01T00:00:00Z'));
    const stub = await startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH, clock });
    const ldap = client(stub);
    try {
      await expect(ldap.bind(userDn('Oscar Owens'), PASSWORD)).resolves.toBeUndefined();
    } finally {
      await ldap.unbind().catch(() => undefined);
      await stub.stop();
    }
  });

  it('goes down (connections refused, open ones reset) and comes back on the same port', async () => {
    const stub = await startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH });
    const open = client(stub);
    try {
      await open.bind(stub.serviceAccount.dn, stub.serviceAccount.password);
      const port = stub.port;
      await stub.setFaults({ down: true });
      expect(stub.connections.open).toBe(0);
      const refused = await bindError(stub, ALICE_DN, PASSWORD);
      expect(refused.message).toMatch(/ECONNREFUSED/);
      const reset = await open
        .search(BASE, { filter: '(sAMAccountName=alice)' })
        .catch((caught: unknown) => caught);
      expect(reset).toBeInstanceOf(Error);

      await stub.setFaults({ down: false });
      expect(stub.port).toBe(port);
      const ldap = client(stub);
      await ldap.bind(ALICE_DN, PASSWORD);
      await ldap.unbind();
    } finally {
      await open.unbind().catch(() => undefined);
      await stub.stop();
    }
    const afterStop = await bindError(stub, ALICE_DN, PASSWORD);
    expect(afterStop.message).toMatch(/ECONNREFUSED/);
  });

  it('allows anonymous binds and searches when told to', async () => {
    const stub = await startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH, allowAnonymous: true });
    const ldap = client(stub);
    try {
      await ldap.bind('', '');
      const { searchEntries } = await ldap.search(BASE, {
        filter: '(sAMAccountName=judy)',
        attributes: ['mail'],
      });
      expect(searchEntries).toEqual([{ dn: userDn('Judy Jones'), mail: 'judy.jones@radmfa.test' }]);
      expect(stub.history.searches()[0]?.boundAs).toBeNull();
    } finally {
      await ldap.unbind().catch(() => undefined);
      await stub.stop();
    }
  });

  it('rejects a bad fixture before listening', async () => {
    const error = await startLdapStub({
      fixture: { baseDn: 'DC=x', serviceAccount: { dn: 'CN=s,DC=x', password: '' } },
    }).catch((caught: unknown) => caught);
    expect((error as LdapStubError).code).toBe('LDAP_FIXTURE_INVALID');
    expect(error).not.toBeInstanceOf(InvalidCredentialsError);
  });

  it('closes a connection whose request is not BER it can read, and keeps serving', async () => {
    // Hostile input: a BER length of 0xffffffff, which ldapjs 3.0.7 reads as negative and then
    // trips an assertion inside the socket's data handler (an uncaught exception, had it escaped);
    // and a length of 2 GiB, for which ldapjs would buffer whatever arrives, without end.
    const stub = await startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH });
    const sendRaw = (bytes: Buffer): Promise<'closed' | 'still open'> =>
      new Promise((resolve) => {
        const socket = connect(stub.port, '127.0.0.1');
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('still open');
        }, 2_000);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve('closed');
        });
        socket.write(bytes);
      });
    try {
      expect(await sendRaw(Buffer.from('3084ffffffff020101', 'hex'))).toBe('closed');
      const endless = Buffer.concat([Buffer.from('30847fffffff', 'hex'), Buffer.alloc(1_100_000)]);
      expect(await sendRaw(endless)).toBe('closed');
      const ldap = client(stub);
      await ldap.bind(ALICE_DN, PASSWORD);
      await ldap.unbind();
    } finally {
      await stub.stop();
    }
  });
});
