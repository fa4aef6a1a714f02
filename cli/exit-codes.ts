// Exit codes are part of the interface CI pipelines gate on; k6's numbers where k6 has one.
export const ExitCode = {
  Ok: 0,
  /** `radmfa nas`: the server answered Access-Reject. */
  Rejected: 1,
  /** `radmfa nas`: no answer after every retransmission. */
  NoAnswer: 2,
  /** `radmfa nas`: bad command line or settings (field and fix printed). */
  NasUsage: 3,
  /** Thresholds failed (k6: 99). */
  ThresholdsFailed: 99,
  /** Invalid configuration (k6: 104). */
  InvalidConfig: 104,
  /** Anything else that went wrong. */
  Failure: 1,
} as const;

export class UsageError extends Error {
  readonly code = 'RADMFA_USAGE';

  constructor(
    readonly field: string,
    message: string,
    readonly fix: string,
  ) {
    super(`${field}: ${message}. Fix: ${fix}`);
    this.name = 'UsageError';
  }
}
