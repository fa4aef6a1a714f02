// A directory fixture: the users and groups an LDAP directory (the stub or a real slapd) is loaded
// with. Authors write partial input (DirectoryFixtureInput); validation returns a normalised
// DirectoryFixture or every problem at once, each naming the field and the fix.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import {
  IssueCollector,
  describeValue,
  isPlainObject,
  type Issue,
  type PlainObject,
} from '../../runtime/validation/index.ts';
import { DirectoryFixtureError, LdapStubError } from './errors.ts';
import { formatDn, isWithin, leafRdn, normalizeDn, parseDn, type NormalizedDn, type Rdn } from './dn.ts';
import { parseTimeValue, FILETIME_NEVER, type TimeValueInput } from './filetime.ts';
import { UAC_NORMAL_ACCOUNT, UAC_DONT_EXPIRE_PASSWORD } from './account-state.ts';

export type AttributeValueInput = string | number | boolean;

export interface DirectoryFixtureInput {
  /** Naming context, e.g. "DC=radmfa,DC=test". */
  readonly baseDn: string;
  /** The account the RADIUS server binds as to search for users. */
  readonly serviceAccount: ServiceAccountInput;
  readonly defaults?: FixtureDefaultsInput;
  readonly users?: readonly UserInput[];
  readonly groups?: readonly GroupInput[];
}

export interface FixtureDefaultsInput {
  /** Password of every user that does not set one. */
  readonly password?: string;
  /** pwdLastSet of every user that does not set one (default 2024-01-01T00:00:00Z). */
  readonly pwdLastSet?: TimeValueInput;
}

export interface ServiceAccountInput {
  readonly dn: string;
  readonly password: string;
  readonly sAMAccountName?: string;
}

export interface UserInput {
  readonly dn: string;
  readonly sAMAccountName: string;
  readonly cn?: string;
  readonly userPrincipalName?: string;
  readonly mail?: string;
  /** Cleartext; served as userPassword and, hashed, as sambaNTPassword. */
  readonly password?: string;
  /** Default 512 (NORMAL_ACCOUNT). 0x2 disabled, 0x10 locked out, 0x800000 password expired. */
  readonly userAccountControl?: number;
  /** "never" (default), 0, an ISO-8601 instant or a FILETIME decimal string. */
  readonly accountExpires?: TimeValueInput;
  /** Absent unless set; non-zero means locked out. */
  readonly lockoutTime?: TimeValueInput;
  /** 0 means "must change password at next logon". */
  readonly pwdLastSet?: TimeValueInput;
  /** Groups (by cn, sAMAccountName or DN) this user belongs to, in addition to groups[].members. */
  readonly memberOf?: readonly string[];
  /** Any other attributes, e.g. mobile, employeeID, telephoneNumber, givenName. */
  readonly attributes?: Readonly<Record<string, AttributeValueInput | readonly AttributeValueInput[]>>;
}

export interface GroupInput {
  readonly dn: string;
  readonly cn?: string;
  readonly sAMAccountName?: string;
  readonly description?: string;
  /** Users (by sAMAccountName or DN) and groups (by DN) that are direct members. */
  readonly members?: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValueInput | readonly AttributeValueInput[]>>;
}

export interface FixtureAttribute {
  readonly name: string;
  readonly values: readonly string[];
}

export type BaseEntryKind = 'domain' | 'organization' | 'organizationalUnit' | 'container';
export type ContainerKind = 'organizationalUnit' | 'container';

export interface DirectoryContainer {
  readonly dn: string;
  readonly kind: ContainerKind;
  /** The leaf RDN value, e.g. "Users" for OU=Users,... */
  readonly name: string;
}

export interface DirectoryUser {
  readonly dn: string;
  readonly cn: string;
  readonly sn: string;
  readonly sAMAccountName: string;
  readonly userPrincipalName?: string;
  readonly mail?: string;
  readonly password?: string;
  readonly userAccountControl: number;
  /** FILETIME decimal strings (see filetime.ts). */
  readonly accountExpires: string;
  readonly lockoutTime?: string;
  readonly pwdLastSet: string;
  /** DNs of the groups that list this user directly. */
  readonly memberOf: readonly string[];
  readonly attributes: readonly FixtureAttribute[];
}

