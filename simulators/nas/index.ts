// Public API of the simulated NAS (VPN server as a RADIUS client).
export { createNas, nasDefaults } from './nas.ts';
export type { Nas, NasOptions, NasServerInput, NasStats, UnmatchedReply } from './nas.ts';
export type { NasServer } from './exchange.ts';
export type {
  LeanCallback,
  LeanDiscardReason,
  LeanPath,
  LeanStats,
  LeanStatus,
  LeanTemplateOptions,
} from './lean.ts';
export { LOGIN_DEFAULTS } from './login.ts';
export type {
  ChallengePrompt,
  ChallengeResponder,
  LoginOptions,
  LoginOutcome,
  LoginResult,
} from './login.ts';
export type {
  AccountingOptions,
  AccountingResult,
  AccountingStatusType,
  RequestResult,
  StatusServerOptions,
  StatusServerResult,
} from './accounting.ts';
export type { AnsweringServer, OperationStats } from './operation.ts';
export { loginErrorReasons, loginMethods } from './methods/types.ts';
export type {
  EapReport,
  LoginError,
  LoginErrorCode,
  LoginMethod,
  MethodReport,
  MppeKeysReport,
  MsChapErrorReport,
} from './methods/types.ts';
export {
  MAX_TRANSMISSIONS_PER_SERVER,
  RFC5080_RECOMMENDED,
  defaultTimeoutDecider,
  describeRetryPolicy,
  normaliseRetryPolicy,
  planSchedule,
  policyKinds,
  retransmissionModes,
  retryPolicyDefaults,
  scheduleBounds,
} from './policy.ts';
export type {
  BackoffPolicy,
  FixedPolicy,
  PolicyKind,
  RetransmissionMode,
  RetryPolicy,
  RetryPolicyInput,
  RetryPolicyResult,
  ScheduleBounds,
  ScheduleState,
  TimeoutDecider,
} from './policy.ts';
export {
  describeNasProfile,
  isNasProfileName,
  nasProfileNames,
  nasProfiles,
  resolveNasPolicy,
} from './profiles.ts';
export type {
  NasProfile,
  NasProfileName,
  PolicyField,
  ResolvedNasPolicy,
  ResolvedNasPolicyResult,
} from './profiles.ts';
export { formatTrace, formatTraceEvent } from './trace.ts';
export type { InvalidReplyReason, TraceEvent, TraceEventKind } from './trace.ts';
export { IDENTIFIER_SPACE, IdentifierAllocator } from './identifiers.ts';
export { NasConfigError, NasError } from './errors.ts';
export type { NasErrorCode } from './errors.ts';
