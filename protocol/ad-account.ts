// Active Directory's account rules, in one place for both sides of the reference/simulators
// boundary: the userAccountControl flags (MS-ADTS 2.2.16), FILETIME times (accountExpires,
// lockoutTime, pwdLastSet) and which state stops a logon when several hold.
//
// Which state wins: disabled, then locked out, then account expired, then "must change password",
// then password expired. That is the order Windows' SAM account check reports them in (the
// NTSTATUS codes ACCOUNT_DISABLED, ACCOUNT_LOCKED_OUT, ACCOUNT_EXPIRED, PASSWORD_MUST_CHANGE,
// PASSWORD_EXPIRED), as Samba's AD DC reproduces it in authsam_account_ok() (source4/auth/sam.c),
// and the order the NPS extension documentation's troubleshooting implies (a password problem is
// looked at only once the account itself may log on). A password that never expires
// (DONT_EXPIRE_PASSWORD) is never "must change" nor "expired", as in samdb_result_force_password_change().
// Pure: no clock (callers pass the time), no I/O.

/** userAccountControl bits (MS-ADTS 2.2.16). */
export const UAC_ACCOUNTDISABLE = 0x0002;
export const UAC_LOCKOUT = 0x0010;
export const UAC_NORMAL_ACCOUNT = 0x0200;
export const UAC_DONT_EXPIRE_PASSWORD = 0x1_0000;
export const UAC_PASSWORD_EXPIRED = 0x80_0000;

/** accountExpires value AD writes for "never expires" (the largest signed 64-bit integer). */
export const FILETIME_NEVER = '9223372036854775807';

/** 100 ns ticks per millisecond. */
const TICKS_PER_MS = 10_000n;
/** Milliseconds between 1601-01-01 and 1970-01-01 (369 years, 89 of them leap years). */
const EPOCH_DIFFERENCE_MS = 11_644_473_600_000n;
const DECIMAL = /^\d{1,19}$/;

export function filetimeFromUnixMs(unixMs: number): bigint {
  return (BigInt(Math.trunc(unixMs)) + EPOCH_DIFFERENCE_MS) * TICKS_PER_MS;
}

export function unixMsFromFiletime(filetime: bigint): number {
  return Number(filetime / TICKS_PER_MS - EPOCH_DIFFERENCE_MS);
}

/** Zero and FILETIME_NEVER both mean "no expiry" for accountExpires. */
export function isNoExpiry(filetime: bigint): boolean {
  return filetime === 0n || filetime === BigInt(FILETIME_NEVER);
}

/** A FILETIME decimal string as a bigint; undefined when it is not one (garbage from a directory). */
export function parseFiletime(value: string): bigint | undefined {
  const text = value.trim();
  if (!DECIMAL.test(text)) return undefined;
  const ticks = BigInt(text);
  return ticks <= BigInt(FILETIME_NEVER) ? ticks : undefined;
}

/** Unix ms of an expiry time; undefined for "never" (0 or FILETIME_NEVER) and for non-numbers. */
export function filetimeToMs(value: string): number | undefined {
  const ticks = parseFiletime(value);
  return ticks === undefined || isNoExpiry(ticks) ? undefined : unixMsFromFiletime(ticks);
}

export type AdAccountState =
  'active' | 'disabled' | 'locked' | 'account-expired' | 'password-must-change' | 'password-expired';

/** The states that stop a logon, first the one that wins. */
export const AD_ACCOUNT_STATE_ORDER: readonly Exclude<AdAccountState, 'active'>[] = [
  'disabled',
  'locked',
  'account-expired',
  'password-must-change',
  'password-expired',
];

export const AD_ACCOUNT_STATES: Readonly<Record<AdAccountState, string>> = {
  active: 'the account may log on',
  disabled: 'userAccountControl has ACCOUNTDISABLE (0x2)',
  locked: 'lockoutTime is non-zero, or userAccountControl has LOCKOUT (0x10)',
  'account-expired': 'accountExpires is in the past (0 and 0x7FFFFFFFFFFFFFFF mean never)',
  'password-must-change': 'pwdLastSet is 0: the password must be changed at next logon',
  'password-expired': 'userAccountControl has PASSWORD_EXPIRED (0x800000)',
};

