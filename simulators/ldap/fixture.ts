// A directory fixture: the users and groups an LDAP directory (the stub or a real slapd) is loaded
// with. Authors write partial input (DirectoryFixtureInput); validation returns a normalised
// DirectoryFixture or every problem at once, each naming the field and the fix.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { DirectoryFixtureError, LdapStubError, type FixtureIssue } from './errors.ts';
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
  | { readonly ok: false; readonly issues: readonly FixtureIssue[] };

/** Validates and normalises fixture input without throwing. */
export function checkDirectoryFixture(input: unknown): FixtureCheck {
  const issues = new IssueList();
  const fixture = new FixtureNormaliser(issues).run(input);
  return fixture === undefined || issues.items.length > 0
    ? { ok: false, issues: issues.items }
    : { ok: true, fixture };
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
      [{ path: '(file)', message: `not valid ${format.toUpperCase()}: ${reason}; fix the syntax` }],
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

class IssueList {
  readonly items: FixtureIssue[] = [];
  add(path: string, message: string): void {
    this.items.push({ path, message });
  }
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

  constructor(private readonly issues: IssueList) {}

  run(input: unknown): DirectoryFixture | undefined {
    if (!isRecord(input)) {
      this.issues.add('(root)', 'expected a mapping with baseDn, serviceAccount, users and groups');
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
        if (!isRecord(item) || item.memberOf === undefined) return;
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
    for (const field of Object.keys(record)) {
      if (allowed.includes(field)) continue;
      const near = allowed.find((name) => editDistance(name.toLowerCase(), field.toLowerCase()) <= 2);
      const hint = near !== undefined ? `did you mean \`${near}\`?` : `expected one of ${allowed.join(', ')}`;
      const extra = allowed.includes('attributes') ? '; put extra LDAP attributes under `attributes`' : '';
      this.issues.add(path === '' ? field : `${path}.${field}`, `unknown field; ${hint}${extra}`);
    }
  }

  private readBase(value: unknown): BaseEntryKind | undefined {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add('baseDn', 'required: the naming context as a DN, e.g. "DC=radmfa,DC=test"');
      return undefined;
    }
    const parsed = parseDn(value);
    const key = normalizeDn(value);
    if (!parsed.ok || key === undefined || key.rdns.length === 0) {
      const reason = parsed.ok ? 'it is empty' : parsed.reason;
      this.issues.add('baseDn', `not a valid DN (${reason}); write it like "DC=radmfa,DC=test"`);
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
      this.issues.add('baseDn', `its first RDN must be DC=, O=, OU= or CN= (got ${leafType.toUpperCase()}=)`);
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
    if (!isRecord(value)) {
      this.issues.add('defaults', 'expected a mapping with optional password and pwdLastSet');
      return;
    }
    this.unknownFields(value, DEFAULTS_FIELDS, 'defaults');
    this.defaultPassword = this.optionalPassword(value.password, 'defaults.password');
    const time = this.optionalTime(value.pwdLastSet, 'defaults.pwdLastSet');
    if (time !== undefined) this.defaultPwdLastSet = time;
  }

  private readServiceAccount(value: unknown): UserDraft | undefined {
    if (!isRecord(value)) {
      this.issues.add('serviceAccount', 'required: { dn, password } of the account searches bind as');
      return undefined;
    }
    this.unknownFields(value, SERVICE_FIELDS, 'serviceAccount');
    const key = this.readEntryDn(value.dn, 'serviceAccount.dn');
    const password = this.optionalPassword(value.password, 'serviceAccount.password');
    if (password === undefined && value.password === undefined) {
      this.issues.add('serviceAccount.password', 'required: the service account must be able to bind');
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
      this.issues.add(path, 'expected a list');
      return [];
    }
    return value.map((item: unknown, index) => read(item, `${path}[${index}]`));
  }

  private readUser(value: unknown, path: string): UserDraft | undefined {
    if (!isRecord(value)) {
      this.issues.add(path, 'expected a mapping with at least dn and sAMAccountName');
      return undefined;
    }
    this.unknownFields(value, USER_FIELDS, path);
    const key = this.readEntryDn(value.dn, `${path}.dn`);
    const cn = typeof value.dn === 'string' ? this.readCn(value.cn, value.dn, path) : undefined;
    const sam = this.readSam(value.sAMAccountName, `${path}.sAMAccountName`, path);
    const upn = this.readUpn(value.userPrincipalName, `${path}.userPrincipalName`, path);
    const mail = this.optionalString(value.mail, `${path}.mail`, 'an address such as alice@radmfa.test');
    if (mail !== undefined && !mail.includes('@')) this.issues.add(`${path}.mail`, 'must contain "@"');
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
    if (!isRecord(value)) {
      this.issues.add(path, 'expected a mapping with at least dn');
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
      this.issues.add(path, 'required: the entry\'s DN, e.g. "CN=Alice Anderson,OU=Users,DC=radmfa,DC=test"');
      return undefined;
    }
    const parsed = parseDn(value);
    const key = normalizeDn(value);
    if (!parsed.ok || key === undefined) {
      this.issues.add(path, `not a valid DN (${parsed.ok ? 'unparseable' : parsed.reason})`);
      return undefined;
    }
    if (this.base !== undefined && (!isWithin(key, this.base) || key.rdns.length === this.base.rdns.length)) {
      this.issues.add(path, `must lie below baseDn ${this.baseDn}; end the DN with ",${this.baseDn}"`);
      return undefined;
    }
    if (!this.claimDn(key, path)) return undefined;
    if (this.base !== undefined) this.addContainers(parsed.rdns, key, path);
    return key;
  }

  private claimDn(key: NormalizedDn, path: string): boolean {
    const owner = this.dnOwners.get(key.key);
    if (owner !== undefined) {
      this.issues.add(path, `duplicates the DN of ${owner}; every entry needs its own DN`);
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
      if (fromDn === undefined) this.issues.add(`${path}.cn`, 'required when the DN does not start with CN=');
      return fromDn;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(`${path}.cn`, 'must be a non-empty string');
      return undefined;
    }
    if (fromDn !== undefined && fromDn.toLowerCase() !== value.trim().toLowerCase()) {
      this.issues.add(
        `${path}.cn`,
        `must equal the DN's CN value "${fromDn}" (LDAP keeps the RDN in the entry); drop the field or fix it`,
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
      this.issues.add(path, 'required: the pre-Windows 2000 logon name, e.g. "alice"');
      return undefined;
    }
    const sam = value.trim();
    if (sam.length > maxLength) {
      this.issues.add(path, `at most ${maxLength} characters (Active Directory's limit); shorten it`);
      return undefined;
    }
    if (SAM_FORBIDDEN.test(sam)) {
      this.issues.add(
        path,
        'contains a character AD forbids here (" / \\ [ ] : ; | = , + * ? < > @); remove it',
      );
      return undefined;
    }
    const previous = this.samOwners.get(sam.toLowerCase());
    if (previous !== undefined) {
      this.issues.add(
        path,
        `"${sam}" is already used by ${previous}; sAMAccountName is unique in a domain (case-insensitively)`,
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
      this.issues.add(path, 'must look like user@suffix with exactly one "@", e.g. alice@radmfa.test');
      return undefined;
    }
    const previous = this.upnOwners.get(upn.toLowerCase());
    if (previous !== undefined) {
      this.issues.add(path, `"${upn}" is already used by ${previous}; userPrincipalName must be unique`);
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
        'must be an integer between 0 and 4294967295, e.g. 512 (normal) or 514 (disabled)',
      );
      return UAC_NORMAL_ACCOUNT;
    }
    return value;
  }

  private optionalString(value: unknown, path: string, example: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.add(path, `must be a non-empty string: ${example}`);
      return undefined;
    }
    return value.trim();
  }

  private optionalPassword(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      // YAML reads `password: 1234` as a number; the fix is to quote it.
      this.issues.add(path, 'must be a non-empty string; quote it in YAML (password: "1234")');
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
        'must be "never", 0, an ISO-8601 instant ("2020-01-01T00:00:00Z") or a FILETIME decimal string',
      );
      return undefined;
    }
    return parsed.filetime;
  }

  private stringList(value: unknown, path: string, what: string): string[] {
    if (!Array.isArray(value)) {
      this.issues.add(path, `expected a list of ${what}`);
      return [];
    }
    const out: string[] = [];
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string' && item.trim() !== '') out.push(item.trim());
      else this.issues.add(`${path}[${index}]`, `expected a ${what} as a non-empty string`);
    });
    return out;
  }

  private readAttributes(value: unknown, path: string): FixtureAttribute[] {
    if (value === undefined) return [];
    if (!isRecord(value)) {
      this.issues.add(path, 'expected a mapping of attribute name to value or list of values');
      return [];
    }
    const out: FixtureAttribute[] = [];
    const seen = new Set<string>();
    for (const [name, raw] of Object.entries(value)) {
      const where = `${path}.${name}`;
      if (!ATTRIBUTE_NAME.test(name)) {
        this.issues.add(
          where,
          'attribute names start with a letter and contain only letters, digits and "-"',
        );
        continue;
      }
      const managed = MANAGED_ATTRIBUTES[name.toLowerCase()];
      if (managed !== undefined) {
        this.issues.add(where, `cannot be set here: ${managed}`);
        continue;
      }
      if (seen.has(name.toLowerCase())) {
        this.issues.add(where, 'set twice (names are case-insensitive); merge the values into one list');
        continue;
      }
      seen.add(name.toLowerCase());
      const items: unknown[] = Array.isArray(raw) ? raw : [raw];
      const values: string[] = [];
      for (const item of items) {
        if (typeof item === 'string' && item !== '') values.push(item);
        else if (typeof item === 'number' && Number.isFinite(item)) values.push(String(item));
        else if (typeof item === 'boolean') values.push(item ? 'TRUE' : 'FALSE');
        else this.issues.add(where, 'values must be non-empty strings, numbers or booleans');
      }
      if (values.length === 0)
        this.issues.add(where, 'needs at least one value; remove the attribute instead');
      else out.push({ name, values });
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
            `"${reference}" matches no user or group; write a user's sAMAccountName or the DN of a user or group in this fixture`,
          );
        } else if (member === group) {
          this.issues.add(path, 'a group cannot be a member of itself; remove this entry');
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
          `"${link.reference}" matches no group; write a group's cn, sAMAccountName or DN from groups[]`,
        );
      } else {
        addMember(group, user.dn, user.key.key, user);
      }
    }
  }
}

/** Levenshtein distance, for "did you mean" hints on misspelt field names (short strings only). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY;
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
