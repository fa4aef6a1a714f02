// Suite files in, validated cases out. Every file is read and every issue of every file is collected
// before anything runs (field + fix, the file named in each path), so a user fixes all of them in one
// round. Beyond the zod shape, each case's settings are checked with the validators that will use
// them: NAS profiles and policies, typing behaviours, tenant overrides and server overrides.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { isPlainObject, validate, type Issue, type Validated } from '../../runtime/validation/index.ts';
import { checkDirectoryFixture } from '../../simulators/ldap/index.ts';
import { parseTenant, type TenantDefinition } from '../../simulators/mfa/index.ts';
import { resolveNasPolicy } from '../../simulators/nas/index.ts';
import { parseCodeBehaviour, type CodeBehaviour } from '../../simulators/users/index.ts';
import { demoDirectoryFixture, demoTenantFixture, embeddedDefaultConfig } from '../embedded/defaults.ts';
import { suiteFile, type SuiteCase } from './schema.ts';

/** Where bare suite names (`dedupe`) are looked up. */
export const SUITES_DIR = path.resolve(import.meta.dirname);

type Topology = NonNullable<SuiteCase['topology']>;
type NasSettings = NonNullable<SuiteCase['nas']>;

/** A case with the suite's defaults merged in and its settings resolved for the engine. */
export interface LoadedCase extends SuiteCase {
  readonly suite: string;
  readonly topology: Topology;
  readonly nas: NasSettings;
  readonly resolved: {
    /** The server config input (embedded default + overrides), before listen/accounting are set per stack. */
    readonly serverConfig: Readonly<Record<string, unknown>>;
    /** Absolute path of the directory fixture. */
    readonly directoryFixture: string;
    /** The tenant with the case's overrides; undefined means the demo tenant as is. */
    readonly tenant?: TenantDefinition;
    /** Typing behaviour of each login step, by step index. */
    readonly typing: ReadonlyMap<number, CodeBehaviour>;
    /** A key saying which cases may share one stack (same server, directory and tenant). */
    readonly topologyKey: string;
  };
}

export interface LoadedSuite {
  readonly name: string;
  readonly description: string;
  /** As given or resolved, relative to the working directory. */
  readonly file: string;
  readonly cases: readonly LoadedCase[];
}

/** Any of the issue shapes the older validators still produce (`field` or `path`, fix optional). */
interface LooseIssue {
  readonly path?: string;
  readonly field?: string;
  readonly message: string;
  readonly fix?: string;
}

function asIssue(raw: LooseIssue, prefix: string): Issue {
  const inner = raw.path ?? raw.field ?? '';
  const cleaned = inner === '(root)' || inner === '(top level)' || inner === '(file)' ? '' : inner;
  const joined =
    prefix === ''
      ? cleaned
      : cleaned === ''
        ? prefix
        : cleaned.startsWith('[')
          ? `${prefix}${cleaned}`
          : `${prefix}.${cleaned}`;
  return { path: joined, message: raw.message, fix: raw.fix ?? 'see the message' };
}

/** `dedupe` -> scenarios/suites/dedupe.yaml; anything with a slash or an extension is a path. */
export function suitePath(nameOrPath: string): string {
  if (/[\\/]/.test(nameOrPath) || /\.(ya?ml|json)$/i.test(nameOrPath)) return path.resolve(nameOrPath);
  return path.join(SUITES_DIR, `${nameOrPath}.yaml`);
}

