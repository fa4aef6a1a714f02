// Search filters (RFC 4511 section 4.5.1.7) as the stub's own data type, and how they match an entry.
// Matching follows each attribute's syntax (attribute-syntax.ts): names and most string values are
// case-insensitive, as in Active Directory and in OpenLDAP's caseIgnoreMatch attributes.
import { attributeKey, syntaxOf, type MatchingSyntax } from './attribute-syntax.ts';
import { normalizeDn } from './dn.ts';

export type LdapFilter =
  | { readonly type: 'and'; readonly filters: readonly LdapFilter[] }
  | { readonly type: 'or'; readonly filters: readonly LdapFilter[] }
  | { readonly type: 'not'; readonly filter: LdapFilter }
  | { readonly type: 'equality'; readonly attribute: string; readonly value: string }
  | { readonly type: 'approx'; readonly attribute: string; readonly value: string }
  | { readonly type: 'greaterOrEqual'; readonly attribute: string; readonly value: string }
  | { readonly type: 'lessOrEqual'; readonly attribute: string; readonly value: string }
  | { readonly type: 'present'; readonly attribute: string }
  | {
      readonly type: 'substrings';
      readonly attribute: string;
      readonly initial?: string;
      readonly any: readonly string[];
      readonly final?: string;
    }
  | {
      readonly type: 'extensible';
      readonly attribute?: string;
      readonly rule?: string;
      readonly value: string;
      readonly dnAttributes: boolean;
    };

/** What a filter needs from an entry: the values of an attribute, looked up case-insensitively. */
export interface FilterableEntry {
  values(attribute: string): readonly string[];
}

/**
 * Active Directory's bitwise matching rules; OpenLDAP implements the same OIDs as
 * integerBitAndMatch / integerBitOrMatch, which is why filters such as
 * (!(userAccountControl:1.2.840.113556.1.4.803:=2)) work against both.
 */
export const MATCHING_RULE_BIT_AND = '1.2.840.113556.1.4.803';
export const MATCHING_RULE_BIT_OR = '1.2.840.113556.1.4.804';

const RULE_ALIASES: Readonly<Record<string, string>> = {
  integerbitandmatch: MATCHING_RULE_BIT_AND,
  integerbitormatch: MATCHING_RULE_BIT_OR,
};

/** Bound on filter nesting so a hostile request cannot exhaust the stack. */
const MAX_FILTER_DEPTH = 64;

export function matchesFilter(entry: FilterableEntry, filter: LdapFilter, depth = 0): boolean {
  if (depth > MAX_FILTER_DEPTH) return false;
  switch (filter.type) {
    case 'and':
      return filter.filters.every((child) => matchesFilter(entry, child, depth + 1));
    case 'or':
      return filter.filters.some((child) => matchesFilter(entry, child, depth + 1));
    case 'not':
      return !matchesFilter(entry, filter.filter, depth + 1);
    case 'present':
      return entry.values(attributeKey(filter.attribute)).length > 0;
    case 'equality':
    case 'approx':
      return anyValue(entry, filter.attribute, (value, syntax) => equals(syntax, value, filter.value));
    case 'greaterOrEqual':
      return anyValue(entry, filter.attribute, (value, syntax) => compare(syntax, value, filter.value) >= 0);
    case 'lessOrEqual':
      return anyValue(entry, filter.attribute, (value, syntax) => {
        const order = compare(syntax, value, filter.value);
        return !Number.isNaN(order) && order <= 0;
      });
    case 'substrings':
      return anyValue(entry, filter.attribute, (value, syntax) => matchesSubstrings(syntax, value, filter));
    case 'extensible':
      return matchesExtensible(entry, filter);
  }
}

function anyValue(
  entry: FilterableEntry,
  attribute: string,
  test: (value: string, syntax: MatchingSyntax) => boolean,
): boolean {
  const key = attributeKey(attribute);
  const syntax = syntaxOf(key);
  return entry.values(key).some((value) => test(value, syntax));
}

function normalizeString(syntax: MatchingSyntax, value: string): string {
  switch (syntax) {
    case 'octet':
      return value;
    case 'telephone':
      // telephoneNumberMatch (RFC 4517 4.2.29) ignores spaces and hyphens.
      return value.replace(/[\s-]/g, '').toLowerCase();
    default:
      // caseIgnoreMatch (RFC 4517 4.2.11) with insignificant space handling (RFC 4518 2.6.1).
      return value.replace(/\s+/g, ' ').trim().toLowerCase();
  }
}

function parseInteger(value: string): bigint | undefined {
  const text = value.trim();
  return /^-?\d{1,40}$/.test(text) ? BigInt(text) : undefined;
}

