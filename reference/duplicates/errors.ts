import { ValidationError, type Issue } from '../../runtime/validation/index.ts';

/** Thrown by createDuplicateCache when its options do not validate; carries every issue at once. */
export class DuplicateConfigError extends ValidationError {
  constructor(issues: readonly Issue[]) {
    super('duplicate-detection settings', issues, 'RADMFA_DUPLICATE_CONFIG_INVALID');
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
