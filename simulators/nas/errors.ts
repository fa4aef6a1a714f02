// Errors the simulated NAS throws. Network events (loss, bad replies, timeouts) are never thrown:
// they are outcomes and trace entries. What is thrown is a caller mistake or a closed NAS.

import { ValidationError, type Issue } from '../../runtime/validation/index.ts';

/** Options that do not validate; carries every issue at once. */
export class NasConfigError extends ValidationError {
  constructor(issues: readonly Issue[]) {
    super('NAS settings', issues, 'RADMFA_NAS_CONFIG_INVALID');
    this.name = 'NasConfigError';
  }
}

export type NasErrorCode =
  /** login()/accounting()/statusServer() called after close(). */
  | 'RADMFA_NAS_CLOSED'
  /** Every Identifier of every socket the pool may open is outstanding. */
  | 'RADMFA_NAS_IDENTIFIERS_EXHAUSTED'
  /** The lean load path was asked for what only nas.login does (a `naive` retransmission profile). */
  | 'RADMFA_NAS_LEAN_UNSUPPORTED';

export class NasError extends Error {
  constructor(
    readonly code: NasErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'NasError';
  }
}
