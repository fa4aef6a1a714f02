// The directory as LDAP entries: what a search returns and what an LDIF export contains. The stub
// and the real-slapd harness both load these, so both directories hold the same data.
import { ntPasswordHash } from '../../protocol/auth/mschap.ts';
import { leafRdn, normalizeDn, type NormalizedDn } from './dn.ts';
import type { FilterableEntry } from './filter.ts';
import type { DirectoryFixture, DirectoryGroup, DirectoryUser, FixtureAttribute } from './fixture.ts';

export interface EntryAttribute {
  /** The name as the directory spells it (e.g. sAMAccountName); lookups ignore case. */
  readonly name: string;
  readonly values: readonly string[];
}

export type EntryKind = 'base' | 'container' | 'service-account' | 'user' | 'group';

export class DirectoryEntry implements FilterableEntry {
  readonly normalized: NormalizedDn;
  private readonly byName: ReadonlyMap<string, EntryAttribute>;

  constructor(
    readonly dn: string,
    readonly kind: EntryKind,
    readonly attributes: readonly EntryAttribute[],
  ) {
    const normalized = normalizeDn(dn);
    if (normalized === undefined) throw new TypeError(`DirectoryEntry: invalid DN ${dn}`);
    this.normalized = normalized;
    this.byName = new Map(attributes.map((attribute) => [attribute.name.toLowerCase(), attribute]));
  }

  get(name: string): EntryAttribute | undefined {
    return this.byName.get(name.toLowerCase());
  }

  values(name: string): readonly string[] {
    return this.get(name)?.values ?? [];
  }

  first(name: string): string | undefined {
    return this.values(name)[0];
  }
}

/**
 * The NT hash as the Samba schema stores it (sambaNTPassword): 32 uppercase hex digits of
 * MD4(UTF-16LE(password)) (RFC 2759 section 8.3, NtPasswordHash).
 */
export function sambaNtPassword(password: string): string {
  return ntPasswordHash(password).toString('hex').toUpperCase();
}

export const USER_OBJECT_CLASSES = [
  'top',
  'person',
  'organizationalPerson',
  'inetOrgPerson',
  'user',
] as const;
export const GROUP_OBJECT_CLASSES = ['top', 'group'] as const;

/** Every entry of a fixture, parents before children (the order slapadd needs). */
export function buildDirectoryEntries(fixture: DirectoryFixture): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [baseEntry(fixture)];
  for (const container of fixture.containers) {
    const attributes =
      container.kind === 'organizationalUnit'
        ? [attr('objectClass', ['top', 'organizationalUnit']), attr('ou', [container.name])]
        : [attr('objectClass', ['top', 'container']), attr('cn', [container.name])];
    entries.push(new DirectoryEntry(container.dn, 'container', attributes));
  }
  entries.push(userEntry(fixture.serviceAccount, 'service-account'));
  for (const user of fixture.users) entries.push(userEntry(user, 'user'));
  for (const group of fixture.groups) entries.push(groupEntry(group));
  return entries;
}

function baseEntry(fixture: DirectoryFixture): DirectoryEntry {
  const value = leafRdn(fixture.baseDn)?.value ?? '';
  switch (fixture.baseKind) {
    case 'domain':
      return new DirectoryEntry(fixture.baseDn, 'base', [
        attr('objectClass', ['top', 'domain']),
        attr('dc', [value]),
      ]);
    case 'organization':
      return new DirectoryEntry(fixture.baseDn, 'base', [
        attr('objectClass', ['top', 'organization']),
        attr('o', [value]),
      ]);
    case 'organizationalUnit':
      return new DirectoryEntry(fixture.baseDn, 'base', [
        attr('objectClass', ['top', 'organizationalUnit']),
        attr('ou', [value]),
      ]);
    case 'container':
      return new DirectoryEntry(fixture.baseDn, 'base', [
        attr('objectClass', ['top', 'container']),
        attr('cn', [value]),
      ]);
  }
}

function userEntry(user: DirectoryUser, kind: 'user' | 'service-account'): DirectoryEntry {
  const attributes: EntryAttribute[] = [
    attr('objectClass', USER_OBJECT_CLASSES),
    attr('cn', [user.cn]),
    attr('sn', [user.sn]),
    ...user.attributes.map(copy),
    attr('sAMAccountName', [user.sAMAccountName]),
  ];
  if (user.userPrincipalName !== undefined)
    attributes.push(attr('userPrincipalName', [user.userPrincipalName]));
  if (user.mail !== undefined) attributes.push(attr('mail', [user.mail]));
  attributes.push(
    attr('userAccountControl', [String(user.userAccountControl)]),
    attr('accountExpires', [user.accountExpires]),
    attr('pwdLastSet', [user.pwdLastSet]),
  );
  if (user.lockoutTime !== undefined) attributes.push(attr('lockoutTime', [user.lockoutTime]));
  if (user.memberOf.length > 0) attributes.push(attr('memberOf', user.memberOf));
  if (user.password !== undefined) {
    attributes.push(
      attr('userPassword', [user.password]),
      attr('sambaNTPassword', [sambaNtPassword(user.password)]),
    );
  }
  return new DirectoryEntry(user.dn, kind, withNamingAttribute(user.dn, attributes));
}

function groupEntry(group: DirectoryGroup): DirectoryEntry {
  const attributes: EntryAttribute[] = [
    attr('objectClass', GROUP_OBJECT_CLASSES),
    attr('cn', [group.cn]),
    attr('sAMAccountName', [group.sAMAccountName]),
  ];
  if (group.description !== undefined) attributes.push(attr('description', [group.description]));
  if (group.members.length > 0) attributes.push(attr('member', group.members));
  if (group.memberOf.length > 0) attributes.push(attr('memberOf', group.memberOf));
  attributes.push(...group.attributes.map(copy));
  return new DirectoryEntry(group.dn, 'group', withNamingAttribute(group.dn, attributes));
}

/**
 * An entry holds the value of its RDN (RFC 4512 section 2.3.1), which slapd enforces: a DN such as
 * UID=zoe,... gets uid: zoe unless the fixture already sets it.
 */
function withNamingAttribute(dn: string, attributes: EntryAttribute[]): EntryAttribute[] {
  const leaf = leafRdn(dn);
  if (leaf === undefined) return attributes;
  const existing = attributes.findIndex(
    (attribute) => attribute.name.toLowerCase() === leaf.type.toLowerCase(),
  );
  if (existing < 0)
    return [...attributes.slice(0, 3), attr(leaf.type.toLowerCase(), [leaf.value]), ...attributes.slice(3)];
  const current = attributes[existing];
  if (
    current === undefined ||
    current.values.some((value) => value.toLowerCase() === leaf.value.toLowerCase())
  ) {
    return attributes;
  }
  const out = [...attributes];
  out[existing] = attr(current.name, [leaf.value, ...current.values]);
  return out;
}

function attr(name: string, values: readonly string[]): EntryAttribute {
  return { name, values: [...values] };
}

function copy(attribute: FixtureAttribute): EntryAttribute {
  return attr(attribute.name, attribute.values);
}
