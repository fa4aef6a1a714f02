import { encodeAttributes, type AttributeInput } from '../../protocol/index.ts';
import { AUTH_METHODS, type AuthMethod } from '../methods.ts';
import {
  IssueCollector,
  isPlainObject,
  validate,
  z,
  type PlainObject,
} from '../../runtime/validation/index.ts';

/** Conditions of a network policy; every condition given must hold (NPS network policy semantics). */
export interface PolicyConditions {
  readonly clients?: readonly string[];
  readonly groups?: readonly string[];
  readonly nasPortTypes?: readonly number[];
  readonly methods?: readonly AuthMethod[];
}

export interface PolicyRule {
  readonly name: string;
  readonly when: PolicyConditions;
  readonly action: 'grant' | 'deny';
  readonly reply: readonly AttributeInput[];
}

export interface PolicyConfig {
  readonly rules: readonly PolicyRule[];
  /** When no rule matches. NPS rejects; an empty rule list grants with no reply attributes. */
  readonly noMatch: 'grant' | 'deny';
}

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]);
const nonEmpty = z.string().min(1);
const portType = z.union([nonEmpty, z.int().min(0)]);

const replyAttributeSchema = z
  .object({
    name: nonEmpty.meta({ fix: 'write a dictionary attribute name such as Class or Filter-Id' }),
    value: z.union([z.string(), z.number()]).meta({ fix: 'write the value as the dictionary type expects' }),
    tag: z.int().min(0).max(31).optional().meta({ description: 'RFC 2868 tag for tunnel attributes' }),
  })
  .strict();

const ruleSchema = z
  .object({
    name: nonEmpty.optional().meta({ description: 'shown in logs; default rule-N' }),
    when: z
      .object({
        client: oneOrMany(nonEmpty).optional().meta({ description: 'RADIUS client name(s)' }),
        group: oneOrMany(nonEmpty).optional().meta({ description: 'directory group(s), any of them' }),
        nasPortType: oneOrMany(portType).optional().meta({
          description: 'NAS-Port-Type name(s) or number(s)',
          fix: 'use a NAS-Port-Type name such as Virtual or Ethernet, or its number',
        }),
        method: oneOrMany(z.enum(AUTH_METHODS)).optional(),
      })
      .strict()
      .nullish(),
    action: z.enum(['grant', 'deny']).default('grant'),
    reply: z.array(replyAttributeSchema).nullish(),
  })
  .strict();

/** Ordered network policies: the first rule whose conditions all hold decides. */
export const policySchema = z
  .object({
    rules: z.array(ruleSchema).nullish(),
    noMatch: z
      .enum(['grant', 'deny'])
      .optional()
      .meta({ description: 'when no rule matches; default deny when rules exist, grant when none' }),
  })
  .strict();

type PolicyInput = z.output<typeof policySchema>;
type RuleInput = z.output<typeof ruleSchema>;

function listOf<T>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** NAS-Port-Type by dictionary name or number, as its RFC 2865 5.41 value; undefined if unknown. */
function portTypeNumber(value: string | number): number | { readonly error: string } {
  try {
    const [encoded] = encodeAttributes([{ name: 'NAS-Port-Type', value }]);
    return encoded?.value.readUInt32BE(0) ?? 0;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

/**
 * What the dictionary decides: NAS-Port-Type names and reply attributes are encoded once at load
 * time, which proves each name exists and each value fits its type. Reads the raw input and skips
 * what has the wrong type, which the schema reports.
 */
function checkDictionary(c: IssueCollector, raw: PlainObject): void {
  const rules = Array.isArray(raw.rules) ? (raw.rules as readonly unknown[]) : [];
  rules.forEach((rule, i) => {
    if (!isPlainObject(rule)) return;
    const field = `rules[${i}]`;
    const when = isPlainObject(rule.when) ? rule.when : {};
    for (const value of asList(when.nasPortType)) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const result = portTypeNumber(value);
      if (typeof result !== 'number') {
        c.add(
          `${field}.when.nasPortType`,
          result.error,
          'use a NAS-Port-Type name such as Virtual or Ethernet, or its number',
        );
      }
    }
    asList(rule.reply).forEach((entry, j) => {
      if (!isPlainObject(entry) || typeof entry.name !== 'string') return;
      const { name, value, tag } = entry;
      if (typeof value !== 'string' && typeof value !== 'number') return;
      const attribute: AttributeInput = typeof tag === 'number' ? { name, value, tag } : { name, value };
      try {
        encodeAttributes([attribute], { secret: 'validation', requestAuthenticator: Buffer.alloc(16) });
      } catch (error) {
        c.add(`${field}.reply[${j}]`, (error as Error).message, 'fix the attribute name or value');
      }
    });
  });
}

function buildRule(rule: RuleInput, i: number): PolicyRule {
  const when = rule.when ?? {};
  const clients = listOf(when.client);
  const groups = listOf(when.group);
  const methods = listOf(when.method);
  const nasPortTypes = listOf(when.nasPortType)?.map((value) => {
    const result = portTypeNumber(value);
    return typeof result === 'number' ? result : -1;
  });
  return {
    name: rule.name ?? `rule-${i + 1}`,
    when: {
      ...(clients !== undefined ? { clients: [...clients] } : {}),
      ...(groups !== undefined ? { groups: [...groups] } : {}),
      ...(nasPortTypes !== undefined ? { nasPortTypes } : {}),
      ...(methods !== undefined ? { methods: [...methods] } : {}),
    },
    action: rule.action,
    reply: (rule.reply ?? []).map((attr) =>
      attr.tag === undefined
        ? { name: attr.name, value: attr.value }
        : { name: attr.name, value: attr.value, tag: attr.tag },
    ),
  };
}

function buildPolicy(input: PolicyInput): PolicyConfig {
  const rules = (input.rules ?? []).map(buildRule);
  return { rules, noMatch: input.noMatch ?? (rules.length === 0 ? 'grant' : 'deny') };
}

/** The `policy` section: shape from policySchema, dictionary checks here; issues go to `c`. */
export function normalisePolicy(c: IssueCollector, raw: unknown): PolicyConfig {
  const parsed = validate(policySchema, raw ?? {}, 'policy');
  const semantic = new IssueCollector('policy');
  checkDictionary(semantic, isPlainObject(raw) ? raw : {});
  c.addChecked(parsed, semantic.issues);
  return buildPolicy(parsed.ok ? parsed.value : { rules: [] });
}
