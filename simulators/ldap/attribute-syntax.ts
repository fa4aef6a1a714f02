// How values of each attribute compare in filters. A directory decides this from its schema; the
// stub keeps a small table mirroring the matching rules the OpenLDAP schema in
// openldap-schema.ts declares, so the stub and a real slapd answer the same filters alike.

export type MatchingSyntax = 'caseIgnore' | 'octet' | 'integer' | 'dn' | 'telephone';

const SYNTAX_BY_ATTRIBUTE: Readonly<Record<string, MatchingSyntax>> = {
  useraccountcontrol: 'integer',
  accountexpires: 'integer',
  lockouttime: 'integer',
  pwdlastset: 'integer',
  badpwdcount: 'integer',
  uidnumber: 'integer',
  gidnumber: 'integer',
  member: 'dn',
  memberof: 'dn',
  manager: 'dn',
  owner: 'dn',
  seealso: 'dn',
  // RFC 4519: userPassword compares as octets (octetStringMatch), never case-folded.
  userpassword: 'octet',
  telephonenumber: 'telephone',
  mobile: 'telephone',
  homephone: 'telephone',
  pager: 'telephone',
  facsimiletelephonenumber: 'telephone',
};

export function syntaxOf(attribute: string): MatchingSyntax {
  return SYNTAX_BY_ATTRIBUTE[attribute.toLowerCase()] ?? 'caseIgnore';
}

/** Strips attribute options ("cn;lang-en" -> "cn") and lower-cases the name for lookups. */
export function attributeKey(description: string): string {
  const semicolon = description.indexOf(';');
  return (semicolon < 0 ? description : description.slice(0, semicolon)).toLowerCase();
}
