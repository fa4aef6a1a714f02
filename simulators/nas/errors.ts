// Errors the simulated NAS throws. Network events (loss, bad replies, timeouts) are never thrown:
// they are outcomes and trace entries. What is thrown is a caller mistake or a closed NAS.

export interface NasConfigIssue {
  /** Dotted path of the offending setting, e.g. `policy.retries` or `servers[1].port`. */
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

/** Options that do not validate; carries every issue at once. */
export class NasConfigError extends Error {
  readonly code = 'RADMFA_NAS_CONFIG_INVALID';

  constructor(readonly issues: readonly NasConfigIssue[]) {
    super(`invalid NAS settings: ${issues.map((i) => `${i.field}: ${i.message} (${i.fix})`).join('; ')}`);
    this.name = 'NasConfigError';
  }
}

export type NasErrorCode =
  /** login()/accounting()/statusServer() called after close(). */
  | 'RADMFA_NAS_CLOSED'
  /** Every Identifier of every socket the pool may open is outstanding. */
  | 'RADMFA_NAS_IDENTIFIERS_EXHAUSTED';

export class NasError extends Error {
  constructor(
    readonly code: NasErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'NasError';
  }
}
