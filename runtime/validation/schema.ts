// Declarative shapes for radmfa's data files are zod 4 schemas: zod checks every field at once and
// emits the JSON Schema that `radmfa schema` publishes for editors, so the file format and its
// schema cannot drift apart. This module turns zod's issues into radmfa's Issue (field, problem,
// fix). A schema names its own fix with `.meta({ fix: '...' })`; a refinement passes it as
// `params: { fix }`; otherwise the fix is derived from the kind of problem.
import { z } from 'zod';
import {
  describeValue,
  joinPath,
  prefixPath,
  unknownKeyIssues,
  type Issue,
  type Validated,
} from './issues.ts';

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
  return values.map((v) => (typeof v === 'string' ? v : String(JSON.stringify(v)))).join(', ');
}

/** zod's name for a type, as a person writes it in a YAML file. */
const typeNames: Readonly<Record<string, string>> = {
  int: 'whole number',
  object: 'mapping',
  record: 'mapping',
  array: 'list',
  map: 'mapping',
};

function typeName(expected: string): string {
  return typeNames[expected] ?? expected;
}

/** What a union option expected at its own root, when the value failed there (wrong type or value). */
function rootExpectation(errors: readonly ZodIssue[]): string | undefined {
  const atRoot = errors.find((inner) => inner.path.length === 0);
  if (atRoot?.code === 'invalid_type') return article(typeName(atRoot.expected));
  if (atRoot?.code === 'invalid_value') {
    return atRoot.values.length === 1 ? quoteList(atRoot.values) : `one of (${quoteList(atRoot.values)})`;
  }
  return undefined;
}

function orList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1
    ? (unique[0] ?? '')
    : `${unique.slice(0, -1).join(', ')} or ${unique.at(-1) ?? ''}`;
}

function sizeText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const word = issue.code === 'too_small' ? 'at least' : 'at most';
  if (issue.origin === 'string') {
    return issue.code === 'too_small' && Number(bound) === 1
      ? 'not empty'
      : `${word} ${String(bound)} characters long`;
  }
  if (issue.origin === 'array' || issue.origin === 'set') {
    return issue.code === 'too_small' && Number(bound) === 1 ? 'not empty' : `${word} ${String(bound)} items`;
  }
  return `${word} ${String(bound)}`;
}

interface Context {
  readonly root: z.ZodType;
  readonly input: unknown;
  /** Where the input sits in its document, so messages name the full path. */
  readonly at: string;
}

function convert(context: Context, issue: ZodIssue, base: readonly Key[]): Issue[] {
  const { root, input } = context;
  const path = [...base, ...issue.path];
  const field = prefixPath(context.at, pathText(path));
  const schema = schemaAt(root, input, path);
  const value = valueAt(input, path);
  const fix = metaFix(schema);
  const got = describeValue(value);
  const one = (message: string, fallbackFix: string): Issue[] => [
    { path: field, message, fix: fix ?? fallbackFix },
  ];
  switch (issue.code) {
    case 'invalid_type': {
      const expected = typeName(issue.expected);
      if (value === undefined) return one('is missing', `add ${field} (${expected})`);
      const message = authored(issue) ?? `must be ${article(expected)}`;
      return one(`${message}, got ${got}`, `write ${field} as ${article(expected)}`);
    }
    case 'invalid_value':
      return one(
        `must be one of ${quoteList(issue.values)}, got ${got}`,
        `use one of ${quoteList(issue.values)}`,
      );
    case 'unrecognized_keys':
      return unknownKeyIssues(issue.keys, field, knownKeys(schema));
    case 'too_small':
    case 'too_big': {
      const size = sizeText(issue);
      const message = authored(issue) ?? (size === 'not empty' ? 'must not be empty' : `must be ${size}`);
      // "got a list" says nothing about a list's length; the bound does.
      const counted = issue.origin === 'array' || issue.origin === 'set';
      return one(counted ? message : `${message}, got ${got}`, `make ${field} ${size}`);
    }
    case 'invalid_format': {
      const pattern = (issue as { pattern?: string }).pattern;
      const expected =
        issue.format === 'regex' ? `must match ${String(pattern)}` : `must be a valid ${issue.format}`;
      return one(
        `${authored(issue) ?? expected}, got ${got}`,
        issue.format === 'regex'
          ? `change ${field} to match ${String(pattern)}`
          : `write ${field} as a ${issue.format}`,
      );
    }
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        const options = (issue as { options?: readonly unknown[] }).options;
        const discriminator = (issue as { discriminator?: string }).discriminator;
        return one(
          `${got} is not a known ${discriminator ?? 'form'}`,
          options !== undefined ? `use one of ${quoteList(options)}` : 'see the JSON Schema',
        );
      }
      const expectations = issue.errors.map(rootExpectation);
      if (expectations.every((text): text is string => text !== undefined)) {
        // The value fits no option's type: name them all rather than guess one.
        const expected = orList(expectations);
        return one(`must be ${expected}, got ${got}`, `write ${field} as ${expected}`);
      }
      // The option whose type the value has is the one the author meant: report its problems.
      const candidates = issue.errors.filter((_errors, i) => expectations[i] === undefined);
      const closest = [...candidates].sort((a, b) => a.length - b.length)[0] ?? [];
      return closest.flatMap((inner) => convert(context, inner, path));
    }
    case 'custom': {
      const params = issue.params as SchemaMeta | undefined;
      return [{ path: field, message: issue.message, fix: params?.fix ?? fix ?? 'see the JSON Schema' }];
    }
    default:
      return one(issue.message, 'see the JSON Schema');
  }
}

function article(noun: string): string {
  if (noun === 'null' || noun === 'undefined') return noun;
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** Converts a failed parse into radmfa issues, every one of them, in input order. */
export function issuesFrom(root: z.ZodType, input: unknown, error: z.ZodError, at = ''): Issue[] {
  return error.issues.flatMap((issue) => convert({ root, input, at }, issue, []));
}

/**
 * Parses input with a schema, returning the typed value or every issue. `at` is where the input
 * sits in a larger document (`mfa`, `clients`): issues and fixes then name the full path.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, at = ''): Validated<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: issuesFrom(schema, input, parsed.error, at) };
}

/** The JSON Schema (draft 2020-12) an editor uses to complete and check a file. */
export function jsonSchemaOf(schema: z.ZodType, title: string): Record<string, unknown> {
  return { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title };
}
