// Duplicate-detection behaviours as data. Real RADIUS servers disagree on what to do with a
// retransmission, and the harness has to reproduce each of them, so a profile is a table row, not a
// code path.

export type DuplicateProfileName = 'nps' | 'rfc5080' | 'duo' | 'none';

export const duplicateProfileNames: readonly DuplicateProfileName[] = ['nps', 'rfc5080', 'duo', 'none'];

export interface DuplicateProfile {
  readonly name: DuplicateProfileName;
  readonly description: string;
  /** false: every retransmission is processed again (`none`). */
  readonly detects: boolean;
  /** What a duplicate gets once the original has been answered, while the window is open. */
  readonly afterResponse: 'discard' | 'replay';
  /** The key also carries User-Name and User-Password (hashed), as the Duo proxy's does. */
  readonly keyIncludesCredentials: boolean;
  /** A duplicate inside the window restarts it from the duplicate's arrival. */
  readonly extendWindowOnDuplicate: boolean;
  /**
   * A request with the same (address, port, Identifier) but a new Request Authenticator is a new
   * request: the old entry is dropped (RFC 5080 2.2.2 "cache entries MUST also be purged").
   */
  readonly purgeOnNewAuthenticator: boolean;
  readonly defaultWindowMs: number;
  readonly minWindowMs: number;
  readonly maxWindowMs: number;
}

export const duplicateProfiles: Readonly<Record<DuplicateProfileName, DuplicateProfile>> = {
  // The NPS extension for Entra MFA: in-flight duplicates are discarded (the prompt is never sent
  // twice) and it "continues to filter and discard duplicate requests for up to 10 seconds after a
  // successful response". No replay: the NAS gets nothing for a retransmission in that window.
  nps: {
    name: 'nps',
    description: 'discard while in flight, then discard for the window after the response (NPS extension)',
    detects: true,
    afterResponse: 'discard',
    keyIncludesCredentials: false,
    extendWindowOnDuplicate: false,
    purgeOnNewAuthenticator: false,
    defaultWindowMs: 10_000,
    minWindowMs: 1_000,
    maxWindowMs: 120_000,
  },
  // RFC 5080 2.2.2: cache the response and resend it to a retransmission. The RFC says the entry
  // SHOULD live 5 to 30 s; 2 s is accepted too so that short windows can be exercised on purpose.
  rfc5080: {
    name: 'rfc5080',
    description: 'discard while in flight, then replay the cached response for the window (RFC 5080 2.2.2)',
    detects: true,
    afterResponse: 'replay',
    keyIncludesCredentials: false,
    extendWindowOnDuplicate: true,
    purgeOnNewAuthenticator: true,
    defaultWindowMs: 5_000,
    minWindowMs: 2_000,
    maxWindowMs: 30_000,
  },
  // Like rfc5080, with User-Name and User-Password in the key and a 30 s window.
  duo: {
    name: 'duo',
    description: 'as rfc5080, keyed also on User-Name and User-Password, 30 s window (Duo proxy)',
    detects: true,
    afterResponse: 'replay',
    keyIncludesCredentials: true,
    extendWindowOnDuplicate: true,
    purgeOnNewAuthenticator: true,
    defaultWindowMs: 30_000,
    minWindowMs: 2_000,
    maxWindowMs: 120_000,
  },
  none: {
    name: 'none',
    description: 'no duplicate detection: every retransmission is processed again',
    detects: false,
    afterResponse: 'discard',
    keyIncludesCredentials: false,
    extendWindowOnDuplicate: false,
    purgeOnNewAuthenticator: false,
    defaultWindowMs: 0,
    minWindowMs: 0,
    maxWindowMs: 0,
  },
};

export function isDuplicateProfileName(value: unknown): value is DuplicateProfileName {
  return typeof value === 'string' && (duplicateProfileNames as readonly string[]).includes(value);
}
