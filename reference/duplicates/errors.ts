import type { ConfigIssue } from '../config/issues.ts';

/** The server configuration's issue shape: field, message, fix. */
export type DuplicateConfigIssue = ConfigIssue;

/** Thrown by createDuplicateCache when its options do not validate; carries every issue at once. */
export class DuplicateConfigError extends Error {
  readonly code = 'RADMFA_DUPLICATE_CONFIG_INVALID';

  constructor(readonly issues: readonly DuplicateConfigIssue[]) {
    super(
      `invalid duplicate-detection settings: ${issues.map((i) => `${i.field}: ${i.message} (${i.fix})`).join('; ')}`,
    );
    this.name = 'DuplicateConfigError';
  }
}

/** A key part outside what a decoded RADIUS packet can carry: a caller bug, not a network event. */
export class DuplicateKeyError extends Error {
  readonly code = 'RADMFA_DUPLICATE_KEY_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'DuplicateKeyError';
  }
}
