// An OpenLDAP schema (slapd.conf format) for the Active Directory and Samba attributes the RADIUS
// server reads, so that a real slapd can hold the same entries as the stub. The OIDs sit under
// 1.3.6.1.4.1.32473, the enterprise number IANA reserves for documentation (RFC 5612), so they can
// never collide with a deployed schema; they are radmfa's, not Microsoft's or Samba's.
//
// Matching rules agree with attribute-syntax.ts: names case-insensitive, the account times and
// flags INTEGER (so AD's bitwise rule 1.2.840.113556.1.4.803, OpenLDAP's integerBitAndMatch,
// applies to userAccountControl), memberOf a DN.

const ARC = '1.3.6.1.4.1.32473.1';
const DIRECTORY_STRING = '1.3.6.1.4.1.1466.115.121.1.15';
const IA5_STRING = '1.3.6.1.4.1.1466.115.121.1.26';
const INTEGER = '1.3.6.1.4.1.1466.115.121.1.27';
const DN = '1.3.6.1.4.1.1466.115.121.1.12';

function stringAttribute(n: number, name: string, description: string): string {
  return `attributetype ( ${ARC}.1.${n} NAME '${name}'
  DESC '${description}'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch ORDERING caseIgnoreOrderingMatch
  SYNTAX ${DIRECTORY_STRING} SINGLE-VALUE )`;
}

function integerAttribute(n: number, name: string, description: string): string {
  return `attributetype ( ${ARC}.1.${n} NAME '${name}'
  DESC '${description}'
  EQUALITY integerMatch ORDERING integerOrderingMatch
  SYNTAX ${INTEGER} SINGLE-VALUE )`;
}

export const RADMFA_OPENLDAP_SCHEMA = [
  '# radmfa: Active Directory / Samba look-alike attributes for OpenLDAP (generated; do not edit).',
  stringAttribute(1, 'sAMAccountName', 'pre-Windows 2000 logon name'),
  stringAttribute(2, 'userPrincipalName', 'logon name in user@suffix form'),
  `attributetype ( ${ARC}.1.3 NAME 'sambaNTPassword'
  DESC 'NT hash: uppercase hex of MD4(UTF-16LE(password))'
  EQUALITY caseIgnoreIA5Match
  SYNTAX ${IA5_STRING}{32} SINGLE-VALUE )`,
  integerAttribute(
    4,
    'userAccountControl',
    'account flags: 0x2 disabled, 0x10 locked, 0x800000 password expired',
  ),
  integerAttribute(5, 'accountExpires', 'FILETIME; 0 or 9223372036854775807 means never'),
  integerAttribute(6, 'lockoutTime', 'FILETIME of the lockout; 0 when not locked'),
  integerAttribute(7, 'pwdLastSet', 'FILETIME of the last password change; 0 forces a change'),
  `attributetype ( ${ARC}.1.8 NAME 'memberOf'
  DESC 'groups this entry is a direct member of'
  EQUALITY distinguishedNameMatch
  SYNTAX ${DN} )`,
  stringAttribute(9, 'employeeID', 'employee identifier (an alternate login ID)'),
  `objectclass ( ${ARC}.2.1 NAME 'user'
  DESC 'Active Directory style account attributes'
  SUP top AUXILIARY
  MAY ( sAMAccountName $ userPrincipalName $ sambaNTPassword $ userAccountControl $
        accountExpires $ lockoutTime $ pwdLastSet $ memberOf $ employeeID ) )`,
  `objectclass ( ${ARC}.2.2 NAME 'group'
  DESC 'Active Directory style group'
  SUP top STRUCTURAL
  MUST cn
  MAY ( member $ sAMAccountName $ description $ memberOf $ mail ) )`,
  `objectclass ( ${ARC}.2.3 NAME 'container'
  DESC 'Active Directory style container (CN=Users,...)'
  SUP top STRUCTURAL
  MUST cn
  MAY description )`,
  '',
].join('\n\n');
