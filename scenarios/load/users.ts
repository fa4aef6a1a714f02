// Who logs in. Four sources: the demo tenant (its push and TOTP users), a generated directory and
// tenant of N users (for the LDAP stub and the MFA mock alike, each user's MFA method and behaviour
// taken from the mix), one credential (--user/--password/--method), or a CSV of credentials for an
// external server. Iteration i always gets the same user and class, whichever process runs it, so
// the segments of a run replay the full run.
import { createHash } from 'node:crypto';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base32Decode, base32Encode } from '../../protocol/auth/index.ts';
import type { Issue } from '../../runtime/validation/index.ts';
import { loginMethods, type LoginMethod } from '../../simulators/nas/methods/types.ts';
import type { DirectoryFixtureInput } from '../../simulators/ldap/index.ts';
import {
  DEFAULT_TENANT_SETTINGS,
  loadTenantFile,
  type MfaUserDefinition,
  type TenantDefinition,
} from '../../simulators/mfa/index.ts';
import { DEFAULT_USER_BEHAVIOUR } from '../../simulators/users/index.ts';
import { demoDirectoryFixture, demoTenantFixture } from '../embedded/defaults.ts';
import type { LoadProfile, MfaKind, MixClass } from './profile.ts';

export interface Credential {
  readonly user: string;
  readonly password: string;
  readonly method: LoginMethod;
  readonly mfa: MfaKind;
  /** The key of the user's authenticator app, when they answer OTP prompts. */
  readonly totpKey?: Buffer;
  readonly mixClass: MixClass;
}

export interface UserPool {
  /** In words, for reports ("1000 generated users", "demo tenant"); never a password. */
  readonly description: string;
  readonly size: number;
  /** The credential iteration `index` (its index in the full run) uses. */
  pick(index: number): Credential;
  /** For embedded targets: the directory fixture file and tenant these users live in. */
  readonly embedded?: { readonly directoryFixture: string; readonly tenant?: TenantDefinition };
  /** Removes generated files. */
  dispose(): Promise<void>;
}

/** A well-spread point in [0, 1) for index i (golden-ratio sequence): classes interleave evenly. */
function spread(i: number): number {
  const x = (i + 0.5) * 0.6180339887498949;
  return x - Math.floor(x);
}

/** The class whose share of the cumulative weights contains `u`. */
export function classAt(mix: readonly MixClass[], u: number): MixClass {
  const total = mix.reduce((n, c) => n + c.weight, 0);
  let left = u * total;
  for (const c of mix) {
    if (left < c.weight) return c;
    left -= c.weight;
  }
  return mix[mix.length - 1] as MixClass;
}

const GENERATED_DOMAIN = 'radmfa.test';
const BASE_DN = 'DC=radmfa,DC=test';

function generatedName(u: number): string {
  return `load${String(u).padStart(6, '0')}`;
}

/** A per-user TOTP key that any process derives the same way. */
function generatedKey(seed: number, u: number): Buffer {
  return createHash('sha1').update(`radmfa-load:${seed}:${u}`).digest();
}

export function generatedDirectory(count: number, password: string): DirectoryFixtureInput {
  const names = Array.from({ length: count }, (_, u) => generatedName(u));
  return {
    baseDn: BASE_DN,
    serviceAccount: {
      dn: `CN=svc-radius,OU=Service Accounts,${BASE_DN}`,
      sAMAccountName: 'svc-radius',
      password: 'S3rvice-Passw0rd!',
    },
    defaults: { password },
    users: names.map((name) => ({
      dn: `CN=${name},OU=Load,${BASE_DN}`,
      sAMAccountName: name,
      userPrincipalName: `${name}@${GENERATED_DOMAIN}`,
    })),
    // The embedded default's policy admits members of VPN-Users.
    groups: [{ dn: `CN=VPN-Users,OU=Groups,${BASE_DN}`, members: names }],
  };
}

export function generatedTenant(count: number, mix: readonly MixClass[], seed: number): TenantDefinition {
  const users: MfaUserDefinition[] = Array.from({ length: count }, (_, u) => {
    const mixClass = classAt(mix, spread(u));
    const name = generatedName(u);
    const base = {
      upn: `${name}@${GENERATED_DOMAIN}`,
      alternateIds: [],
      enrolled: true,
      registeredFor: ['mfa' as const],
      behaviour: mixClass.behaviour,
    };
    if (mixClass.mfa === 'totp') {
      const key = generatedKey(seed, u);
      return {
        ...base,
        methods: ['app_code'],
        defaultMethod: 'app_code',
        totp: { secret: base32Encode(key), key, algorithm: 'SHA1', digits: 6, periodSeconds: 30 },
      };
    }
    return { ...base, methods: ['push'], defaultMethod: 'push' };
  });
  return {
    id: '7c1d5e2a-4b3f-4c8d-9e0a-1b2c3d4e5f60',
    name: 'radmfa load',
    domains: [GENERATED_DOMAIN],
    blocked: false,
    // The embedded stacks register the client certificate they generate at start-up.
    certificates: [],
    settings: { ...DEFAULT_TENANT_SETTINGS, seed },
    users,
  };
}

