// The cloud MFA mock: tenant definition, service, its endpoints (routes), msw handlers, loopback HTTP server.

export * from './api-types.ts';
export * from './call-history.ts';
export * from './errors.ts';
export * from './faults.ts';
export * from './handlers.ts';
export * from './http-shell.ts';
export * from './mock.ts';
export * from './msw-http-adapter.ts';
export * from './router.ts';
export * from './routes.ts';
export * from './service.ts';
export * from './sms-outbox.ts';
export * from './tenant.ts';