/** Mappings merge key by key (recursively); anything else in `over` replaces what is in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function withFilePrefix(issues: readonly Issue[], file: string): Issue[] {
  return issues.map((issue) => ({ ...issue, path: issue.path === '' ? file : `${file}:${issue.path}` }));
}

let demoTenantInput: unknown;
function demoTenantDocument(): unknown {
  demoTenantInput ??= parseYaml(readFileSync(demoTenantFixture, 'utf8'));
  return demoTenantInput;
}

/** The demo tenant document with `overrides` merged into the users they name (by UPN or its local part). */
function tenantWithOverrides(overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>>): {
  document: unknown;
  indexOf: Map<number, string>;
} {
  const document = structuredClone(demoTenantDocument()) as Record<string, unknown>;
  const users = Array.isArray(document.users) ? (document.users as Record<string, unknown>[]) : [];
  const domains = (document.tenant as { domains?: string[] } | undefined)?.domains ?? ['radmfa.test'];
  const indexOf = new Map<number, string>();
  for (const [name, override] of Object.entries(overrides)) {
    const wanted = name.toLowerCase();
    const index = users.findIndex((u) => {
      const upn = typeof u.upn === 'string' ? u.upn.toLowerCase() : '';
      return upn === wanted || upn.split('@')[0] === wanted;
    });
    if (index >= 0) {
      users[index] = { ...users[index], ...override };
      indexOf.set(index, name);
    } else {
      const upn = name.includes('@') ? name : `${name}@${domains[0] ?? 'radmfa.test'}`;
      users.push({ upn, ...override });
      indexOf.set(users.length - 1, name);
    }
  }
  document.users = users;
  return { document, indexOf };
}

function checkTenant(topology: Topology, at: string, issues: Issue[]): TenantDefinition | undefined {
  if (topology.tenantUsers === undefined) return undefined;
  const { document, indexOf } = tenantWithOverrides(topology.tenantUsers);
  const result = parseTenant(document, { baseDir: path.dirname(demoTenantFixture) });
  if (result.ok) return result.tenant;
  for (const issue of result.issues) {
    // users[3].behaviour... -> topology.tenantUsers.alice.behaviour...
    const match = /^users\[(\d+)\](.*)$/.exec(issue.path);
    const name = match === null ? undefined : indexOf.get(Number(match[1]));
    if (match !== null && name !== undefined) {
      issues.push(asIssue({ ...issue, path: `${name}${match[2] ?? ''}` }, `${at}.tenantUsers`));
    } else {
      issues.push(asIssue(issue, `${at}.tenantUsers`));
    }
  }
  return undefined;
}

function serverInput(topology: Topology): Record<string, unknown> {
  return deepMerge(embeddedDefaultConfig(), topology.server ?? {}) as Record<string, unknown>;
}

function checkServer(topology: Topology, at: string, issues: Issue[]): void {
  if (topology.server === undefined) return;
  const result = normaliseServerConfig({
    ...serverInput(topology),
    // The engine sets where the stack listens and stores; an override may still name them.
    accounting: { path: ':memory:' },
    admin: null,
  });
  if (!result.ok) for (const issue of result.issues) issues.push(asIssue(issue, `${at}.server`));
}

function checkNas(nas: NasSettings, at: string, issues: Issue[]): void {
  if (nas.profile === undefined && nas.policy === undefined) return;
  const resolved = resolveNasPolicy(nas.profile ?? 'nps-recommended', nas.policy);
  if (resolved.ok) return;
  for (const issue of resolved.issues) {
    const field = (issue as LooseIssue).field ?? (issue as LooseIssue).path ?? '';
    issues.push(
      asIssue(
        { ...issue, path: field === 'profile' ? '' : field },
        field === 'profile' ? `${at}.profile` : `${at}.policy`,
      ),
    );
  }
}

