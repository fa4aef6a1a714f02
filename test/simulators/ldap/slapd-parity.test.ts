// The same fixture in the stub and in a real OpenLDAP slapd: the binds and searches a RADIUS server
// makes get the same answers from both. One documented difference: OpenLDAP does not enforce AD's
// account states at bind time (it knows nothing of userAccountControl), so there only the
// attributes tell a disabled, locked or expired account apart, and they are identical in both.
import path from 'node:path';
import { Client, type Entry } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeDn } from '../../../simulators/ldap/dn.ts';
import { DEMO_DIRECTORY_FIXTURE_PATH, startLdapStub, type LdapStub } from '../../../simulators/ldap/index.ts';
import { slapdRequirement, startSlapd, type RunningSlapd } from '../../../peers/slapd.ts';

const requirement = slapdRequirement();
const BASE = 'DC=radmfa,DC=test';
const PASSWORD = 'Passw0rd!';
const ALICE = 'CN=Alice Anderson,OU=Users,DC=radmfa,DC=test';

interface Target {
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
}

type Outcome = { readonly code: number } | { readonly error: string };

async function bindOutcome(target: Target, dn: string, password: string): Promise<Outcome> {
  const ldap = new Client({ url: target.url, timeout: 5_000 });
  try {
    await ldap.bind(dn, password);
    return { code: 0 };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'number' ? { code } : { error: String(error) };
  } finally {
    await ldap.unbind();
  }
}

interface SearchCase {
  readonly base: string;
  readonly scope?: 'base' | 'one' | 'sub';
  readonly filter: string;
  readonly attributes: string[];
}

/** Entries keyed by normalised DN (slapd prints attribute types in lower case), values as sets. */
function canonical(entries: readonly Entry[]): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const entry of entries) {
    const attributes: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'dn') continue;
      const values = (Array.isArray(value) ? value : [value]).map((item) =>
        Buffer.isBuffer(item) ? item.toString('utf8') : item,
      );
      const dnValued = ['member', 'memberof'].includes(name.toLowerCase());
      attributes[name] = values.map((item) => (dnValued ? (normalizeDn(item)?.key ?? item) : item)).sort();
    }
    out[normalizeDn(entry.dn)?.key ?? entry.dn] = attributes;
  }
  return out;
}

async function searchOutcome(target: Target, search: SearchCase): Promise<unknown> {
  const ldap = new Client({ url: target.url, timeout: 5_000 });
  try {
    await ldap.bind(target.bindDn, target.bindPassword);
    const { searchEntries } = await ldap.search(search.base, {
      scope: search.scope ?? 'sub',
      filter: search.filter,
      attributes: search.attributes,
    });
    return { code: 0, entries: canonical(searchEntries) };
  } catch (error) {
    return { code: (error as { code?: unknown }).code ?? String(error) };
  } finally {
    await ldap.unbind();
  }
}

const SEARCHES: readonly SearchCase[] = [
  {
    base: BASE,
    filter: '(&(objectClass=user)(sAMAccountName=ALICE))',
    attributes: [
      'sAMAccountName',
      'userPrincipalName',
      'memberOf',
      'sambaNTPassword',
      'userAccountControl',
      'accountExpires',
      'pwdLastSet',
      'lockoutTime',
      'mobile',
      'employeeID',
      'mail',
    ],
  },
  { base: BASE, filter: '(userPrincipalName=Bob@RADMFA.test)', attributes: ['*'] },
  { base: BASE, filter: '(employeeID=e1003)', attributes: ['samaccountname', 'MAIL'] },
  {
    base: `OU=Users,${BASE}`,
    scope: 'one',
    filter: '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))',
    attributes: ['sAMAccountName'],
  },
  { base: BASE, filter: `(memberOf=cn=vpn-admins,ou=groups,${BASE})`, attributes: ['cn'] },
  { base: BASE, filter: `(&(objectClass=group)(member=${ALICE}))`, attributes: ['cn', 'member'] },
  { base: BASE, filter: '(mobile=+1 202-555-0103)', attributes: ['sAMAccountName'] },
  {
    base: BASE,
    filter: '(|(lockoutTime>=1)(pwdLastSet=0))',
    attributes: ['sAMAccountName', 'lockoutTime', 'pwdLastSet'],
  },
  {
    base: BASE,
    filter: '(&(accountExpires>=1)(accountExpires<=9223372036854775806))',
    attributes: ['sAMAccountName'],
  },
  { base: BASE, filter: '(cn=*ander*)', attributes: ['cn', 'sn', 'givenName'] },
  { base: BASE, filter: '(|(sAMAccountName=al\\2a)(sAMAccountName=bo*))', attributes: ['sAMAccountName'] },
  { base: `OU=Users,${BASE}`, scope: 'base', filter: '(objectClass=*)', attributes: [] },
  { base: `OU=Nowhere,${BASE}`, filter: '(objectClass=*)', attributes: [] },
];

