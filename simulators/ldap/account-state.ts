// Account states a RADIUS server must tell apart from the attributes it reads, with the userAccountControl
// flags and FILETIME rules Active Directory uses (MS-ADTS 2.2.16 lists the flags).
import { filetimeFromUnixMs, isNoExpiry } from './filetime.ts';

export const UAC_ACCOUNTDISABLE = 0x2;
export const UAC_LOCKOUT = 0x10;
export const UAC_NORMAL_ACCOUNT = 0x200;
export const UAC_DONT_EXPIRE_PASSWORD = 0x10000;
export const UAC_PASSWORD_EXPIRED = 0x800000;

export type AccountState =
  'active' | 'locked' | 'disabled' | 'account-expired' | 'password-expired' | 'password-must-change';

export interface AccountStateAttributes {
  readonly userAccountControl: number;
  /** FILETIME decimal strings. */
  readonly accountExpires: string;
  readonly lockoutTime?: string;
  readonly pwdLastSet: string;
}

/**
 * The one state that stops a logon, checked in a fixed order (lockout first, as AD refuses a locked
 * account before looking at anything else). Any non-zero lockoutTime counts as locked: the stub has
 * no lockout duration, so an account stays locked until the fixture says otherwise.
 */
export function accountState(account: AccountStateAttributes, nowMs: number): AccountState {
  const uac = account.userAccountControl;
  if (
    (uac & UAC_LOCKOUT) !== 0 ||
    (account.lockoutTime !== undefined && BigInt(account.lockoutTime) !== 0n)
  ) {
    return 'locked';
  }
  if ((uac & UAC_ACCOUNTDISABLE) !== 0) return 'disabled';
  const expires = BigInt(account.accountExpires);
  if (!isNoExpiry(expires) && expires <= filetimeFromUnixMs(nowMs)) return 'account-expired';
  if ((uac & UAC_PASSWORD_EXPIRED) !== 0) return 'password-expired';
  if (BigInt(account.pwdLastSet) === 0n) return 'password-must-change';
  return 'active';
}
