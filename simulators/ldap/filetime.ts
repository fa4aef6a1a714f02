// Active Directory stores account times (accountExpires, lockoutTime, pwdLastSet) as Windows
// FILETIME: a count of 100-nanosecond intervals since 1601-01-01T00:00:00Z, written in decimal.
// The values exceed 2^53, so they travel as strings and are compared as bigint.

import { FILETIME_NEVER, filetimeFromUnixMs } from '../../protocol/ad-account.ts';

// The conversions are AD's rules, shared with the reference server (protocol/ad-account.ts).
export {
  FILETIME_NEVER,
  filetimeFromUnixMs,
  isNoExpiry,
  unixMsFromFiletime,
} from '../../protocol/ad-account.ts';

/** How fixtures may spell a time: "never", 0, an ISO-8601 instant, or a FILETIME decimal string. */
export type TimeValueInput = string | number;

export type TimeValueParse = { readonly ok: true; readonly filetime: string } | { readonly ok: false };

const DECIMAL = /^\d{1,19}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseTimeValue(input: TimeValueInput): TimeValueParse {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input >= 0 ? { ok: true, filetime: String(input) } : { ok: false };
  }
  const text = input.trim();
  if (text.toLowerCase() === 'never') return { ok: true, filetime: FILETIME_NEVER };
  if (DECIMAL.test(text)) {
    const value = BigInt(text);
    return value <= BigInt(FILETIME_NEVER) ? { ok: true, filetime: value.toString() } : { ok: false };
  }
  if (ISO_INSTANT.test(text)) {
    // A bare date is read as midnight UTC, so fixtures mean the same instant on every machine.
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(ms)) return { ok: true, filetime: filetimeFromUnixMs(ms).toString() };
  }
  return { ok: false };
}