export interface DirectoryGroup {
  readonly dn: string;
  readonly cn: string;
  readonly sAMAccountName: string;
  readonly description?: string;
  readonly members: readonly string[];
  readonly memberOf: readonly string[];
  readonly attributes: readonly FixtureAttribute[];
}

export interface DirectoryFixture {
  readonly baseDn: string;
  readonly baseKind: BaseEntryKind;
  /** OU/CN containers between the base and the entries, parents first, created implicitly. */
  readonly containers: readonly DirectoryContainer[];
  readonly serviceAccount: DirectoryUser;
  readonly users: readonly DirectoryUser[];
  readonly groups: readonly DirectoryGroup[];
}

/** A fixed default so that fixtures mean the same thing on every run. */
export const DEFAULT_PWD_LAST_SET = '2024-01-01T00:00:00Z';

/** AD refuses longer sAMAccountNames for users (the pre-Windows 2000 logon name). */
const SAM_ACCOUNT_NAME_MAX = 20;
const SAM_FORBIDDEN = /["/\\[\]:;|=,+*?<>@]/;
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** Attributes the stub derives from dedicated fields; setting them in `attributes` would conflict. */
const MANAGED_ATTRIBUTES: Readonly<Record<string, string>> = {
  objectclass: 'it is derived from the entry kind',
  cn: 'set the `cn` field (it must match the DN)',
  distinguishedname: 'it is the `dn` field',
  samaccountname: 'set the `sAMAccountName` field',
  userprincipalname: 'set the `userPrincipalName` field',
  mail: 'set the `mail` field',
  userpassword: 'set the `password` field (cleartext)',
  sambantpassword: 'set the `password` field; the NT hash is computed from it',
  useraccountcontrol: 'set the `userAccountControl` field',
  accountexpires: 'set the `accountExpires` field',
  lockouttime: 'set the `lockoutTime` field',
  pwdlastset: 'set the `pwdLastSet` field',
  memberof: "list the user in a group's `members` or in the user's `memberOf` field",
  member: "set the group's `members` field",
};

const TOP_LEVEL_FIELDS = ['baseDn', 'serviceAccount', 'defaults', 'users', 'groups'];
const DEFAULTS_FIELDS = ['password', 'pwdLastSet'];
const SERVICE_FIELDS = ['dn', 'password', 'sAMAccountName'];
const USER_FIELDS = [
  'dn',
  'sAMAccountName',
  'cn',
  'userPrincipalName',
  'mail',
  'password',
  'userAccountControl',
  'accountExpires',
  'lockoutTime',
  'pwdLastSet',
  'memberOf',
  'attributes',
];
const GROUP_FIELDS = ['dn', 'cn', 'sAMAccountName', 'description', 'members', 'attributes'];

export type FixtureCheck =
  | { readonly ok: true; readonly fixture: DirectoryFixture }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** Validates and normalises fixture input without throwing. */
export function checkDirectoryFixture(input: unknown): FixtureCheck {
  const issues = new IssueCollector();
  const fixture = new FixtureNormaliser(issues).run(input);
  return fixture === undefined || !issues.ok ? { ok: false, issues: issues.issues } : { ok: true, fixture };
}

/** Validates fixture input; throws DirectoryFixtureError listing every problem. */
export function validateDirectoryFixture(input: unknown, source?: string): DirectoryFixture {
  const result = checkDirectoryFixture(input);
  if (!result.ok) throw new DirectoryFixtureError(result.issues, source);
  return result.fixture;
}

export type FixtureFormat = 'yaml' | 'json';

export function parseDirectoryFixture(
  text: string,
  format: FixtureFormat,
  source?: string,
): DirectoryFixture {
  let data: unknown;
  try {
    data = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DirectoryFixtureError(
      [
        {
          path: '',
          message: `is not valid ${format.toUpperCase()}: ${reason}`,
          fix: 'correct the syntax at the line shown',
        },
      ],
      source,
    );
  }
  return validateDirectoryFixture(data, source);
}

/** Reads a .yaml/.yml/.json fixture file (anything else is read as YAML, a superset of JSON). */
export async function loadDirectoryFixture(path: string): Promise<DirectoryFixture> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LdapStubError('LDAP_FIXTURE_UNREADABLE', `cannot read directory fixture ${path}`, {
      cause: error,
    });
  }
  return parseDirectoryFixture(text, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml', path);
}

