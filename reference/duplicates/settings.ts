// Duplicate-detection settings: partial input in, one normalised object out, every problem reported
// at once with the field and the fix (the project's config convention).

import type { Issue } from '../../runtime/validation/index.ts';
import { duplicateProfileNames, duplicateProfiles, isDuplicateProfileName } from './profiles.ts';
import type { DuplicateProfile } from './profiles.ts';

/** What a user may write; every field optional. `profile` is a string so a typo can be reported. */
export interface DuplicateSettingsInput {
  readonly profile?: string;
  readonly windowMs?: number;
  readonly inFlightTimeoutMs?: number;
  readonly maxEntries?: number;
}

export interface DuplicateSettings {
  readonly profile: DuplicateProfile;
  /** Post-response window, half-open: a duplicate at answeredAt + windowMs - 1 is inside, at + windowMs outside. */
  readonly windowMs: number;
  /**
   * How long an entry stays in flight without complete() before it is forgotten. A safety net for
   * a caller that never completes; it must outlast the slowest MFA approval, or a late
   * retransmission would start a second prompt.
   */
  readonly inFlightTimeoutMs: number;
  readonly maxEntries: number;
}

export const duplicateSettingsDefaults = {
  profile: 'nps',
  // NAS timeouts of 60-120 s are what the NPS extension documentation recommends; 5 min covers
  // the whole retransmission schedule of such a NAS.
  inFlightTimeoutMs: 300_000,
  // 256 Identifiers per source port; 65 536 entries is 256 busy NAS sockets, a few MB of memory.
  maxEntries: 65_536,
} as const;

const MAX_IN_FLIGHT_TIMEOUT_MS = 3_600_000;
const MAX_ENTRIES_LIMIT = 10_000_000;

export type DuplicateSettingsResult =
  | { readonly ok: true; readonly settings: DuplicateSettings }
  | { readonly ok: false; readonly issues: readonly Issue[] };

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** Validates and fills defaults. `fieldPrefix` ("duplicates.") is put in front of every field name. */
export function normaliseDuplicateSettings(
  input: DuplicateSettingsInput,
  fieldPrefix = '',
): DuplicateSettingsResult {
  const issues: Issue[] = [];
  const field = (name: string): string => `${fieldPrefix}${name}`;

  const profileName = input.profile ?? duplicateSettingsDefaults.profile;
  if (!isDuplicateProfileName(profileName)) {
    issues.push({
      path: field('profile'),
      message: `unknown profile ${JSON.stringify(profileName)}`,
      fix: `use one of ${duplicateProfileNames.join(', ')}`,
    });
  }
  const profile = duplicateProfiles[isDuplicateProfileName(profileName) ? profileName : 'nps'];

  let windowMs = profile.defaultWindowMs;
  if (input.windowMs !== undefined && isDuplicateProfileName(profileName)) {
    if (!profile.detects) {
      issues.push({
        path: field('windowMs'),
        message: 'profile none keeps no window',
        fix: 'remove windowMs or choose a profile that detects duplicates (nps, rfc5080, duo)',
      });
    } else if (
      !isInteger(input.windowMs) ||
      input.windowMs < profile.minWindowMs ||
      input.windowMs > profile.maxWindowMs
    ) {
      issues.push({
        path: field('windowMs'),
        message: `${String(input.windowMs)} is outside what profile ${profile.name} allows`,
        fix: `set a whole number of milliseconds from ${profile.minWindowMs} to ${profile.maxWindowMs} (default ${profile.defaultWindowMs})`,
      });
    } else {
      windowMs = input.windowMs;
    }
  }

  const inFlightTimeoutMs = input.inFlightTimeoutMs ?? duplicateSettingsDefaults.inFlightTimeoutMs;
  if (
    !isInteger(inFlightTimeoutMs) ||
    inFlightTimeoutMs < 1 ||
    inFlightTimeoutMs > MAX_IN_FLIGHT_TIMEOUT_MS
  ) {
    issues.push({
      path: field('inFlightTimeoutMs'),
      message: `${String(inFlightTimeoutMs)} is not a usable in-flight timeout`,
      fix: `set a whole number of milliseconds from 1 to ${MAX_IN_FLIGHT_TIMEOUT_MS}, longer than the slowest MFA approval (default ${duplicateSettingsDefaults.inFlightTimeoutMs})`,
    });
  }

  const maxEntries = input.maxEntries ?? duplicateSettingsDefaults.maxEntries;
  if (!isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES_LIMIT) {
    issues.push({
      path: field('maxEntries'),
      message: `${String(maxEntries)} is not a usable entry cap`,
      fix: `set a whole number from 1 to ${MAX_ENTRIES_LIMIT} (default ${duplicateSettingsDefaults.maxEntries})`,
    });
  }

  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, settings: { profile, windowMs, inFlightTimeoutMs, maxEntries } };
}

/** One sentence for reports and `--describe` output. */
export function describeDuplicateSettings(settings: DuplicateSettings): string {
  const { profile } = settings;
  if (!profile.detects) return `duplicates: ${profile.name} (${profile.description})`;
  return (
    `duplicates: ${profile.name}, ${profile.afterResponse} for ${settings.windowMs} ms after the response` +
    `${profile.extendWindowOnDuplicate ? ' (each duplicate restarts the window)' : ''}, ` +
    `at most ${settings.maxEntries} entries, in-flight entries forgotten after ${settings.inFlightTimeoutMs} ms`
  );
}
