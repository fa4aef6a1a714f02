import { encodeAttributes, type AttributeInput } from '../../protocol/index.ts';
import { AUTH_METHODS, type AuthMethod } from '../methods.ts';
import { IssueCollector, describe } from './issues.ts';

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

function stringList(c: IssueCollector, value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : c.array(value, field);
  return list.map((item, i) => c.string(item, `${field}[${i}]`, ''));
}

export function normalisePolicy(c: IssueCollector, raw: unknown): PolicyConfig {
  const input = c.object(raw, 'policy');
  c.knownKeys(input, 'policy', ['rules', 'noMatch']);
  const rules = c.array(input.rules, 'policy.rules').map((item, i): PolicyRule => {
    const field = `policy.rules[${i}]`;
    const rule = c.object(item, field);
    c.knownKeys(rule, field, ['name', 'when', 'action', 'reply']);
    const when = c.object(rule.when, `${field}.when`);
    c.knownKeys(when, `${field}.when`, ['client', 'group', 'nasPortType', 'method']);
    const clients = stringList(c, when.client, `${field}.when.client`);
    const groups = stringList(c, when.group, `${field}.when.group`);
    const methodNames = stringList(c, when.method, `${field}.when.method`);
    const methods = methodNames?.filter((m): m is AuthMethod => {
      if ((AUTH_METHODS as readonly string[]).includes(m)) return true;
      c.add(
        `${field}.when.method`,
        `"${m}" is not an authentication method`,
        `use ${AUTH_METHODS.join(', ')}`,
      );
      return false;
    });
    let nasPortTypes: number[] | undefined;
    if (when.nasPortType !== undefined) {
      const values = Array.isArray(when.nasPortType) ? (when.nasPortType as unknown[]) : [when.nasPortType];
      nasPortTypes = values.map((value) => {
        try {
          const [encoded] = encodeAttributes([{ name: 'NAS-Port-Type', value: value as string | number }]);
          return encoded?.value.readUInt32BE(0) ?? 0;
        } catch (error) {
          c.add(
            `${field}.when.nasPortType`,
            (error as Error).message,
            'use a NAS-Port-Type name such as Virtual or Ethernet, or its number',
          );
          return -1;
        }
      });
    }
    const reply = c.array(rule.reply, `${field}.reply`).map((entry, j): AttributeInput => {
      const attrField = `${field}.reply[${j}]`;
      const attr = c.object(entry, attrField);
      c.knownKeys(attr, attrField, ['name', 'value', 'tag']);
      const name = c.string(
        attr.name,
        `${attrField}.name`,
        'Class',
        'write a dictionary attribute name such as Class or Filter-Id',
      );
      const value = attr.value;
      if (typeof value !== 'string' && typeof value !== 'number') {
        c.add(
          `${attrField}.value`,
          `must be a string or number, got ${describe(value)}`,
          'write the value as the dictionary type expects',
        );
        return { name, value: '' };
      }
      const input: AttributeInput =
        attr.tag === undefined
          ? { name, value }
          : { name, value, tag: c.integer(attr.tag, `${attrField}.tag`, 0, 0, 31) };
      try {
        // Encoding once at load time proves the value fits its dictionary type.
        encodeAttributes([input], { secret: 'validation', requestAuthenticator: Buffer.alloc(16) });
      } catch (error) {
        c.add(attrField, (error as Error).message, 'fix the attribute name or value');
      }
      return input;
    });
    return {
      name: c.string(rule.name, `${field}.name`, `rule-${i + 1}`),
      when: {
        ...(clients !== undefined ? { clients } : {}),
        ...(groups !== undefined ? { groups } : {}),
        ...(nasPortTypes !== undefined ? { nasPortTypes } : {}),
        ...(methods !== undefined ? { methods } : {}),
      },
      action: c.oneOf(rule.action, `${field}.action`, 'grant', ['grant', 'deny'] as const),
      reply,
    };
  });
  return {
    rules,
    noMatch: c.oneOf(input.noMatch, 'policy.noMatch', rules.length === 0 ? 'grant' : 'deny', [
      'grant',
      'deny',
    ] as const),
  };
}
