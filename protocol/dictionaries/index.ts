import { Dictionary } from '../dictionary/dictionary.ts';
import type { DictionaryModule } from '../dictionary/types.ts';
import { microsoft } from './microsoft.ts';
import { rfc2865 } from './rfc2865.ts';
import { rfc2866 } from './rfc2866.ts';
import { rfc2868 } from './rfc2868.ts';
import { rfc2869 } from './rfc2869.ts';
import { rfc3162 } from './rfc3162.ts';
import { rfc3579 } from './rfc3579.ts';
import { rfc4372 } from './rfc4372.ts';
import { rfc5176 } from './rfc5176.ts';
import { rfc5997 } from './rfc5997.ts';
import { vpnVendors } from './vpn-vendors.ts';

export const standardDictionaryModules: readonly DictionaryModule[] = [
  rfc2865,
  rfc2866,
  rfc2868,
  rfc2869,
  rfc3162,
  rfc3579,
  rfc4372,
  rfc5176,
  rfc5997,
  microsoft,
  vpnVendors,
];

export const defaultDictionary = new Dictionary(standardDictionaryModules);
