// Launchers for the real peers radmfa measures and tests against (FreeRADIUS, radclient, radmfa serve as a
// child process), the tool lookup and free loopback ports: used by bench/ and by the tests.
// Locating and running the external peers (FreeRADIUS, radclient, eapol_test, oathtool, OpenLDAP) that
// integration tests drive. In CI a missing binary is a broken install, so it must fail loudly; on a
// developer machine the suite may skip, but says so and names the apt package to install.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';

/** Every binary the integration tests may need, with the Debian 12 package that provides it. */
export const TOOL_PACKAGES = {
  freeradius: 'freeradius',
  radclient: 'freeradius-utils',
  radtest: 'freeradius-utils',
  eapol_test: 'eapoltest',
  oathtool: 'oathtool',
  slapd: 'slapd',
  slapadd: 'slapd',
  ldapsearch: 'ldap-utils',
  ldapadd: 'ldap-utils',
  ldapmodify: 'ldap-utils',
  tshark: 'tshark',
  script: 'bsdutils',
} as const;

export type KnownTool = keyof typeof TOOL_PACKAGES;

export interface ToolLookup {
  readonly name: KnownTool;
  readonly available: boolean;
  /** Absolute path of the executable when available. */
  readonly path?: string;
  readonly aptPackage: string;
}

export interface ToolRequirement {
  /** True when every requested tool was found. */
  readonly available: boolean;
  readonly tools: Readonly<Partial<Record<KnownTool, ToolLookup>>>;
  readonly missing: readonly ToolLookup[];
  /** Human-readable explanation; empty when nothing is missing. */
  readonly message: string;
}

export interface RequireToolsOptions {
  /** Treat a missing tool as a failure. Defaults to isCi(): `CI=true` or `CI=1`. */
  readonly ci?: boolean;
  /** Where the skip notice goes on a developer machine. Defaults to console.warn. */
  readonly report?: (message: string) => void;
  /** Search path; defaults to $PATH plus the sbin directories (freeradius and slapd live there). */
  readonly searchPath?: readonly string[];
}

export class MissingToolError extends Error {
  readonly code = 'TOOL_MISSING';
  constructor(
    message: string,
    readonly missing: readonly ToolLookup[],
  ) {
    super(message);
    this.name = 'MissingToolError';
  }
}

/** CI services set CI=true (GitHub Actions, GitLab) or CI=1 (some runners, `CI=1 npm test` by hand). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value === 'true' || value === '1';
}

const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function defaultSearchPath(): string[] {
  const fromEnv = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir.length > 0);
  return [...fromEnv, ...SBIN_DIRECTORIES.filter((dir) => !fromEnv.includes(dir))];
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks a tool up on the search path without failing. */
export function findTool(name: KnownTool, searchPath: readonly string[] = defaultSearchPath()): ToolLookup {
  const aptPackage = TOOL_PACKAGES[name];
  for (const dir of searchPath) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return { name, available: true, path: candidate, aptPackage };
  }
  return { name, available: false, aptPackage };
}

/** Absolute path of a tool, or a MissingToolError naming the package to install. */
export function toolPath(name: KnownTool): string {
  const lookup = findTool(name);
  if (lookup.path === undefined) throw new MissingToolError(describeMissing([lookup]), [lookup]);
  return lookup.path;
}

function describeMissing(missing: readonly ToolLookup[]): string {
  const packages = [...new Set(missing.map((tool) => tool.aptPackage))];
  const names = missing.map((tool) => `${tool.name} (Debian package ${tool.aptPackage})`).join(', ');
  return `missing external tool(s): ${names}. Install with: apt-get install -y ${packages.join(' ')}`;
}

/**
 * Checks that the tools an integration suite needs are installed. Use the result with
 * `describe.skipIf(!req.available)`. In CI (`CI=true` or `CI=1`) a missing tool throws MissingToolError at
 * collection time, so the test file fails with the message instead of silently skipping.
 */
export function requireTools(
  names: readonly KnownTool[],
  options: RequireToolsOptions = {},
): ToolRequirement {
  const ci = options.ci ?? isCi();
  const searchPath = options.searchPath ?? defaultSearchPath();
  const tools: Partial<Record<KnownTool, ToolLookup>> = {};
  const missing: ToolLookup[] = [];
  for (const name of names) {
    const lookup = findTool(name, searchPath);
    tools[name] = lookup;
    if (!lookup.available) missing.push(lookup);
  }
  if (missing.length === 0) return { available: true, tools, missing, message: '' };
  const message = describeMissing(missing);
  if (ci) throw new MissingToolError(`CI is set and ${message}`, missing);
  const report = options.report ?? ((text: string) => console.warn(text));
  report(`[radmfa] skipping integration tests: ${message}`);
  return { available: false, tools, missing, message };
}

/** Single-tool form of requireTools: `{ available, path }`. */
export function requireTool(name: KnownTool, options: RequireToolsOptions = {}): ToolLookup {
  const requirement = requireTools([name], options);
  const lookup = requirement.tools[name];
  return lookup ?? { name, available: false, aptPackage: TOOL_PACKAGES[name] };
}

export interface RunProcessOptions {
  /** Written to the child's stdin, which is then closed. */
  readonly stdin?: string;
  /** Wall-clock bound; the child gets SIGKILL when it expires. */
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ProcessResult {
  /** Null when the process was killed by a signal (including our timeout). */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Bounded output capture: a chatty peer (eapol_test prints ~1000 lines) must not grow memory without end. */
const MAX_CAPTURE_CHARS = 4 * 1024 * 1024;

/** Runs a short-lived external command to completion with a hard time bound. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length < MAX_CAPTURE_CHARS) stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < MAX_CAPTURE_CHARS) stderr += chunk;
    });
    // Test support spawning real daemons runs on wall-clock time; there is no virtual clock to inject.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut });
    });
    // A child that exits before reading stdin (bad arguments) must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}
