// Configuration is validated all at once: parsers push every problem they find into one list, so a
// tenant file with five mistakes is fixed in one round, not five. Each issue names the field (a dotted
// path into the input) and says how to fix it.

export interface ConfigIssue {
  /** Where in the input, e.g. `users[3].behaviour.prompt.after`. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}. Fix: ${issue.fix}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `  - ${formatIssue(issue)}`).join('\n');
}

/** A parsed YAML/JSON mapping; anything else is reported as an issue by the caller. */
export type PlainObject = Readonly<Record<string, unknown>>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reports keys the schema does not know: a misspelt optional key would otherwise be silently ignored. */
export function checkKnownKeys(
  input: PlainObject,
  known: readonly string[],
  path: string,
  issues: ConfigIssue[],
): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      issues.push({
        path: path === '' ? key : `${path}.${key}`,
        message: `unknown key "${key}"`,
        fix: `remove it or use one of: ${known.join(', ')}`,
      });
    }
  }
}
