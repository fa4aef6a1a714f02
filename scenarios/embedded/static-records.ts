// The simulators' directory fixture as the records reference/'s StaticDirectory serves: the one
// loader and validation (simulators/ldap/fixture.ts) for the LDAP stub and for directory.static,
// so both answer with the same accounts, states and attributes.
import type { StaticUserRecord } from '../../reference/directory/static-directory.ts';
import type { DirectoryFixture } from '../../simulators/ldap/index.ts';

/** The simulators' LDAP fixture as the records StaticDirectory serves (the attributes the stub would). */
export function staticRecords(fixture: DirectoryFixture): StaticUserRecord[] {
  return fixture.users.map((user) => {
    const attributes: Record<string, readonly string[]> = {};
    for (const attribute of user.attributes) attributes[attribute.name] = attribute.values;
    attributes.cn = [user.cn];
    attributes.sn = [user.sn];
    if (user.mail !== undefined) attributes.mail = [user.mail];
    attributes.userAccountControl = [String(user.userAccountControl)];
    attributes.accountExpires = [user.accountExpires];
    attributes.pwdLastSet = [user.pwdLastSet];
    if (user.lockoutTime !== undefined) attributes.lockoutTime = [user.lockoutTime];
    return {
      dn: user.dn,
      sAMAccountName: user.sAMAccountName,
      ...(user.userPrincipalName !== undefined ? { userPrincipalName: user.userPrincipalName } : {}),
      ...(user.password !== undefined ? { password: user.password } : {}),
      memberOf: user.memberOf,
      attributes,
    };
  });
}
