import type { DictionaryModule } from '../dictionary/types.ts';

export const rfc3162: DictionaryModule = {
  source: 'RFC 3162',
  attributes: [
    { name: 'NAS-IPv6-Address', type: 95, dataType: 'ipv6addr' },
    { name: 'Framed-Interface-Id', type: 96, dataType: 'ifid' },
    { name: 'Framed-IPv6-Prefix', type: 97, dataType: 'ipv6prefix' },
    { name: 'Login-IPv6-Host', type: 98, dataType: 'ipv6addr' },
    { name: 'Framed-IPv6-Route', type: 99, dataType: 'string' },
    { name: 'Framed-IPv6-Pool', type: 100, dataType: 'string' },
  ],
};
