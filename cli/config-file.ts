import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { serverConfigDefaults } from '../reference/config/server-config.ts';
import { isPlainObject, type Issue } from '../runtime/validation/index.ts';

/**
 * The accounting database's file name when the configuration names none: next to the config file,
 * or, without a config file (the embedded default), in the directory radmfa is started from.
 */
export const DEFAULT_ACCOUNTING_FILE = serverConfigDefaults.accountingPath;

export type LoadedFile =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: Issue[] };

/** Reads a JSON or YAML file (by extension; YAML accepts JSON too). Errors become config issues. */
export function readConfigFile(path: string): LoadedFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          path: '--config',
          message: `cannot read ${path}: ${(error as Error).message}`,
          fix: 'give the path of an existing JSON or YAML file',
        },
      ],
    };
  }
  try {
    const value: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    return { ok: true, value: resolvePaths(value, dirname(resolve(path))) };
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          path: '--config',
          message: `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
          fix: 'correct the syntax at the line shown',
        },
      ],
    };
  }
}

/** File paths inside a config file are relative to that file, not to the working directory. */
function resolvePaths(value: unknown, base: string): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  // An empty path stays empty, so validation reports it instead of it becoming the file's directory.
  const at = (v: unknown): unknown =>
    typeof v === 'string' && v !== '' && v !== ':memory:' && !isAbsolute(v) ? resolve(base, v) : v;
  if (isPlainObject(out.directory) && isPlainObject(out.directory.embedded)) {
    out.directory = {
      ...out.directory,
      embedded: { ...out.directory.embedded, fixture: at(out.directory.embedded.fixture) },
    };
  }
  if (isPlainObject(out.directory) && isPlainObject(out.directory.static)) {
    out.directory = {
      ...out.directory,
      static: { ...out.directory.static, fixture: at(out.directory.static.fixture) },
    };
  }
  // The default database follows the same rule as an explicit path: next to the config file.
  if (out.accounting === undefined || out.accounting === null) out.accounting = {};
  if (isPlainObject(out.accounting)) {
    const path = out.accounting.path === undefined ? DEFAULT_ACCOUNTING_FILE : out.accounting.path;
    out.accounting = { ...out.accounting, path: at(path) };
  }
  if (isPlainObject(out.mfa) && isPlainObject(out.mfa.embedded)) {
    out.mfa = { ...out.mfa, embedded: { ...out.mfa.embedded, tenant: at(out.mfa.embedded.tenant) } };
  }
  if (isPlainObject(out.mfa) && isPlainObject(out.mfa.certificates)) {
    out.mfa = { ...out.mfa, certificates: { ...out.mfa.certificates, dir: at(out.mfa.certificates.dir) } };
  }
  if (isPlainObject(out.mfa) && typeof out.mfa.caFile === 'string') {
    out.mfa = { ...out.mfa, caFile: at(out.mfa.caFile) };
  }
  return out;
}

export interface ConfigFileWarning {
  readonly code: 'config-file-readable';
  readonly message: string;
}

/**
 * The config file holds the shared secrets (and the directory's bind password): a file that group
 * or others can read gives them away. FreeRADIUS installs its clients.conf 0640 root:radiusd for
 * the same reason. Undefined when only the owner can read it, or where modes mean nothing.
 */
export function configFilePermissionWarning(path: string): ConfigFileWarning | undefined {
  if (process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  const readers = [...((mode & 0o040) !== 0 ? ['group'] : []), ...((mode & 0o004) !== 0 ? ['others'] : [])];
  if (readers.length === 0) return undefined;
  return {
    code: 'config-file-readable',
    message: `config file ${path} is readable by ${readers.join(' and ')} (mode ${mode.toString(8).padStart(4, '0')}) and holds shared secrets: chmod 600 ${path}`,
  };
}
