import type { DictionaryModule } from '../dictionary/types.ts';

export const rfc3579: DictionaryModule = {
  source: 'RFC 3579',
  attributes: [
    { name: 'EAP-Message', type: 79, dataType: 'octets', concat: true },
    { name: 'Message-Authenticator', type: 80, dataType: 'octets' },
  ],
};