function equals(syntax: MatchingSyntax, value: string, assertion: string): boolean {
  if (syntax === 'integer') {
    const left = parseInteger(value);
    return left !== undefined && left === parseInteger(assertion);
  }
  if (syntax === 'dn') {
    const left = normalizeDn(value);
    return left !== undefined && left.key === normalizeDn(assertion)?.key;
  }
  return normalizeString(syntax, value) === normalizeString(syntax, assertion);
}

/** Sign of value - assertion, or NaN when the syntax has no ordering or a side does not parse. */
function compare(syntax: MatchingSyntax, value: string, assertion: string): number {
  if (syntax === 'integer') {
    const left = parseInteger(value);
    const right = parseInteger(assertion);
    if (left === undefined || right === undefined) return Number.NaN;
    return left === right ? 0 : left > right ? 1 : -1;
  }
  if (syntax === 'dn' || syntax === 'telephone') return Number.NaN;
  const left = normalizeString(syntax, value);
  const right = normalizeString(syntax, assertion);
  return left === right ? 0 : left > right ? 1 : -1;
}

function matchesSubstrings(
  syntax: MatchingSyntax,
  value: string,
  filter: { readonly initial?: string; readonly any: readonly string[]; readonly final?: string },
): boolean {
  if (syntax === 'integer' || syntax === 'dn') return false;
  const text = normalizeString(syntax, value);
  let position = 0;
  if (filter.initial !== undefined) {
    const initial = normalizeString(syntax, filter.initial);
    if (!text.startsWith(initial)) return false;
    position = initial.length;
  }
  for (const part of filter.any) {
    const found = text.indexOf(normalizeString(syntax, part), position);
    if (found < 0) return false;
    position = found + normalizeString(syntax, part).length;
  }
  if (filter.final !== undefined) {
    const final = normalizeString(syntax, filter.final);
    return text.length - final.length >= position && text.endsWith(final);
  }
  return true;
}

function matchesExtensible(
  entry: FilterableEntry,
  filter: Extract<LdapFilter, { type: 'extensible' }>,
): boolean {
  // Without an attribute the rule would apply to every attribute (and with dnAttributes to the DN's
  // parts too); the RADIUS side never sends that, so the stub treats it as no match.
  if (filter.attribute === undefined || filter.attribute === '') return false;
  const rule =
    filter.rule === undefined ? undefined : (RULE_ALIASES[filter.rule.toLowerCase()] ?? filter.rule);
  if (rule === undefined) {
    return anyValue(entry, filter.attribute, (value, syntax) => equals(syntax, value, filter.value));
  }
  if (rule !== MATCHING_RULE_BIT_AND && rule !== MATCHING_RULE_BIT_OR) return false;
  const mask = parseInteger(filter.value);
  if (mask === undefined) return false;
  return anyValue(entry, filter.attribute, (value) => {
    const bits = parseInteger(value);
    if (bits === undefined) return false;
    return rule === MATCHING_RULE_BIT_AND ? (bits & mask) === mask : (bits & mask) !== 0n;
  });
}

/** RFC 4515 string form, for history records and messages. */
export function filterToString(filter: LdapFilter): string {
  switch (filter.type) {
    case 'and':
      return `(&${filter.filters.map(filterToString).join('')})`;
    case 'or':
      return `(|${filter.filters.map(filterToString).join('')})`;
    case 'not':
      return `(!${filterToString(filter.filter)})`;
    case 'present':
      return `(${filter.attribute}=*)`;
    case 'equality':
      return `(${filter.attribute}=${escapeFilterValue(filter.value)})`;
    case 'approx':
      return `(${filter.attribute}~=${escapeFilterValue(filter.value)})`;
    case 'greaterOrEqual':
      return `(${filter.attribute}>=${escapeFilterValue(filter.value)})`;
    case 'lessOrEqual':
      return `(${filter.attribute}<=${escapeFilterValue(filter.value)})`;
    case 'substrings': {
      const parts = [filter.initial ?? '', ...filter.any, filter.final ?? ''].map(escapeFilterValue);
      return `(${filter.attribute}=${parts.join('*')})`;
    }
    case 'extensible': {
      const dnPart = filter.dnAttributes ? ':dn' : '';
      const rulePart = filter.rule === undefined ? '' : `:${filter.rule}`;
      return `(${filter.attribute ?? ''}${dnPart}${rulePart}:=${escapeFilterValue(filter.value)})`;
    }
  }
}

/** RFC 4515 section 3: "*", "(", ")", "\" and NUL are written as \XX. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
