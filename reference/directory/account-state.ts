// The AD account rules live in protocol/ad-account.ts, shared with the LDAP stub; this path stays
// for the modules that read attributes here (ldap-directory.ts, static-directory.ts).
export {
  adAccountStateOfAttributes as accountState,
  filetimeToMs,
  type AdAccountState as AccountState,
} from '../../protocol/ad-account.ts';
