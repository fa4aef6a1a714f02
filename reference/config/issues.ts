// Configuration is checked all at once: every problem is collected with the field it concerns and
// the fix, so a file with five mistakes is corrected in one round (k6 and fast-check do the same).

export interface ConfigIssue {
  /** Dotted path into the input, e.g. `clients[0].secret`. */
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

export class ConfigError extends Error {
  readonly code = 'RADMFA_CONFIG_INVALID';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${formatConfigIssues(issues)}`);
    this.name = 'ConfigError';
  }
}

export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  - ${i.field}: ${i.message}. Fix: ${i.fix}`).join('\n');
}

export type PlainObject = Readonly<Record<string, unknown>>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Small typed readers that record an issue instead of throwing, so validation never stops early. */
export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(field: string, message: string, fix: string): void {
    this.issues.push({ field, message, fix });
  }

  object(value: unknown, field: string): PlainObject {
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) {
      this.add(field, `must be a mapping, got ${describe(value)}`, `write ${field} as key: value pairs`);
      return {};
    }
    return value;
  }

  knownKeys(input: PlainObject, field: string, known: readonly string[]): void {
    for (const key of Object.keys(input)) {
      if (!known.includes(key)) {
        const prefix = field === '' ? key : `${field}.${key}`;
        this.add(prefix, 'is not a known setting', `remove it or use one of: ${known.join(', ')}`);
      }
    }
  }

  string(value: unknown, field: string, fallback: string, fix = 'write a string'): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') {
      this.add(field, `must be a non-empty string, got ${describe(value)}`, fix);
      return fallback;
    }
    return value;
  }

  optionalString(value: unknown, field: string, fix = 'write a string'): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.string(value, field, '', fix);
  }

  integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(
        field,
        `must be a whole number from ${min} to ${max}, got ${describe(value)}`,
        `set ${field} to a number in that range (default ${fallback})`,
      );
      return fallback;
    }
    return value;
  }

  boolean(value: unknown, field: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.add(
        field,
        `must be true or false, got ${describe(value)}`,
        `set ${field}: true or ${field}: false`,
      );
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, fallback: T, allowed: readonly T[]): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.add(
        field,
        `must be one of ${allowed.join(', ')}, got ${describe(value)}`,
        `set ${field} to one of those (default ${fallback})`,
      );
      return fallback;
    }
    return value as T;
  }

  array(value: unknown, field: string): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.add(field, `must be a list, got ${describe(value)}`, `write ${field} as a list (- item)`);
      return [];
    }
    return value;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
