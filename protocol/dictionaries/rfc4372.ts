import type { DictionaryModule } from '../dictionary/types.ts';

export const rfc4372: DictionaryModule = {
  source: 'RFC 4372',
  attributes: [{ name: 'Chargeable-User-Identity', type: 89, dataType: 'octets' }],
};