function checkDirectory(file: string, topology: Topology, at: string, issues: Issue[]): string {
  if (topology.directory === undefined) return demoDirectoryFixture;
  const resolved = path.resolve(path.dirname(file), topology.directory);
  if (!existsSync(resolved)) {
    issues.push({
      path: `${at}.directory`,
      message: `names ${resolved}, which does not exist`,
      fix: 'give a directory fixture path relative to the suite file',
    });
    return resolved;
  }
  try {
    const check = checkDirectoryFixture(parseYaml(readFileSync(resolved, 'utf8')));
    if (!check.ok) {
      for (const issue of check.issues) {
        issues.push({
          path: `${at}.directory`,
          message: `${topology.directory}: ${issue.path}: ${issue.message}`,
          fix: 'correct the directory fixture',
        });
      }
    }
  } catch (error) {
    issues.push({
      path: `${at}.directory`,
      message: `cannot read ${resolved}: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'give a readable YAML directory fixture',
    });
  }
  return resolved;
}

function topologyKey(serverConfig: unknown, directory: string, topology: Topology): string {
  return JSON.stringify([serverConfig, directory, topology.tenantUsers ?? null, topology.network ?? null]);
}

type ParsedSuite = ReturnType<typeof suiteFile.parse>;

function loadCases(file: string, suite: ParsedSuite, issues: Issue[]): LoadedCase[] {
  return suite.cases.map((c, index) => {
    const at = `cases[${index}]`;
    const topology = deepMerge(suite.defaults?.topology ?? {}, c.topology ?? {}) as Topology;
    const nas = deepMerge(suite.defaults?.nas ?? {}, c.nas ?? {}) as NasSettings;
    const topologyAt =
      c.topology?.server !== undefined || c.topology?.tenantUsers !== undefined
        ? `${at}.topology`
        : 'defaults.topology';
    checkNas(nas, c.nas !== undefined ? `${at}.nas` : 'defaults.nas', issues);
    checkServer(topology, topologyAt, issues);
    const tenant = checkTenant(topology, topologyAt, issues);
    const directoryFixture = checkDirectory(file, topology, topologyAt, issues);
    const typing = new Map<number, CodeBehaviour>();
    c.steps.forEach((step, stepIndex) => {
      if (step.kind !== 'login' || step.typing === undefined) return;
      const raw: Parameters<typeof parseCodeBehaviour>[2] = [];
      const behaviour = parseCodeBehaviour(step.typing, `${at}.steps[${stepIndex}].typing`, raw);
      for (const issue of raw) issues.push(asIssue(issue, ''));
      typing.set(stepIndex, behaviour);
    });
    const serverConfig = serverInput(topology);
    return {
      ...c,
      suite: suite.suite,
      topology,
      nas,
      resolved: {
        serverConfig,
        directoryFixture,
        ...(tenant !== undefined ? { tenant } : {}),
        typing,
        topologyKey: topologyKey(serverConfig, directoryFixture, topology),
      },
    };
  });
}

/** Reads, validates and resolves one suite file; every issue at once, paths prefixed with the file. */
export function loadSuiteFile(filePath: string): Validated<LoadedSuite> {
  const absolute = path.resolve(filePath);
  const shown = path.relative(process.cwd(), absolute) || absolute;
  let document: unknown;
  try {
    document = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    return {
      ok: false,
      issues: [
        {
          path: shown,
          message: missing
            ? 'no such suite file'
            : `cannot be read as YAML: ${error instanceof Error ? error.message : String(error)}`,
          fix: missing
            ? `name a suite in ${path.relative(process.cwd(), SUITES_DIR) || SUITES_DIR} or give a path`
            : 'fix the YAML syntax at the position given',
        },
      ],
    };
  }
  return loadSuiteDocument(document, absolute, shown);
}

/**
 * Validates and resolves a suite already parsed (property tests build theirs in code). `file` is
 * where relative paths resolve from; `shown` prefixes every issue.
 */
export function loadSuiteDocument(document: unknown, file: string, shown = file): Validated<LoadedSuite> {
  const shape = validate(suiteFile, document);
  if (!shape.ok) return { ok: false, issues: withFilePrefix(shape.issues, shown) };
  const issues: Issue[] = [];
  const cases = loadCases(file, shape.value, issues);
  if (issues.length > 0) return { ok: false, issues: withFilePrefix(dedupeIssues(issues), shown) };
  return {
    ok: true,
    value: { name: shape.value.suite, description: shape.value.description, file: shown, cases },
  };
}

/** A defaults problem is found once per case; report it once. */
function dedupeIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Loads every named suite; the issues of all of them together when any is wrong. */
export function loadSuites(namesOrPaths: readonly string[]): Validated<LoadedSuite[]> {
  const suites: LoadedSuite[] = [];
  const issues: Issue[] = [];
  for (const name of namesOrPaths) {
    const result = loadSuiteFile(suitePath(name));
    if (result.ok) suites.push(result.value);
    else issues.push(...result.issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: suites };
}

/** Every suite file in scenarios/suites, by name. */
export function bundledSuiteNames(): string[] {
  if (!existsSync(SUITES_DIR)) return [];
  return readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