/** The attributes the rules read, as a directory returns them (times as FILETIME decimal strings). */
export interface AdAccountFacts {
  readonly userAccountControl: number;
  readonly accountExpires?: string;
  readonly lockoutTime?: string;
  readonly pwdLastSet?: string;
}

/**
 * Every state that holds, in AD_ACCOUNT_STATE_ORDER. Any non-zero lockoutTime counts as locked:
 * neither the stub nor the reader knows the domain's lockout duration, so an account stays locked
 * until lockoutTime is reset (what an administrator's unlock does).
 */
export function adAccountStates(facts: AdAccountFacts, nowMs: number): Exclude<AdAccountState, 'active'>[] {
  const uac = facts.userAccountControl;
  const holds: Readonly<Record<Exclude<AdAccountState, 'active'>, boolean>> = {
    disabled: (uac & UAC_ACCOUNTDISABLE) !== 0,
    locked: (uac & UAC_LOCKOUT) !== 0 || isSetTime(facts.lockoutTime),
    'account-expired': expired(facts.accountExpires, nowMs),
    'password-must-change':
      (uac & UAC_DONT_EXPIRE_PASSWORD) === 0 &&
      facts.pwdLastSet !== undefined &&
      parseFiletime(facts.pwdLastSet) === 0n,
    'password-expired': (uac & UAC_DONT_EXPIRE_PASSWORD) === 0 && (uac & UAC_PASSWORD_EXPIRED) !== 0,
  };
  return AD_ACCOUNT_STATE_ORDER.filter((state) => holds[state]);
}

/** The one state a logon sees: the first that holds, or active. */
export function adAccountState(facts: AdAccountFacts, nowMs: number): AdAccountState {
  return adAccountStates(facts, nowMs)[0] ?? 'active';
}

/** Every attribute adAccountStateOfAttributes reads: what a directory search must ask for. */
export const AD_ACCOUNT_ATTRIBUTES = [
  'userAccountControl',
  'accountExpires',
  'lockoutTime',
  'pwdLastSet',
] as const;

/** The same rules over LDAP attributes as read (lower-cased names, string values). */
export function adAccountStateOfAttributes(
  attributes: Readonly<Record<string, readonly string[]>>,
  nowMs: number,
): AdAccountState {
  const first = (name: string): string | undefined => attributes[name.toLowerCase()]?.[0];
  const uac = Number(first('userAccountControl') ?? '0');
  const accountExpires = first('accountExpires');
  const lockoutTime = first('lockoutTime');
  const pwdLastSet = first('pwdLastSet');
  return adAccountState(
    {
      userAccountControl: Number.isInteger(uac) ? uac : 0,
      ...(accountExpires !== undefined ? { accountExpires } : {}),
      ...(lockoutTime !== undefined ? { lockoutTime } : {}),
      ...(pwdLastSet !== undefined ? { pwdLastSet } : {}),
    },
    nowMs,
  );
}

/**
 * The first Unix ms at which adAccountStateOfAttributes counts the account expired, or undefined
 * when it never will. accountExpires is the only rule that reads the time, so before this instant
 * and from it on the state is fixed: a directory holding the attributes works out both answers once.
 */
export function adAccountExpiresAt(
  attributes: Readonly<Record<string, readonly string[]>>,
): number | undefined {
  const accountExpires = attributes.accountexpires?.[0];
  if (accountExpires === undefined) return undefined;
  const ticks = parseFiletime(accountExpires);
  if (ticks === undefined || isNoExpiry(ticks)) return undefined;
  // expired() holds when ticks <= (trunc(now) + EPOCH) * TICKS, that is when
  // trunc(now) >= ceil(ticks / TICKS) - EPOCH (ticks is never negative).
  return Number((ticks + TICKS_PER_MS - 1n) / TICKS_PER_MS - EPOCH_DIFFERENCE_MS);
}

function isSetTime(value: string | undefined): boolean {
  if (value === undefined) return false;
  const ticks = parseFiletime(value);
  return ticks !== undefined && ticks !== 0n;
}

function expired(accountExpires: string | undefined, nowMs: number): boolean {
  if (accountExpires === undefined) return false;
  const ticks = parseFiletime(accountExpires);
  return ticks !== undefined && !isNoExpiry(ticks) && ticks <= filetimeFromUnixMs(nowMs);
}
