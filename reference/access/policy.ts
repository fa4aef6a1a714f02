import type { AttributeInput } from '../../protocol/index.ts';
import type { PolicyConfig, PolicyRule } from '../config/policy-config.ts';
import type { AuthMethod } from '../methods.ts';

export interface PolicyFacts {
  readonly client: string;
  readonly groups: readonly string[];
  readonly nasPortType?: number | undefined;
  readonly method: AuthMethod;
}

export type PolicyDecision =
  | { readonly kind: 'grant'; readonly rule?: string; readonly reply: readonly AttributeInput[] }
  | { readonly kind: 'deny'; readonly rule?: string };

// Group names compare case-insensitively. A user's groups (the same array on every lookup of a
// directory held in memory) and a rule's groups are lower-cased once, not per login and rule.
const memberships = new WeakMap<readonly string[], ReadonlySet<string>>();
const ruleGroups = new WeakMap<readonly string[], readonly string[]>();

function membershipOf(groups: readonly string[]): ReadonlySet<string> {
  let member = memberships.get(groups);
  if (member === undefined) {
    member = new Set(groups.map((g) => g.toLowerCase()));
    memberships.set(groups, member);
  }
  return member;
}

function lowerCased(groups: readonly string[]): readonly string[] {
  let lower = ruleGroups.get(groups);
  if (lower === undefined) {
    lower = groups.map((g) => g.toLowerCase());
    ruleGroups.set(groups, lower);
  }
  return lower;
}

function matches(rule: PolicyRule, facts: PolicyFacts): boolean {
  const { clients, groups, nasPortTypes, methods } = rule.when;
  if (clients !== undefined && !clients.includes(facts.client)) return false;
  if (groups !== undefined) {
    const member = membershipOf(facts.groups);
    if (!lowerCased(groups).some((g) => member.has(g))) return false;
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

// Decisions are only read, so the ones no rule made are shared by every login that matched none.
const GRANT_UNMATCHED: PolicyDecision = { kind: 'grant', reply: [] };
const DENY_UNMATCHED: PolicyDecision = { kind: 'deny' };

/** Ordered network policies: the first rule whose conditions all hold decides (NPS semantics). */
export function evaluatePolicy(policy: PolicyConfig, facts: PolicyFacts): PolicyDecision {
  for (const rule of policy.rules) {
    if (!matches(rule, facts)) continue;
    return rule.action === 'grant'
      ? { kind: 'grant', rule: rule.name, reply: rule.reply }
      : { kind: 'deny', rule: rule.name };
  }
  return policy.noMatch === 'grant' ? GRANT_UNMATCHED : DENY_UNMATCHED;
}
