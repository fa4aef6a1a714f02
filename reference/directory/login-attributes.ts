// The attributes a login's user search asks for: exactly the ones radmfa reads from the entry, so
// the directory encodes (and this side decodes) no more of it than that. An empty list would mean
// "every user attribute" (RFC 4511 4.5.1.8): the whole entry, password hashes included, per login.
// Which secret a login reads follows from its method, known before the search: PAP binds as the
// user and reads neither, CHAP and EAP-MD5 need the cleartext, the MS-CHAP family the NT hash.
import { AD_ACCOUNT_ATTRIBUTES } from '../../protocol/ad-account.ts';
import type { AuthMethod } from '../methods.ts';

/** The settings that name an attribute the login path reads. */
export interface LoginAttributeSettings {
  readonly cleartextPasswordAttribute: string;
  readonly ntHashAttribute: string;
  /** The MFA alternate login id (LDAP_ALTERNATE_LOGINID_ATTRIBUTE), when MFA is on and it is set. */
  readonly alternateLoginIdAttribute?: string;
}

/** Which password secret a search reads: none (PAP), one of the two, or both (method unknown). */
export type SecretNeed = 'none' | 'cleartext' | 'nt-hash' | 'both';
export const SECRET_NEEDS: readonly SecretNeed[] = ['none', 'cleartext', 'nt-hash', 'both'];

const SECRET_OF_METHOD: Readonly<Record<AuthMethod, SecretNeed>> = {
  pap: 'none',
  chap: 'cleartext',
  'eap-md5': 'cleartext',
  mschap: 'nt-hash',
  mschapv2: 'nt-hash',
  'eap-mschapv2': 'nt-hash',
};

/** A lookup without a method (a caller that does not say) reads both secrets, as before. */
export function secretNeedOf(method: AuthMethod | undefined): SecretNeed {
  return method === undefined ? 'both' : SECRET_OF_METHOD[method];
}

/**
 * What toUser reads besides the secrets: the account name (sAMAccountName, else uid), the UPN, the
 * groups (memberOf: an operational attribute in OpenLDAP's memberof overlay, returned only when
 * named) and the account state.
 */
const IDENTITY_ATTRIBUTES = ['sAMAccountName', 'uid', 'userPrincipalName', 'memberOf'] as const;

/** The attribute list for one secret need; names compared without regard to case, first spelling kept. */
export function loginAttributes(settings: LoginAttributeSettings, need: SecretNeed): readonly string[] {
  const names: string[] = [...IDENTITY_ATTRIBUTES, ...AD_ACCOUNT_ATTRIBUTES];
  if (settings.alternateLoginIdAttribute !== undefined) names.push(settings.alternateLoginIdAttribute);
  if (need === 'cleartext' || need === 'both') names.push(settings.cleartextPasswordAttribute);
  if (need === 'nt-hash' || need === 'both') names.push(settings.ntHashAttribute);
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every need's list, built once at start-up. */
export function loginAttributeLists(
  settings: LoginAttributeSettings,
): Readonly<Record<SecretNeed, readonly string[]>> {
  return {
    none: loginAttributes(settings, 'none'),
    cleartext: loginAttributes(settings, 'cleartext'),
    'nt-hash': loginAttributes(settings, 'nt-hash'),
    both: loginAttributes(settings, 'both'),
  };
}
