import type { AttributeInput } from '../../protocol/index.ts';
import type { PolicyConfig, PolicyRule } from '../config/policy-config.ts';
import type { AuthMethod } from '../methods.ts';

export interface PolicyFacts {
  readonly client: string;
  readonly groups: readonly string[];
  readonly nasPortType?: number;
  readonly method: AuthMethod;
}

export type PolicyDecision =
  | { readonly kind: 'grant'; readonly rule?: string; readonly reply: readonly AttributeInput[] }
  | { readonly kind: 'deny'; readonly rule?: string };

function matches(rule: PolicyRule, facts: PolicyFacts): boolean {
  const { clients, groups, nasPortTypes, methods } = rule.when;
  if (clients !== undefined && !clients.includes(facts.client)) return false;
  if (groups !== undefined) {
    const member = new Set(facts.groups.map((g) => g.toLowerCase()));
    if (!groups.some((g) => member.has(g.toLowerCase()))) return false;
  }
  if (
    nasPortTypes !== undefined &&
    (facts.nasPortType === undefined || !nasPortTypes.includes(facts.nasPortType))
  ) {
    return false;
  }
  if (methods !== undefined && !methods.includes(facts.method)) return false;
  return true;
}

/** Ordered network policies: the first rule whose conditions all hold decides (NPS semantics). */
export function evaluatePolicy(policy: PolicyConfig, facts: PolicyFacts): PolicyDecision {
  for (const rule of policy.rules) {
    if (!matches(rule, facts)) continue;
    return rule.action === 'grant'
      ? { kind: 'grant', rule: rule.name, reply: rule.reply }
      : { kind: 'deny', rule: rule.name };
  }
  return policy.noMatch === 'grant' ? { kind: 'grant', reply: [] } : { kind: 'deny' };
}
