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

/** Thrown where a caller cannot take a Validated result (start-up code); carries every issue. */
export class ValidationError extends Error {
  readonly code = 'RADMFA_INVALID_INPUT';

  constructor(
    readonly what: string,
    readonly issues: readonly Issue[],
  ) {
    super(`${what} is invalid:\n${formatIssues(issues)}`);
    this.name = 'ValidationError';
  }
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

/** Joins a parent path and a key or index the way every message writes it: `a.b[0].c`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Small typed readers that record an issue instead of throwing, so validation never stops early. */
export class IssueCollector {
  readonly issues: Issue[] = [];

  constructor(private readonly prefix = '') {}

  private at(path: string): string {
    return this.prefix === '' ? path : path === '' ? this.prefix : `${this.prefix}.${path}`;
  }

  add(path: string, message: string, fix: string): void {
    this.issues.push({ path: this.at(path), message, fix });
  }

  addAll(issues: readonly Issue[]): void {
    for (const issue of issues) this.issues.push({ ...issue, path: this.at(issue.path) });
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

  knownKeys(input: PlainObject, path: string, known: readonly string[]): void {
    for (const key of Object.keys(input)) {
      if (!known.includes(key)) {
        this.add(
          joinPath(path, key),
          'is not a known setting',
          `remove it or use one of: ${known.join(', ')}`,
        );
      }
    }
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
