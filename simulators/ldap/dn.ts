// Distinguished names (RFC 4514) parsed just far enough to compare them the way a directory does:
// attribute types and values case-insensitively, insignificant spaces ignored, escapes decoded.
// Active Directory compares DNs case-insensitively, so the stub does too.

export interface AttributeValueAssertion {
  readonly type: string;
  readonly value: string;
}

export type Rdn = readonly AttributeValueAssertion[];

export type DnParseResult =
  { readonly ok: true; readonly rdns: readonly Rdn[] } | { readonly ok: false; readonly reason: string };

/** A DN reduced to a canonical form: one string per RDN (leaf first) and their join as a map key. */
export interface NormalizedDn {
  readonly key: string;
  readonly rdns: readonly string[];
}

const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** Bound on DN length: fixture DNs and request DNs are short; this keeps the parser linear and small. */
const MAX_DN_LENGTH = 8192;

export function parseDn(dn: string): DnParseResult {
  if (dn.length > MAX_DN_LENGTH) return { ok: false, reason: `longer than ${MAX_DN_LENGTH} characters` };
  if (dn.trim() === '') return { ok: true, rdns: [] };
  const rdns: Rdn[] = [];
  let avas: AttributeValueAssertion[] = [];
  let i = 0;
  while (i <= dn.length) {
    const equals = dn.indexOf('=', i);
    if (equals < 0) return { ok: false, reason: `"${dn.slice(i).trim()}" has no "=" (expected TYPE=value)` };
    const type = dn.slice(i, equals).trim();
    if (!ATTRIBUTE_TYPE.test(type)) return { ok: false, reason: `"${type}" is not an attribute type` };
    const value = readValue(dn, equals + 1);
    if (!value.ok) return value;
    avas.push({ type, value: value.text });
    i = value.end + 1;
    const separator = dn[value.end];
    if (separator === '+') continue;
    rdns.push(avas);
    avas = [];
    if (separator === undefined) break;
  }
  return { ok: true, rdns };
}

type ValueRead =
  | { readonly ok: true; readonly text: string; readonly end: number }
  | { readonly ok: false; readonly reason: string };

/** Reads one attribute value up to an unescaped ",", "+" or ";" (RFC 4514 section 3). */
function readValue(dn: string, start: number): ValueRead {
  const bytes: number[] = [];
  let significantLength = 0;
  let i = start;
  while (i < dn.length && dn[i] === ' ') i++;
  for (; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (ch === ',' || ch === '+' || ch === ';') break;
    if (ch === '\\') {
      const pair = dn.slice(i + 1, i + 3);
      if (HEX_PAIR.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        bytes.push(...Buffer.from(dn[i + 1] as string, 'utf8'));
        i += 1;
      } else {
        return { ok: false, reason: 'ends with a lone "\\"' };
      }
      significantLength = bytes.length;
      continue;
    }
    bytes.push(...Buffer.from(ch, 'utf8'));
    if (ch !== ' ') significantLength = bytes.length;
  }
  return { ok: true, text: Buffer.from(bytes.slice(0, significantLength)).toString('utf8'), end: i };
}

/** RFC 4514 section 2.4: the characters a value must escape to be read back unchanged. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;\0]/g, (ch) => (ch === '\0' ? '\\00' : `\\${ch}`));
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function normalizeValue(value: string): string {
  return value.replace(/\s+/g, ' ').trim().toLowerCase();
}

function normalizeRdn(rdn: Rdn): string {
  return rdn
    .map((ava) => `${ava.type.toLowerCase()}=${escapeDnValue(normalizeValue(ava.value))}`)
    .sort()
    .join('+');
}

export function normalizeDn(dn: string): NormalizedDn | undefined {
  const parsed = parseDn(dn);
  if (!parsed.ok) return undefined;
  const rdns = parsed.rdns.map(normalizeRdn);
  return { key: rdns.join(','), rdns };
}

export function dnEquals(a: string, b: string): boolean {
  const left = normalizeDn(a);
  return left !== undefined && left.key === normalizeDn(b)?.key;
}

/** True when `dn` is `base` itself or lies anywhere below it. */
export function isWithin(dn: NormalizedDn, base: NormalizedDn): boolean {
  const offset = dn.rdns.length - base.rdns.length;
  if (offset < 0) return false;
  return base.rdns.every((rdn, index) => dn.rdns[offset + index] === rdn);
}

/** Number of RDNs `dn` has below `base` (0 for the base itself); undefined when outside it. */
export function depthBelow(dn: NormalizedDn, base: NormalizedDn): number | undefined {
  return isWithin(dn, base) ? dn.rdns.length - base.rdns.length : undefined;
}

export function parentDn(dn: NormalizedDn): NormalizedDn {
  const rdns = dn.rdns.slice(1);
  return { key: rdns.join(','), rdns };
}

/** The parent of a DN as written (keeps the author's spelling), or undefined for an empty DN. */
export function parentDnText(dn: string): string | undefined {
  const parsed = parseDn(dn);
  if (!parsed.ok || parsed.rdns.length === 0) return undefined;
  return formatDn(parsed.rdns.slice(1));
}

export function formatDn(rdns: readonly Rdn[]): string {
  return rdns.map((rdn) => rdn.map((ava) => `${ava.type}=${escapeDnValue(ava.value)}`).join('+')).join(',');
}

/** The first (leaf) RDN's type and value, e.g. CN and "Alice Anderson". */
export function leafRdn(dn: string): AttributeValueAssertion | undefined {
  const parsed = parseDn(dn);
  if (!parsed.ok) return undefined;
  return parsed.rdns[0]?.[0];
}
