// The live readiness checks of a running stack: the directory it searches (the embedded stub's
// address and service account when it started one) and its MFA client's own settings, trust anchor,
// credential and token cache, so /health checks exactly what logins use.
import { SystemClock, type Clock } from '../../runtime/clock.ts';
import { Readiness } from '../../reference/health/readiness.ts';
import type { Stack } from '../embedded/compose.ts';

export function stackReadiness(stack: Stack, options: { clock?: Clock; maxAgeMs?: number } = {}): Readiness {
  const { directory, mfa } = stack.config;
  const client = stack.mfaClient;
  return new Readiness({
    clock: options.clock ?? new SystemClock(),
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    directory: {
      url: stack.directoryUrl,
      bindDn: directory.bindDn,
      bindPassword: directory.bindPassword,
      baseDn: directory.baseDn,
      timeoutMs: directory.timeoutMs,
      ...(stack.ldapStub !== undefined ? { embedded: true } : {}),
    },
    ...(client !== undefined
      ? {
          mfa: {
            settings: mfa,
            ...(client.ca !== undefined ? { ca: client.ca } : {}),
            credential: client.credential,
            certificateSource: client.certificateSource,
            token: () => client.cloud.currentToken(),
          },
        }
      : {}),
  });
}
