import type { AccountState } from './types.ts';

// Active Directory's userAccountControl flags (MS-ADTS 2.2.16) and time attributes, read the way
// NPS reads them to refuse a login before any second factor is asked for.
const ACCOUNTDISABLE = 0x0002;
const LOCKOUT = 0x0010;
const PASSWORD_EXPIRED = 0x0080_0000;
/** accountExpires values meaning "never": 0 and 0x7FFFFFFFFFFFFFFF. */
const NEVER = 0x7fff_ffff_ffff_ffffn;
/** 100 ns intervals between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

export function filetimeToMs(value: string): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const ticks = BigInt(value);
  if (ticks === 0n || ticks >= NEVER) return undefined;
  return Number((ticks - FILETIME_UNIX_EPOCH) / 10_000n);
}

type Attributes = Readonly<Record<string, readonly string[]>>;

function first(attributes: Attributes, name: string): string | undefined {
  return attributes[name.toLowerCase()]?.[0];
}

/** Disabled, then locked, then expired, then password expired: the order AD reports them in. */
export function accountState(attributes: Attributes, nowMs: number): AccountState {
  const uac = Number(first(attributes, 'userAccountControl') ?? '0');
  if ((uac & ACCOUNTDISABLE) !== 0) return 'disabled';
  const lockoutTime = first(attributes, 'lockoutTime');
  if ((uac & LOCKOUT) !== 0 || (lockoutTime !== undefined && lockoutTime !== '0')) return 'locked';
  const expires = first(attributes, 'accountExpires');
  const expiresMs = expires === undefined ? undefined : filetimeToMs(expires);
  if (expiresMs !== undefined && expiresMs <= nowMs) return 'expired';
  // pwdLastSet = 0 means "must change password at next logon": the password cannot be used as is.
  if ((uac & PASSWORD_EXPIRED) !== 0 || first(attributes, 'pwdLastSet') === '0') return 'password-expired';
  return 'active';
}
