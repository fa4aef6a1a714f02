import { describe, expect, it } from 'vitest';
import { dnEquals, escapeDnValue, isWithin, normalizeDn, parseDn } from '../../../simulators/ldap/dn.ts';
import { filetimeFromUnixMs, parseTimeValue, unixMsFromFiletime } from '../../../simulators/ldap/filetime.ts';
import {
  escapeFilterValue,
  filterToString,
  matchesFilter,
  type FilterableEntry,
  type LdapFilter,
} from '../../../simulators/ldap/filter.ts';

function entry(attributes: Record<string, string[]>): FilterableEntry {
  const byName = new Map(Object.entries(attributes).map(([name, values]) => [name.toLowerCase(), values]));
  return { values: (name) => byName.get(name.toLowerCase()) ?? [] };
}

const alice = entry({
  objectClass: ['top', 'person', 'user'],
  sAMAccountName: ['alice'],
  userPrincipalName: ['alice@radmfa.test'],
  userAccountControl: ['512'],
  accountExpires: ['9223372036854775807'],
  memberOf: ['CN=VPN-Users,OU=Groups,DC=radmfa,DC=test'],
  mobile: ['+1 202-555-0101'],
  userPassword: ['Passw0rd!'],
});
const grace = entry({ objectClass: ['user'], sAMAccountName: ['grace'], userAccountControl: ['514'] });

const eq = (attribute: string, value: string): LdapFilter => ({ type: 'equality', attribute, value });

describe('filter matching', () => {
  it('compares names and string values case-insensitively, as AD and caseIgnoreMatch do', () => {
    expect(matchesFilter(alice, eq('SAMACCOUNTNAME', 'Alice'))).toBe(true);
    expect(matchesFilter(alice, eq('userPrincipalName', 'ALICE@RADMFA.TEST'))).toBe(true);
    expect(matchesFilter(alice, eq('objectclass', 'USER'))).toBe(true);
    expect(matchesFilter(alice, eq('sAMAccountName', 'bob'))).toBe(false);
  });

  it('keeps userPassword octet-exact and phone numbers free of spaces and hyphens', () => {
    expect(matchesFilter(alice, eq('userPassword', 'Passw0rd!'))).toBe(true);
    expect(matchesFilter(alice, eq('userPassword', 'passw0rd!'))).toBe(false);
    expect(matchesFilter(alice, eq('mobile', '+12025550101'))).toBe(true);
  });

  it('compares DNs by meaning and integers by value', () => {
    expect(matchesFilter(alice, eq('memberOf', 'cn=vpn-users, ou=groups, dc=radmfa, dc=test'))).toBe(true);
    expect(matchesFilter(alice, eq('userAccountControl', '0512'))).toBe(true);
    expect(
      matchesFilter(alice, {
        type: 'greaterOrEqual',
        attribute: 'accountExpires',
        value: '9223372036854775806',
      }),
    ).toBe(true);
    expect(matchesFilter(alice, { type: 'lessOrEqual', attribute: 'userAccountControl', value: '511' })).toBe(
      false,
    );
  });

  it("implements AD's bitwise rules (OpenLDAP's integerBitAndMatch / integerBitOrMatch)", () => {
    const disabled: LdapFilter = {
      type: 'extensible',
      attribute: 'userAccountControl',
      rule: '1.2.840.113556.1.4.803',
      value: '2',
      dnAttributes: false,
    };
    const enabledUsers: LdapFilter = {
      type: 'and',
      filters: [eq('objectClass', 'user'), { type: 'not', filter: disabled }],
    };
    expect(matchesFilter(grace, disabled)).toBe(true);
    expect(matchesFilter(alice, enabledUsers)).toBe(true);
    expect(matchesFilter(grace, enabledUsers)).toBe(false);
    const anyOf: LdapFilter = { ...disabled, rule: 'integerBitOrMatch', value: '18' };
    expect(matchesFilter(grace, anyOf)).toBe(true);
    expect(matchesFilter(alice, anyOf)).toBe(false);
  });

  it('matches presence, substrings and boolean combinations', () => {
    expect(matchesFilter(alice, { type: 'present', attribute: 'mobile' })).toBe(true);
    expect(matchesFilter(grace, { type: 'present', attribute: 'mobile' })).toBe(false);
    const sub: LdapFilter = {
      type: 'substrings',
      attribute: 'userPrincipalName',
      initial: 'AL',
      any: ['@'],
      final: '.test',
    };
    expect(matchesFilter(alice, sub)).toBe(true);
    expect(matchesFilter(alice, { ...sub, final: '.com' })).toBe(false);
    expect(matchesFilter(alice, { type: 'or', filters: [] })).toBe(false);
    expect(matchesFilter(alice, { type: 'and', filters: [] })).toBe(true);
  });

  it('prints filters in RFC 4515 form with escapes', () => {
    expect(escapeFilterValue('a*(b)\\')).toBe('a\\2a\\28b\\29\\5c');
    const filter: LdapFilter = {
      type: 'and',
      filters: [
        eq('sAMAccountName', 'x*'),
        { type: 'not', filter: { type: 'present', attribute: 'lockoutTime' } },
      ],
    };
    expect(filterToString(filter)).toBe('(&(sAMAccountName=x\\2a)(!(lockoutTime=*)))');
  });
});

describe('distinguished names', () => {
  it('parses escapes and compares case- and space-insensitively', () => {
    expect(
      dnEquals(
        'CN=Alice Anderson,OU=Users,DC=radmfa,DC=test',
        'cn=alice  anderson , ou=users,dc=radmfa,dc=test',
      ),
    ).toBe(true);
    const parsed = parseDn('CN=Smith\\, John+UID=js,DC=x\\2Cy');
    expect(parsed.ok && parsed.rdns).toEqual([
      [
        { type: 'CN', value: 'Smith, John' },
        { type: 'UID', value: 'js' },
      ],
      [{ type: 'DC', value: 'x,y' }],
    ]);
    expect(parseDn('alice@radmfa.test').ok).toBe(false);
    expect(escapeDnValue(' #a,b ')).toBe('\\ #a\\,b\\ ');
  });

  it('knows which DNs lie within a base, without being fooled by escaped commas', () => {
    const base = normalizeDn('DC=radmfa,DC=test');
    const inside = normalizeDn('CN=A,OU=Users,DC=radmfa,DC=test');
    const lookalike = normalizeDn('CN=A\\,DC=radmfa,DC=test2');
    if (base === undefined || inside === undefined || lookalike === undefined) throw new Error('parse');
    expect(isWithin(inside, base)).toBe(true);
    expect(isWithin(base, base)).toBe(true);
    expect(isWithin(lookalike, base)).toBe(false);
  });
});

describe('FILETIME', () => {
  it('converts between Unix milliseconds and 100 ns ticks since 1601', () => {
    expect(filetimeFromUnixMs(0)).toBe(116444736000000000n);
    expect(unixMsFromFiletime(filetimeFromUnixMs(1_700_000_000_123))).toBe(1_700_000_000_123);
    expect(parseTimeValue('never')).toEqual({ ok: true, filetime: '9223372036854775807' });
    expect(parseTimeValue('2020-01-01T00:00:00')).toEqual({ ok: false });
    expect(parseTimeValue(-1)).toEqual({ ok: false });
  });
});