async function generatedPool(profile: LoadProfile, count: number, password: string): Promise<UserPool> {
  const dir = await mkdtemp(join(tmpdir(), 'radmfa-load-'));
  const directoryFixture = join(dir, 'directory.json');
  await writeFile(directoryFixture, JSON.stringify(generatedDirectory(count, password)));
  const tenant = generatedTenant(count, profile.mix, profile.seed);
  // A user's credential depends on the user alone: built on first use, then reused by every login.
  const credentials = new Map<number, Credential>();
  return {
    description: `${count} generated users (${profile.mix.map((c) => `${c.name} ${c.weight}`).join(', ')})`,
    size: count,
    pick: (index) => {
      const u = index % count;
      const known = credentials.get(u);
      if (known !== undefined) return known;
      const mixClass = classAt(profile.mix, spread(u));
      const credential: Credential = {
        user: generatedName(u),
        password,
        method: mixClass.method,
        mfa: mixClass.mfa,
        ...(mixClass.mfa === 'totp' ? { totpKey: generatedKey(profile.seed, u) } : {}),
        mixClass,
      };
      credentials.set(u, credential);
      return credential;
    },
    embedded: { directoryFixture, tenant },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The demo tenant's users who complete MFA: alice approves pushes, bob types app codes. */
const DEMO_USERS: Readonly<Record<MfaKind, string>> = { push: 'alice', totp: 'bob' };
const DEMO_PASSWORD = 'Passw0rd!';

async function demoPool(profile: LoadProfile): Promise<UserPool> {
  const tenant = await loadTenantFile(demoTenantFixture);
  const keyOf = (user: string): Buffer | undefined =>
    tenant.users.find((u) => u.upn.split('@')[0] === user)?.totp?.key;
  return {
    description: 'demo tenant (alice: push, bob: app code)',
    size: 2,
    pick: (index) => {
      const mixClass = classAt(profile.mix, spread(index));
      const user = DEMO_USERS[mixClass.mfa];
      const key = mixClass.mfa === 'totp' ? keyOf(user) : undefined;
      return {
        user,
        password: DEMO_PASSWORD,
        method: mixClass.method,
        mfa: mixClass.mfa,
        ...(key !== undefined ? { totpKey: key } : {}),
        mixClass,
      };
    },
    embedded: { directoryFixture: demoDirectoryFixture },
    dispose: () => Promise.resolve(),
  };
}

export interface CsvCredential {
  readonly user: string;
  readonly password: string;
  readonly method: LoginMethod;
  readonly totpKey?: Buffer;
}

/** user,password[,method[,totpSecret]] per line; a first line starting with "user" is a header. */
export function parseCredentialsCsv(text: string, source: string, issues: Issue[]): CsvCredential[] {
  const rows: CsvCredential[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || (i === 0 && /^user\b/i.test(trimmed))) return;
    const [user = '', password = '', method = 'pap', secret = ''] = trimmed.split(',').map((f) => f.trim());
    const path = `${source}:${i + 1}`;
    if (user === '' || password === '') {
      issues.push({
        path,
        message: 'needs a user and a password',
        fix: 'write user,password[,method[,totpSecret]]',
      });
      return;
    }
    if (!(loginMethods as readonly string[]).includes(method)) {
      issues.push({
        path,
        message: `"${method}" is not a login method`,
        fix: `use one of ${loginMethods.join(', ')}`,
      });
      return;
    }
    let totpKey: Buffer | undefined;
    if (secret !== '') {
      const decoded = base32Decode(secret);
      if (!decoded.ok) {
        issues.push({
          path,
          message: 'the TOTP secret is not base32',
          fix: 'give the secret as the authenticator app holds it (RFC 4648 base32)',
        });
        return;
      }
      totpKey = decoded.value;
    }
    rows.push({
      user,
      password,
      method: method as LoginMethod,
      ...(totpKey !== undefined ? { totpKey } : {}),
    });
  });
  if (rows.length === 0 && issues.length === 0) {
    issues.push({
      path: source,
      message: 'holds no credentials',
      fix: 'write one user,password[,method[,totpSecret]] per line',
    });
  }
  return rows;
}

function listPool(description: string, rows: readonly CsvCredential[], profile: LoadProfile): UserPool {
  const mixClass: MixClass = {
    name: 'credentials',
    weight: 1,
    method: 'pap',
    mfa: 'push',
    behaviour: profile.mix[0]?.behaviour ?? DEFAULT_USER_BEHAVIOUR,
  };
  const credentials: readonly Credential[] = rows.map((row) => ({
    user: row.user,
    password: row.password,
    method: row.method,
    mfa: row.totpKey !== undefined ? 'totp' : 'push',
    ...(row.totpKey !== undefined ? { totpKey: row.totpKey } : {}),
    mixClass: { ...mixClass, name: row.method, method: row.method },
  }));
  return {
    description,
    size: rows.length,
    pick: (index) => credentials[index % credentials.length] as Credential,
    // On an embedded target these users must be in the demo directory (alice, bob...).
    embedded: { directoryFixture: demoDirectoryFixture },
    dispose: () => Promise.resolve(),
  };
}

export type PoolResult =
  { readonly ok: true; readonly pool: UserPool } | { readonly ok: false; readonly issues: readonly Issue[] };

export async function openUserPool(profile: LoadProfile): Promise<PoolResult> {
  const users = profile.users;
  switch (users.source) {
    case 'demo':
      return { ok: true, pool: await demoPool(profile) };
    case 'generated':
      return { ok: true, pool: await generatedPool(profile, users.count, users.password) };
    case 'single':
      return {
        ok: true,
        pool: listPool(
          `one user (${users.user}, ${users.method})`,
          [{ user: users.user, password: users.password, method: users.method }],
          profile,
        ),
      };
    case 'csv': {
      let text: string;
      try {
        text = await readFile(users.file, 'utf8');
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          issues: [
            {
              path: 'users.file',
              message: `cannot read ${users.file} (${detail})`,
              fix: 'give the path of a CSV of user,password[,method[,totpSecret]]',
            },
          ],
        };
      }
      const issues: Issue[] = [];
      const rows = parseCredentialsCsv(text, users.file, issues);
      if (issues.length > 0) return { ok: false, issues };
      return { ok: true, pool: listPool(`${rows.length} users from ${users.file}`, rows, profile) };
    }
  }
}
