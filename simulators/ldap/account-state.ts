// The stub answers binds with the same AD account rules the reference server reads:
// protocol/ad-account.ts, one answer to "which state wins" for both.
import { adAccountState, type AdAccountFacts, type AdAccountState } from '../../protocol/ad-account.ts';

export {
  UAC_ACCOUNTDISABLE,
  UAC_DONT_EXPIRE_PASSWORD,
  UAC_LOCKOUT,
  UAC_NORMAL_ACCOUNT,
  UAC_PASSWORD_EXPIRED,
} from '../../protocol/ad-account.ts';

export type AccountState = AdAccountState;

/** A fixture account's state attributes (times as FILETIME decimal strings). */
export interface AccountStateAttributes extends AdAccountFacts {
  readonly accountExpires: string;
  readonly pwdLastSet: string;
}

export function accountState(account: AccountStateAttributes, nowMs: number): AccountState {
  return adAccountState(account, nowMs);
}
