// Declarative shapes for radmfa's data files are zod 4 schemas: zod checks every field at once and
// emits the JSON Schema that `radmfa schema` publishes for editors, so the file format and its
// schema cannot drift apart. This module turns zod's issues into radmfa's Issue (field, problem,
// fix). A schema names its own fix with `.meta({ fix: '...' })`; a refinement passes it as
// `params: { fix }`; otherwise the fix is derived from the kind of problem.
import { z } from 'zod';
import { describeValue, joinPath, type Issue, type Validated } from './issues.ts';

export { z };

type Key = PropertyKey;
type ZodIssue = z.core.$ZodIssue;

interface SchemaMeta {
  readonly fix?: string;
}

/** The schema found at a path, looking through optional, default, nullable, pipe, lazy and arrays. */
function schemaAt(root: z.ZodType, input: unknown, path: readonly Key[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  let value = input;
  for (const key of path) {
    current = pickOption(unwrap(current), value);
    value = typeof value === 'object' && value !== null ? (value as Record<Key, unknown>)[key] : undefined;
    if (current === undefined) return undefined;
    if (current instanceof z.ZodObject && typeof key === 'string') {
      current = (current.shape as Record<string, z.ZodType>)[key];
    } else if (current instanceof z.ZodArray && typeof key === 'number') {
      current = current.element as z.ZodType;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
    } else {
      return undefined;
    }
  }
  // Wrapped, so that a fix named on an optional or transformed field is still found.
  const picked = pickOption(unwrap(current), value);
  return picked instanceof z.ZodObject ? picked : current;
}

/** In a union, the object option whose literal fields (a discriminator) the input matches. */
function pickOption(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const options = (schema.options as readonly z.ZodType[]).map(unwrap);
  const matches = options.find((option) => {
    if (!(option instanceof z.ZodObject) || typeof value !== 'object' || value === null) return false;
    return Object.entries(option.shape as Record<string, z.ZodType>).every(([key, field]) => {
      const inner = unwrap(field);
      if (!(inner instanceof z.ZodLiteral)) return true;
      return (inner.values as Set<unknown>).has((value as Record<string, unknown>)[key]);
    });
  });
  return matches ?? schema;
}

function unwrapOnce(schema: z.ZodType): z.ZodType {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodLazy
  ) {
    return schema.unwrap() as z.ZodType;
  }
  if (schema instanceof z.ZodPipe) return schema.in as z.ZodType;
  return schema;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    const next = unwrapOnce(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** The fix named by the schema or by any wrapper around it (optional, default, pipe...). */
function metaFix(schema: z.ZodType | undefined): string | undefined {
  let current = schema;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    const fix = (current.meta() as SchemaMeta | undefined)?.fix;
    if (fix !== undefined) return fix;
    const next = unwrapOnce(current);
    if (next === current) return undefined;
    current = next;
  }
  return undefined;
}

/** A message the schema author wrote, rather than zod's default English. */
function authored(issue: ZodIssue): string | undefined {
  return /^(Invalid|Too (big|small)|Unrecognized)/.test(issue.message) ? undefined : issue.message;
}

function valueAt(input: unknown, path: readonly Key[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<Key, unknown>)[key];
  }
  return current;
}

function pathText(path: readonly Key[]): string {
  return path.reduce<string>((text, key) => joinPath(text, typeof key === 'number' ? key : String(key)), '');
}

function knownKeys(wrapped: z.ZodType | undefined): string[] {
  const schema = unwrap(wrapped);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

function convert(root: z.ZodType, input: unknown, issue: ZodIssue, base: readonly Key[]): Issue[] {
  const path = [...base, ...issue.path];
  const field = pathText(path);
  const schema = schemaAt(root, input, path);
  const value = valueAt(input, path);
  const fix = metaFix(schema);
  const got = describeValue(value);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) {
        return [{ path: field, message: 'is missing', fix: fix ?? `add ${field} (${issue.expected})` }];
      }
      if (authored(issue) !== undefined) {
        return [
          {
            path: field,
            message: `${authored(issue)}, got ${got}`,
            fix: fix ?? `write ${field} as ${article(issue.expected)}`,
          },
        ];
      }
      return [
        {
          path: field,
          message: `must be ${article(issue.expected)}, got ${got}`,
          fix: fix ?? `write ${field} as ${article(issue.expected)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path: field,
          message: `must be one of ${quoteList(issue.values)}, got ${got}`,
          fix: fix ?? `use one of ${quoteList(issue.values)}`,
        },
      ];
    case 'unrecognized_keys': {
      const known = knownKeys(schema);
      return issue.keys.map((key) => ({
        path: joinPath(field, key),
        message: 'is not a known setting',
        fix: known.length > 0 ? `remove it or use one of: ${known.join(', ')}` : 'remove it',
      }));
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const what =
        issue.origin === 'string'
          ? `${String(bound)} characters long`
          : issue.origin === 'array' || issue.origin === 'set'
            ? `${String(bound)} items`
            : String(bound);
      return [
        {
          path: field,
          message: `must be ${word} ${what}, got ${got}`,
          fix: fix ?? `set ${field} to ${word} ${what}`,
        },
      ];
    }
    case 'invalid_format':
      return [
        {
          path: field,
          message: `${authored(issue) ?? `must be a valid ${issue.format}`}, got ${got}`,
          fix:
            fix ??
            (issue.format === 'regex'
              ? `change ${field} to match ${String((issue as { pattern?: string }).pattern)}`
              : `write ${field} as a ${issue.format}`),
        },
      ];
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        const options = (issue as { options?: readonly unknown[] }).options;
        const discriminator = (issue as { discriminator?: string }).discriminator;
        return [
          {
            path: field,
            message: `${got} is not a known ${discriminator ?? 'form'}`,
            fix: fix ?? (options !== undefined ? `use one of ${quoteList(options)}` : 'see the JSON Schema'),
          },
        ];
      }
      // The option the input came closest to is the one the author meant: report its problems.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return closest.flatMap((inner) => convert(root, input, inner, path));
    }
    case 'custom': {
      const params = issue.params as SchemaMeta | undefined;
      return [{ path: field, message: issue.message, fix: params?.fix ?? fix ?? 'see the JSON Schema' }];
    }
    default:
      return [{ path: field, message: issue.message, fix: fix ?? 'see the JSON Schema' }];
  }
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** Converts a failed parse into radmfa issues, every one of them, in input order. */
export function issuesFrom(root: z.ZodType, input: unknown, error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue) => convert(root, input, issue, []));
}

/** Parses input with a schema, returning the typed value or every issue. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): Validated<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: issuesFrom(schema, input, parsed.error) };
}

/** The JSON Schema (draft 2020-12) an editor uses to complete and check a file. */
export function jsonSchemaOf(schema: z.ZodType, title: string): Record<string, unknown> {
  return { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title };
}
