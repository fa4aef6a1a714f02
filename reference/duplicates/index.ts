export { createDuplicateCache } from './cache.ts';
export type {
  DuplicateCache,
  DuplicateCacheOptions,
  DuplicateCacheStats,
  DuplicateCheck,
  DuplicateCompleteOutcome,
  DuplicateDiscardReason,
} from './cache.ts';
export { DuplicateConfigError, DuplicateKeyError } from './errors.ts';
export { duplicateKeyStrings } from './key.ts';
export type { DuplicateKeyParts, DuplicateKeyStrings } from './key.ts';
export { duplicateProfileNames, duplicateProfiles, isDuplicateProfileName } from './profiles.ts';
export type { DuplicateProfile, DuplicateProfileName } from './profiles.ts';
export {
  describeDuplicateSettings,
  duplicateSettingsDefaults,
  normaliseDuplicateSettings,
} from './settings.ts';
export type { DuplicateSettings, DuplicateSettingsInput, DuplicateSettingsResult } from './settings.ts';
