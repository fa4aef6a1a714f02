import type { DictionaryModule } from '../dictionary/types.ts';

// RFC 5997 defines the use of Status-Server (code 12) and requires Message-Authenticator in it; it
// adds no attribute of its own. The module exists so the dictionary list names every RFC it follows.
export const rfc5997: DictionaryModule = {
  source: 'RFC 5997',
  attributes: [],
};
