// The protocol layer: pure functions over Buffers. No I/O, no clock, no logging.
export * from './constants.ts';
export * from './decode-failures.ts';
export * from './packet.ts';
export * from './values.ts';
export * from './attributes.ts';
export * from './authenticators.ts';
export * from './build.ts';
export * from './verify.ts';
export * from './template.ts';
export { pooledRandomBytes } from './random.ts';
export * from './malformed.ts';
export { Dictionary, DictionaryError } from './dictionary/dictionary.ts';
export type * from './dictionary/types.ts';
export { defaultDictionary, standardDictionaryModules } from './dictionaries/index.ts';