describe.skipIf(!requirement.available)(
  'the stub and a real OpenLDAP slapd answer alike (demo fixture)',
  () => {
    let slapd: RunningSlapd;
    let stub: LdapStub;
    let stubTarget: Target;

    beforeAll(async () => {
      [slapd, stub] = await Promise.all([
        startSlapd({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH }),
        startLdapStub({ fixturePath: DEMO_DIRECTORY_FIXTURE_PATH }),
      ]);
      stubTarget = {
        url: stub.url,
        bindDn: stub.serviceAccount.dn,
        bindPassword: stub.serviceAccount.password,
      };
    });
    afterAll(async () => {
      await Promise.all([slapd?.stop(), stub?.stop()]);
    });

    it('listens on loopback with the fixture service account', () => {
      expect(slapd.url).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
      expect(slapd.baseDn).toBe(BASE);
      expect(slapd.bindDn).toBe(stub.serviceAccount.dn);
    });

    it.each([
      ['the service account', 0, 'CN=svc-radius,OU=Service Accounts,DC=radmfa,DC=test', 'S3rvice-Passw0rd!'],
      ['alice, right password', 0, ALICE, PASSWORD],
      ['alice, DN in another case', 0, 'cn=alice anderson,ou=users,dc=radmfa,dc=test', PASSWORD],
      ['alice, wrong password', 49, ALICE, 'passw0rd!'],
      ['an unknown DN', 49, 'CN=Nobody,OU=Users,DC=radmfa,DC=test', PASSWORD],
      ['anonymous', 48, '', ''],
    ])('bind as %s gives %i from both', async (_label, code, dn, password) => {
      expect(await bindOutcome(slapd, dn, password)).toEqual({ code });
      expect(await bindOutcome(stubTarget, dn, password)).toEqual({ code });
    });

    it('differs only where AD enforces account states: OpenLDAP lets grace (disabled) bind', async () => {
      const grace = 'CN=Grace Green,OU=Users,DC=radmfa,DC=test';
      expect(await bindOutcome(slapd, grace, PASSWORD)).toEqual({ code: 0 });
      expect(await bindOutcome(stubTarget, grace, PASSWORD)).toEqual({ code: 49 });
    });

    it.each(SEARCHES.map((search) => [search.filter, search.base, search] as const))(
      'search %s under %s returns the same entries from both',
      async (_filter, _base, search) => {
        const real = await searchOutcome(slapd, search);
        const stubbed = await searchOutcome(stubTarget, search);
        expect(stubbed).toEqual(real);
        expect(real).not.toEqual({ code: 0, entries: {} });
      },
    );
  },
);

describe.skipIf(!requirement.available)(
  'the stub and slapd answer alike (JSON fixture, non-ASCII data)',
  () => {
    const fixturePath = path.join(import.meta.dirname, '../../fixtures/directory/minimal.json');
    let slapd: RunningSlapd;
    let stub: LdapStub;

    beforeAll(async () => {
      [slapd, stub] = await Promise.all([startSlapd({ fixturePath }), startLdapStub({ fixturePath })]);
    });
    afterAll(async () => {
      await Promise.all([slapd?.stop(), stub?.stop()]);
    });

    it('binds with a UTF-8 password and finds entries by non-ASCII values in both', async () => {
      const stubTarget = {
        url: stub.url,
        bindDn: stub.serviceAccount.dn,
        bindPassword: stub.serviceAccount.password,
      };
      for (const target of [slapd, stubTarget]) {
        expect(await bindOutcome(target, 'UID=zoe,OU=People,O=Example Corp', 'Pässwörd-1')).toEqual({
          code: 0,
        });
        expect(await bindOutcome(target, 'UID=zoe,OU=People,O=Example Corp', 'Passwort-1')).toEqual({
          code: 49,
        });
      }
      for (const search of [
        { base: 'O=Example Corp', filter: '(cn=Zoë Zimmer)', attributes: ['*'] },
        {
          base: 'O=Example Corp',
          filter: '(memberOf=CN=Everyone,OU=Groups,O=Example Corp)',
          attributes: ['cn'],
        },
      ]) {
        const real = await searchOutcome(slapd, search);
        expect(await searchOutcome(stubTarget, search)).toEqual(real);
        expect(real).not.toEqual({ code: 0, entries: {} });
      }
    });
  },
);
