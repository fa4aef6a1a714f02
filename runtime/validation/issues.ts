// One validation toolkit for every file radmfa reads (server config, directory fixture, tenant, NAS
// profiles, suites, load profiles). Everything is checked at once: each problem is collected with
// the field it concerns and its fix, so a file with five mistakes is corrected in one round (k6 and
// fast-check do the same). Declarative shapes use zod (see ./schema.ts); cross-field and semantic
// checks use IssueCollector below; both produce this one Issue type.

export interface Issue {
  /** Dotted path into the input, e.g. `clients[0].secret`; '' for the whole document. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] };

export function formatIssue(issue: Issue): string {
  return `${issue.path === '' ? '(document)' : issue.path}: ${issue.message}. Fix: ${issue.fix}`;
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => `  - ${formatIssue(issue)}`).join('\n');
}

/**
 * Thrown where a caller cannot take a Validated result (start-up code, constructors); carries every
 * issue. Modules name their own stable `code` (undici style) so callers can branch without parsing.
 */
export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly Issue[],
    readonly code: string = 'RADMFA_INVALID_INPUT',
  ) {
    super(`${what} is invalid:\n${formatIssues(issues)}`);
    this.name = 'ValidationError';
  }
}

/**
 * Structural issues (from a schema) and semantic ones (from IssueCollector code) in one list. A
 * semantic check that also tripped over a field the schema already refused says the same thing
 * twice; the schema's issue is kept, as it names the expected shape.
 */
export function mergeIssues(structural: readonly Issue[], semantic: readonly Issue[]): Issue[] {
  const reported = new Set(structural.map((issue) => issue.path));
  return [...structural, ...semantic.filter((issue) => !reported.has(issue.path))];
}

/** A parsed YAML/JSON mapping. */
export type PlainObject = Readonly<Record<string, unknown>>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a value reads in an error message: its kind, and the value itself when it is short. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A path relative to `prefix` made absolute: `clients` + `[0].secret`, `mfa` + `tenantId`, `mfa` + ``. */
export function prefixPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Joins a parent path and a key or index the way every message writes it: `a.b[0].c`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * One issue per key the format does not know: a misspelt optional key would otherwise be ignored
 * silently. A key within two edits of a known one is named as the likely meaning.
 */
export function unknownKeyIssues(
  keys: readonly string[],
  path: string,
  known: readonly string[],
  hint?: string,
): Issue[] {
  return keys
    .filter((key) => !known.includes(key))
    .map((key) => {
      // Short keys are a few edits from anything; only a close match is worth naming.
      const tolerance = Math.min(2, Math.floor(key.length / 3));
      const near = known.find((name) => editDistance(name.toLowerCase(), key.toLowerCase()) <= tolerance);
      const choices = known.length > 0 ? `remove it or use one of: ${known.join(', ')}` : 'remove it';
      const fix = near !== undefined ? `did you mean ${near}? Otherwise ${choices}` : choices;
      return {
        path: joinPath(path, key),
        message: 'is not a known setting',
        fix: hint === undefined ? fix : `${fix}; ${hint}`,
      };
    });
}

/** Levenshtein distance, for "did you mean" hints (short strings only; long ones never match). */
export function editDistance(a: string, b: string): number {
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

/** Small typed readers that record an issue instead of throwing, so validation never stops early. */
export class IssueCollector {
  readonly issues: Issue[] = [];

  constructor(private readonly prefix = '') {}

  private at(path: string): string {
    return prefixPath(this.prefix, path);
  }

  add(path: string, message: string, fix: string): void {
    this.issues.push({ path: this.at(path), message, fix });
  }

  addAll(issues: readonly Issue[]): void {
    for (const issue of issues) this.issues.push({ ...issue, path: this.at(issue.path) });
  }

  /**
   * A part of a document checked twice: by its schema (structure) and by code (meaning). See
   * mergeIssues for what is kept.
   */
  addChecked(structure: Validated<unknown>, semantic: readonly Issue[]): void {
    this.addAll(mergeIssues(structure.ok ? [] : structure.issues, semantic));
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }

  /** The value when nothing was collected, every issue otherwise. */
  result<T>(value: T): Validated<T> {
    return this.issues.length === 0 ? { ok: true, value } : { ok: false, issues: [...this.issues] };
  }

  object(value: unknown, path: string): PlainObject {
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) {
      this.add(path, `must be a mapping, got ${describeValue(value)}`, `write ${path} as key: value pairs`);
      return {};
    }
    return value;
  }

  /** `hint` is added to each fix, e.g. where extra keys belong instead. */
  knownKeys(input: PlainObject, path: string, known: readonly string[], hint?: string): void {
    this.addAll(unknownKeyIssues(Object.keys(input), path, known, hint));
  }

  string(value: unknown, path: string, fallback: string, fix = 'write a string'): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') {
      this.add(path, `must be a non-empty string, got ${describeValue(value)}`, fix);
      return fallback;
    }
    return value;
  }

  optionalString(value: unknown, path: string, fix = 'write a string'): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.string(value, path, '', fix);
  }

  integer(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(
        path,
        `must be a whole number from ${min} to ${max}, got ${describeValue(value)}`,
        `set ${path} to a number in that range (default ${fallback})`,
      );
      return fallback;
    }
    return value;
  }

  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.add(
        path,
        `must be true or false, got ${describeValue(value)}`,
        `set ${path}: true or ${path}: false`,
      );
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, fallback: T, allowed: readonly T[]): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.add(
        path,
        `must be one of ${allowed.join(', ')}, got ${describeValue(value)}`,
        `set ${path} to one of those (default ${fallback})`,
      );
      return fallback;
    }
    return value as T;
  }

  array(value: unknown, path: string): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.add(path, `must be a list, got ${describeValue(value)}`, `write ${path} as a list (- item)`);
      return [];
    }
    return value;
  }
}