/** Path of the embedded demo tenant's directory (fixtures/directory/demo.yaml). */
export const DEMO_DIRECTORY_FIXTURE_PATH = fileURLToPath(
  new URL('../../fixtures/directory/demo.yaml', import.meta.url),
);

type Json = PlainObject;

/** "is missing" for an absent required value, "must be ..., got ..." for one of the wrong kind. */
function wrongValue(value: unknown, expected: string): string {
  return value === undefined ? 'is missing' : `must be ${expected}, got ${describeValue(value)}`;
}

interface PendingGroupLink {
  readonly userIndex: number;
  readonly path: string;
  readonly reference: string;
}

/** Mutable drafts used while resolving cross-references; frozen into the public shapes at the end. */
interface UserDraft extends Omit<DirectoryUser, 'memberOf'> {
  readonly key: NormalizedDn;
  readonly memberOf: string[];
}

interface GroupDraft extends Omit<DirectoryGroup, 'members' | 'memberOf'> {
  readonly key: NormalizedDn;
  readonly path: string;
  readonly memberRefs: readonly string[];
  readonly members: string[];
  readonly memberOf: string[];
}

class FixtureNormaliser {
  private base: NormalizedDn | undefined;
  private baseDn = '';
  private defaultPassword: string | undefined;
  private defaultPwdLastSet = '';
  private readonly dnOwners = new Map<string, string>();
  private readonly samOwners = new Map<string, string>();
  private readonly upnOwners = new Map<string, string>();
  private readonly containers = new Map<string, DirectoryContainer & { depth: number }>();

  constructor(private readonly issues: IssueCollector) {}

  run(input: unknown): DirectoryFixture | undefined {
    if (!isPlainObject(input)) {
      this.issues.add(
        '',
        wrongValue(input, 'a mapping'),
        'write baseDn, serviceAccount, users and groups as key: value pairs',
      );
      return undefined;
    }
    this.unknownFields(input, TOP_LEVEL_FIELDS, '');
    const baseKind = this.readBase(input.baseDn);
    this.readDefaults(input.defaults);
    const serviceAccount = this.readServiceAccount(input.serviceAccount);
    const users = this.readList(input.users, 'users', (item, path) => this.readUser(item, path));
    const groups = this.readList(input.groups, 'groups', (item, path) => this.readGroup(item, path));
    const links: PendingGroupLink[] = [];
    if (Array.isArray(input.users)) {
      input.users.forEach((item: unknown, userIndex) => {
        if (!isPlainObject(item) || item.memberOf === undefined) return;
        const path = `users[${userIndex}].memberOf`;
        const refs = this.stringList(item.memberOf, path, 'group cn, sAMAccountName or DN');
        refs.forEach((reference, i) => links.push({ userIndex, path: `${path}[${i}]`, reference }));
      });
    }
    this.resolveMemberships(users, groups, links);
    if (baseKind === undefined || serviceAccount === undefined) return undefined;
    return {
      baseDn: this.baseDn,
      baseKind,
      containers: [...this.containers.values()]
        .sort((a, b) => a.depth - b.depth)
        .map(({ dn, kind, name }) => ({ dn, kind, name })),
      serviceAccount: freezeUser(serviceAccount),
      users: users.filter((user): user is UserDraft => user !== undefined).map(freezeUser),
      groups: groups.filter((group): group is GroupDraft => group !== undefined).map(freezeGroup),
    };
  }

