// User behaviour models shared by the cloud MFA mock and the simulated NAS.

export * from './behaviour.ts';
export * from './durations.ts';
export * from './parse.ts';
export * from './random.ts';
export * from './code-responder.ts';
