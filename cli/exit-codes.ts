// One exit-code table for every radmfa command. Exit codes are part of the interface CI pipelines
// gate on, so they are k6's numbers where k6 has one (99 thresholds, 104 invalid configuration).
export const ExitCode = {
  Ok: 0,
  /** A case failed, a login was rejected, or something else went wrong. */
  Failure: 1,
  /** `radmfa nas`: the server answered Access-Reject. */
  Rejected: 1,
  /** `radmfa nas`: no answer after every retransmission (or no valid one). */
  NoAnswer: 2,
  /** Thresholds failed (k6: 99). */
  ThresholdsFailed: 99,
  /** Invalid configuration or command line: every problem printed with its field and fix (k6: 104). */
  InvalidConfig: 104,
  /** The same code as InvalidConfig: a wrong flag is a configuration mistake too. */
  Usage: 104,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each code means when a command does not say more precisely (its --help lists its own). */
export const exitCodeMeanings: Readonly<Record<ExitCodeValue, string>> = {
  0: 'success',
  1: 'failure (a rejected login, a failed case)',
  2: 'no answer from the server',
  99: 'thresholds failed',
  104: 'invalid configuration or command line; each problem is printed with its field and the fix',
};
