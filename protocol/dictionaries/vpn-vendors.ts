import type { DictionaryModule } from '../dictionary/types.ts';

// Vendor attributes that VPN network policies commonly return (group names, AV-pairs), so policy
// rules can be written by name. Numbers as in the vendors' published RADIUS dictionaries.
export const vpnVendors: DictionaryModule = {
  source: 'vendor dictionaries (Cisco 9, Fortinet 12356, Palo Alto 25461)',
  attributes: [],
  vendors: [
    { name: 'Cisco', id: 9, attributes: [{ name: 'Cisco-AVPair', type: 1, dataType: 'string' }] },
    {
      name: 'Fortinet',
      id: 12356,
      attributes: [{ name: 'Fortinet-Group-Name', type: 1, dataType: 'string' }],
    },
    {
      name: 'PaloAlto',
      id: 25461,
      attributes: [
        { name: 'PaloAlto-Admin-Role', type: 1, dataType: 'string' },
        { name: 'PaloAlto-User-Group', type: 5, dataType: 'string' },
      ],
    },
  ],
};
