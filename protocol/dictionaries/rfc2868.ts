import type { DictionaryModule } from '../dictionary/types.ts';

// Tunnel attributes: the tagged types (RFC 2868 3), used for VLAN assignment in network policies.
export const rfc2868: DictionaryModule = {
  source: 'RFC 2868',
  attributes: [
    {
      name: 'Tunnel-Type',
      type: 64,
      dataType: 'integer',
      tagged: true,
      values: {
        PPTP: 1,
        L2F: 2,
        L2TP: 3,
        ATMP: 4,
        VTP: 5,
        AH: 6,
        'IP-IP': 7,
        'MIN-IP-IP': 8,
        ESP: 9,
        GRE: 10,
        DVS: 11,
        'IP-in-IP': 12,
        VLAN: 13,
      },
    },
    {
      name: 'Tunnel-Medium-Type',
      type: 65,
      dataType: 'integer',
      tagged: true,
      values: { IPv4: 1, IPv6: 2, NSAP: 3, HDLC: 4, BBN_1822: 5, 'IEEE-802': 6, 'E.163': 7, 'E.164': 8 },
    },
    { name: 'Tunnel-Client-Endpoint', type: 66, dataType: 'string', tagged: true },
    { name: 'Tunnel-Server-Endpoint', type: 67, dataType: 'string', tagged: true },
    { name: 'Tunnel-Password', type: 69, dataType: 'string', tagged: true, encryption: 'salted' },
    { name: 'Tunnel-Private-Group-Id', type: 81, dataType: 'string', tagged: true },
    { name: 'Tunnel-Assignment-Id', type: 82, dataType: 'string', tagged: true },
    { name: 'Tunnel-Preference', type: 83, dataType: 'integer', tagged: true },
    { name: 'Tunnel-Client-Auth-Id', type: 90, dataType: 'string', tagged: true },
    { name: 'Tunnel-Server-Auth-Id', type: 91, dataType: 'string', tagged: true },
  ],
};
