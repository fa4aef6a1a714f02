// The cloud MFA mock's HTTP API as seen by a client. The contract itself lives in
// protocol/mfa-api.ts (the lead moved it there so reference/ and simulators/ share one copy without
// importing each other); this module re-exports it so the mock's modules keep one import path.

export * from '../../protocol/mfa-api.ts';