  private unknownFields(record: Json, allowed: readonly string[], path: string): void {
    const hint = allowed.includes('attributes') ? 'put extra LDAP attributes under attributes' : undefined;
    this.issues.knownKeys(record, path, allowed, hint);
  }

  private readBase(value: unknown): BaseEntryKind | undefined {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(
        'baseDn',
        wrongValue(value, 'a non-empty string'),
        'write the naming context as a DN, e.g. "DC=radmfa,DC=test"',
      );
      return undefined;
    }
    const parsed = parseDn(value);
    const key = normalizeDn(value);
    if (!parsed.ok || key === undefined || key.rdns.length === 0) {
      const reason = parsed.ok ? 'it is empty' : parsed.reason;
      this.issues.add('baseDn', `is not a valid DN (${reason})`, 'write it like "DC=radmfa,DC=test"');
      return undefined;
    }
    const kinds: Record<string, BaseEntryKind> = {
      dc: 'domain',
      o: 'organization',
      ou: 'organizationalUnit',
      cn: 'container',
    };
    const leafType = parsed.rdns[0]?.[0]?.type.toLowerCase() ?? '';
    const kind = kinds[leafType];
    if (kind === undefined) {
      this.issues.add(
        'baseDn',
        `its first RDN must be DC=, O=, OU= or CN= (got ${leafType.toUpperCase()}=)`,
        'start the base DN with one of those, e.g. DC=radmfa,DC=test',
      );
      return undefined;
    }
    this.base = key;
    this.baseDn = value.trim();
    this.claimDn(key, 'baseDn');
    return kind;
  }

  private readDefaults(value: unknown): void {
    const pwdLastSet = parseTimeValue(DEFAULT_PWD_LAST_SET);
    this.defaultPwdLastSet = pwdLastSet.ok ? pwdLastSet.filetime : FILETIME_NEVER;
    if (value === undefined) return;
    if (!isPlainObject(value)) {
      this.issues.add('defaults', wrongValue(value, 'a mapping'), 'write defaults: { password, pwdLastSet }');
      return;
    }
    this.unknownFields(value, DEFAULTS_FIELDS, 'defaults');
    this.defaultPassword = this.optionalPassword(value.password, 'defaults.password');
    const time = this.optionalTime(value.pwdLastSet, 'defaults.pwdLastSet');
    if (time !== undefined) this.defaultPwdLastSet = time;
  }

  private readServiceAccount(value: unknown): UserDraft | undefined {
    if (!isPlainObject(value)) {
      this.issues.add(
        'serviceAccount',
        wrongValue(value, 'a mapping'),
        'write serviceAccount: { dn, password } of the account searches bind as',
      );
      return undefined;
    }
    this.unknownFields(value, SERVICE_FIELDS, 'serviceAccount');
    const key = this.readEntryDn(value.dn, 'serviceAccount.dn');
    const password = this.optionalPassword(value.password, 'serviceAccount.password');
    if (password === undefined && value.password === undefined) {
      this.issues.add(
        'serviceAccount.password',
        'is missing',
        "write the service account's password: searches bind with it",
      );
    }
    if (key === undefined || typeof value.dn !== 'string') return undefined;
    const cn = this.readCn(undefined, value.dn, 'serviceAccount');
    const samInput =
      value.sAMAccountName ?? cn?.toLowerCase().replace(/\s+/g, '-').slice(0, SAM_ACCOUNT_NAME_MAX);
    const sam = this.readSam(samInput, 'serviceAccount.sAMAccountName', 'serviceAccount');
    if (cn === undefined || sam === undefined || password === undefined) return undefined;
    return {
      key,
      dn: value.dn.trim(),
      cn,
      sn: lastWord(cn),
      sAMAccountName: sam,
      password,
      // Service accounts conventionally never have their password expire.
      userAccountControl: UAC_NORMAL_ACCOUNT | UAC_DONT_EXPIRE_PASSWORD,
      accountExpires: FILETIME_NEVER,
      pwdLastSet: this.defaultPwdLastSet,
      memberOf: [],
      attributes: [],
    };
  }

  private readList<T>(
    value: unknown,
    path: string,
    read: (item: unknown, path: string) => T | undefined,
  ): (T | undefined)[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.issues.add(path, wrongValue(value, 'a list'), `write ${path} as a list (- item)`);
      return [];
    }
    return value.map((item: unknown, index) => read(item, `${path}[${index}]`));
  }

  private readUser(value: unknown, path: string): UserDraft | undefined {
    if (!isPlainObject(value)) {
      this.issues.add(
        path,
        wrongValue(value, 'a mapping'),
        'write the user with at least dn and sAMAccountName',
      );
      return undefined;
    }
    this.unknownFields(value, USER_FIELDS, path);
    const key = this.readEntryDn(value.dn, `${path}.dn`);
    const cn = typeof value.dn === 'string' ? this.readCn(value.cn, value.dn, path) : undefined;
    const sam = this.readSam(value.sAMAccountName, `${path}.sAMAccountName`, path);
    const upn = this.readUpn(value.userPrincipalName, `${path}.userPrincipalName`, path);
    const mail = this.optionalString(value.mail, `${path}.mail`, 'an address such as alice@radmfa.test');
    if (mail !== undefined && !mail.includes('@')) {
      this.issues.add(`${path}.mail`, 'must contain "@"', 'write an address such as alice@radmfa.test');
    }
    const password = this.optionalPassword(value.password, `${path}.password`) ?? this.defaultPassword;
    const uac = this.readUac(value.userAccountControl, `${path}.userAccountControl`);
    const accountExpires =
      this.optionalTime(value.accountExpires, `${path}.accountExpires`) ?? FILETIME_NEVER;
    const lockoutTime = this.optionalTime(value.lockoutTime, `${path}.lockoutTime`);
    const pwdLastSet = this.optionalTime(value.pwdLastSet, `${path}.pwdLastSet`) ?? this.defaultPwdLastSet;
    const attributes = this.readAttributes(value.attributes, `${path}.attributes`);
    if (key === undefined || cn === undefined || sam === undefined || typeof value.dn !== 'string')
      return undefined;
    const snAttribute = attributes.find((attribute) => attribute.name.toLowerCase() === 'sn');
    return {
      key,
      dn: value.dn.trim(),
      cn,
      sn: snAttribute?.values[0] ?? lastWord(cn),
      sAMAccountName: sam,
      ...(upn === undefined ? {} : { userPrincipalName: upn }),
      ...(mail === undefined ? {} : { mail }),
      ...(password === undefined ? {} : { password }),
      userAccountControl: uac,
      accountExpires,
      ...(lockoutTime === undefined ? {} : { lockoutTime }),
      pwdLastSet,
      memberOf: [],
      attributes: attributes.filter((attribute) => attribute !== snAttribute),
    };
  }

  private readGroup(value: unknown, path: string): GroupDraft | undefined {
    if (!isPlainObject(value)) {
      this.issues.add(path, wrongValue(value, 'a mapping'), 'write the group with at least dn');
      return undefined;
    }
    this.unknownFields(value, GROUP_FIELDS, path);
    const key = this.readEntryDn(value.dn, `${path}.dn`);
    const cn = typeof value.dn === 'string' ? this.readCn(value.cn, value.dn, path) : undefined;
    const sam = this.readSam(value.sAMAccountName ?? cn, `${path}.sAMAccountName`, path, 256);
    const description = this.optionalString(value.description, `${path}.description`, 'free text');
    const memberRefs =
      value.members === undefined
        ? []
        : this.stringList(value.members, `${path}.members`, 'sAMAccountName or DN');
    const attributes = this.readAttributes(value.attributes, `${path}.attributes`);
    if (key === undefined || cn === undefined || sam === undefined || typeof value.dn !== 'string')
      return undefined;
    return {
      key,
      path,
      dn: value.dn.trim(),
      cn,
      sAMAccountName: sam,
      ...(description === undefined ? {} : { description }),
      memberRefs,
      members: [],
      memberOf: [],
      attributes,
    };
  }

  private readEntryDn(value: unknown, path: string): NormalizedDn | undefined {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(
        path,
        wrongValue(value, 'a non-empty string'),
        'write the entry\'s DN, e.g. "CN=Alice Anderson,OU=Users,DC=radmfa,DC=test"',
      );
      return undefined;
    }
    const parsed = parseDn(value);
    const key = normalizeDn(value);
    if (!parsed.ok || key === undefined) {
      this.issues.add(
        path,
        `is not a valid DN (${parsed.ok ? 'unparseable' : parsed.reason})`,
        'write a DN such as "CN=Alice Anderson,OU=Users,DC=radmfa,DC=test"',
      );
      return undefined;
    }
    if (this.base !== undefined && (!isWithin(key, this.base) || key.rdns.length === this.base.rdns.length)) {
      this.issues.add(path, `must lie below baseDn ${this.baseDn}`, `end the DN with ",${this.baseDn}"`);
      return undefined;
    }
    if (!this.claimDn(key, path)) return undefined;
    if (this.base !== undefined) this.addContainers(parsed.rdns, key, path);
    return key;
  }

  private claimDn(key: NormalizedDn, path: string): boolean {
    const owner = this.dnOwners.get(key.key);
    if (owner !== undefined) {
      this.issues.add(path, `duplicates the DN of ${owner}`, 'give every entry its own DN');
      return false;
    }
    this.dnOwners.set(key.key, path);
    return true;
  }

  /** Every ancestor between the base and an entry must exist; OU= and CN= ones are created. */
  private addContainers(rdns: readonly Rdn[], key: NormalizedDn, path: string): void {
    const base = this.base;
    if (base === undefined) return;
    const depth = key.rdns.length - base.rdns.length;
    for (let level = 1; level < depth; level++) {
      const ancestorRdns = rdns.slice(level);
      const ancestorKey = key.rdns.slice(level).join(',');
      if (this.containers.has(ancestorKey)) continue;
      const leaf = ancestorRdns[0]?.[0];
      const type = leaf?.type.toLowerCase();
      if (leaf === undefined || (type !== 'ou' && type !== 'cn')) {
        this.issues.add(
          path,
          `its parent ${formatDn(ancestorRdns)} would have to be created, but only OU= and CN= containers are created automatically`,
          'place the entry under OU= or CN= containers below baseDn',
        );
        return;
      }
      this.containers.set(ancestorKey, {
        dn: formatDn(ancestorRdns),
        kind: type === 'ou' ? 'organizationalUnit' : 'container',
        name: leaf.value,
        depth: depth - level,
      });
    }
  }

  private readCn(value: unknown, dn: string, path: string): string | undefined {
    const leaf = leafRdn(dn);
    const fromDn = leaf !== undefined && leaf.type.toLowerCase() === 'cn' ? leaf.value : undefined;
    if (value === undefined) {
      if (fromDn === undefined) {
        this.issues.add(
          `${path}.cn`,
          'is missing and the DN does not start with CN=',
          'add cn, or start the DN with CN=',
        );
      }
      return fromDn;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(
        `${path}.cn`,
        wrongValue(value, 'a non-empty string'),
        'write the common name, or drop the field',
      );
      return undefined;
    }
    if (fromDn !== undefined && fromDn.toLowerCase() !== value.trim().toLowerCase()) {
      this.issues.add(
        `${path}.cn`,
        `must equal the DN's CN value "${fromDn}" (LDAP keeps the RDN in the entry)`,
        'drop the field or make it match',
      );
      return undefined;
    }
    return value.trim();
  }

  private readSam(
    value: unknown,
    path: string,
    owner: string,
    maxLength = SAM_ACCOUNT_NAME_MAX,
  ): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(
        path,
        wrongValue(value, 'a non-empty string'),
        'write the pre-Windows 2000 logon name, e.g. "alice"',
      );
      return undefined;
    }
    const sam = value.trim();
    if (sam.length > maxLength) {
      this.issues.add(
        path,
        `must be at most ${maxLength} characters (Active Directory's limit), got ${sam.length}`,
        'shorten it',
      );
      return undefined;
    }
    if (SAM_FORBIDDEN.test(sam)) {
      this.issues.add(
        path,
        'contains a character AD forbids here (" / \\ [ ] : ; | = , + * ? < > @)',
        'remove it',
      );
      return undefined;
    }
    const previous = this.samOwners.get(sam.toLowerCase());
    if (previous !== undefined) {
      this.issues.add(
        path,
        `"${sam}" is already used by ${previous}`,
        'give each entry its own: sAMAccountName is unique in a domain (case-insensitively)',
      );
      return undefined;
    }
    this.samOwners.set(sam.toLowerCase(), owner);
    return sam;
  }

  private readUpn(value: unknown, path: string, owner: string): string | undefined {
    const upn = this.optionalString(value, path, 'user@suffix, e.g. alice@radmfa.test');
    if (upn === undefined) return undefined;
    const at = upn.indexOf('@');
    if (at <= 0 || at !== upn.lastIndexOf('@') || at === upn.length - 1) {
      this.issues.add(
        path,
        'must look like user@suffix with exactly one "@"',
        'write e.g. alice@radmfa.test',
      );
      return undefined;
    }
    const previous = this.upnOwners.get(upn.toLowerCase());
    if (previous !== undefined) {
      this.issues.add(
        path,
        `"${upn}" is already used by ${previous}`,
        'give each user its own userPrincipalName',
      );
      return undefined;
    }
    this.upnOwners.set(upn.toLowerCase(), owner);
    return upn;
  }

  private readUac(value: unknown, path: string): number {
    if (value === undefined) return UAC_NORMAL_ACCOUNT;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      this.issues.add(
        path,
        `must be a whole number from 0 to 4294967295, got ${describeValue(value)}`,
        'write e.g. 512 (normal) or 514 (disabled)',
      );
      return UAC_NORMAL_ACCOUNT;
    }
    return value;
  }

  private optionalString(value: unknown, path: string, example: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(path, wrongValue(value, 'a non-empty string'), `write ${example}`);
      return undefined;
    }
    return value.trim();
  }

  private optionalPassword(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      // YAML reads `password: 1234` as a number; the fix is to quote it.
      this.issues.add(path, wrongValue(value, 'a non-empty string'), 'quote it in YAML (password: "1234")');
      return undefined;
    }
    return value;
  }

  private optionalTime(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    const parsed =
      typeof value === 'string' || typeof value === 'number' ? parseTimeValue(value) : { ok: false as const };
    if (!parsed.ok) {
      this.issues.add(
        path,
        `is not a time, got ${describeValue(value)}`,
        'write "never", 0, an ISO-8601 instant ("2020-01-01T00:00:00Z") or a FILETIME decimal string',
      );
      return undefined;
    }
    return parsed.filetime;
  }

  private stringList(value: unknown, path: string, what: string): string[] {
    if (!Array.isArray(value)) {
      this.issues.add(path, wrongValue(value, 'a list'), `write a list of ${what}`);
      return [];
    }
    const out: string[] = [];
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string' && item.trim() !== '') out.push(item.trim());
      else this.issues.add(`${path}[${index}]`, wrongValue(item, 'a non-empty string'), `write a ${what}`);
    });
    return out;
  }

  private readAttributes(value: unknown, path: string): FixtureAttribute[] {
    if (value === undefined) return [];
    if (!isPlainObject(value)) {
      this.issues.add(path, wrongValue(value, 'a mapping'), 'write name: value or name: [values]');
      return [];
    }
    const out: FixtureAttribute[] = [];
    const seen = new Set<string>();
    for (const [name, raw] of Object.entries(value)) {
      const where = `${path}.${name}`;
      if (!ATTRIBUTE_NAME.test(name)) {
        this.issues.add(
          where,
          'is not an attribute name',
          'start with a letter and use only letters, digits and "-"',
        );
        continue;
      }
      const managed = MANAGED_ATTRIBUTES[name.toLowerCase()];
      if (managed !== undefined) {
        this.issues.add(where, 'cannot be set here', managed);
        continue;
      }
      if (seen.has(name.toLowerCase())) {
        this.issues.add(where, 'is set twice (names are case-insensitive)', 'merge the values into one list');
        continue;
      }
      seen.add(name.toLowerCase());
      const items: unknown[] = Array.isArray(raw) ? raw : [raw];
      const values: string[] = [];
      for (const item of items) {
        if (typeof item === 'string' && item !== '') values.push(item);
        else if (typeof item === 'number' && Number.isFinite(item)) values.push(String(item));
        else if (typeof item === 'boolean') values.push(item ? 'TRUE' : 'FALSE');
        else {
          this.issues.add(
            where,
            `has a value that is not a non-empty string, number or boolean: ${describeValue(item)}`,
            'remove it or write it as a string',
          );
        }
      }
      if (values.length === 0) {
        this.issues.add(where, 'has no value', 'give at least one value, or remove the attribute');
      } else {
        out.push({ name, values });
      }
    }
    return out;
  }

  private resolveMemberships(
    users: readonly (UserDraft | undefined)[],
    groups: readonly (GroupDraft | undefined)[],
    links: readonly PendingGroupLink[],
  ): void {
    const usersByKey = new Map<string, UserDraft>();
    const usersBySam = new Map<string, UserDraft>();
    for (const user of users) {
      if (user === undefined) continue;
      usersByKey.set(user.key.key, user);
      usersBySam.set(user.sAMAccountName.toLowerCase(), user);
    }
    const groupsByKey = new Map<string, GroupDraft>();
    const groupsByName = new Map<string, GroupDraft>();
    for (const group of groups) {
      if (group === undefined) continue;
      groupsByKey.set(group.key.key, group);
      groupsByName.set(group.cn.toLowerCase(), group);
      groupsByName.set(group.sAMAccountName.toLowerCase(), group);
    }
    const memberKeys = new Map<GroupDraft, Set<string>>();
    const addMember = (group: GroupDraft, dn: string, key: string, member: { memberOf: string[] }): void => {
      const keys = memberKeys.get(group) ?? new Set<string>();
      memberKeys.set(group, keys);
      if (keys.has(key)) return;
      keys.add(key);
      group.members.push(dn);
      member.memberOf.push(group.dn);
    };
    for (const group of groups) {
      if (group === undefined) continue;
      group.memberRefs.forEach((reference, index) => {
        const path = `${group.path}.members[${index}]`;
        const key = normalizeDn(reference);
        const byDn =
          key === undefined || !reference.includes('=')
            ? undefined
            : (usersByKey.get(key.key) ?? groupsByKey.get(key.key));
        const member = byDn ?? usersBySam.get(reference.toLowerCase());
        if (member === undefined) {
          this.issues.add(
            path,
            `"${reference}" matches no user or group`,
            "write a user's sAMAccountName or the DN of a user or group in this fixture",
          );
        } else if (member === group) {
          this.issues.add(
            path,
            'names the group itself: a group cannot be a member of itself',
            'remove this entry',
          );
        } else {
          addMember(group, member.dn, member.key.key, member);
        }
      });
    }
    for (const link of links) {
      const user = users[link.userIndex];
      if (user === undefined) continue;
      const key = link.reference.includes('=') ? normalizeDn(link.reference) : undefined;
      const group =
        (key === undefined ? undefined : groupsByKey.get(key.key)) ??
        groupsByName.get(link.reference.toLowerCase());
      if (group === undefined) {
        this.issues.add(
          link.path,
          `"${link.reference}" matches no group`,
          "write a group's cn, sAMAccountName or DN from groups[]",
        );
      } else {
        addMember(group, user.dn, user.key.key, user);
      }
    }
  }
}

function lastWord(text: string): string {
  const words = text.trim().split(/\s+/);
  return words[words.length - 1] ?? text;
}

function freezeUser(draft: UserDraft): DirectoryUser {
  const { key: _key, ...user } = draft;
  return user;
}

function freezeGroup(draft: GroupDraft): DirectoryGroup {
  const { key: _key, path: _path, memberRefs: _refs, ...group } = draft;
  return group;
}
