// Builds a demo-tenant mock on a VirtualClock, and small helpers the MFA tests share.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../../../runtime/clock.ts';
import type { CallRecord } from '../../../../simulators/mfa/api-types.ts';
import type { CallFilter } from '../../../../simulators/mfa/call-history.ts';
import { createMfaMock, type MfaMock } from '../../../../simulators/mfa/mock.ts';
import { loadTenantFile, type TenantDefinition } from '../../../../simulators/mfa/tenant.ts';
import { withTestCertificate } from '../../../support/certificates.ts';
import { requireTool } from '../../../../peers/tools.ts';

/** oathtool through the tool check: under CI a missing binary fails the file, elsewhere its tests skip. */
export const oathtool = requireTool('oathtool');

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_TENANT_FILE = path.resolve(here, '../../../../fixtures/tenant/demo.yaml');

/** Monday 2025-01-06 09:00:00 UTC: a fixed instant, so TOTP codes are the same every run. */
export const START_MS = Date.UTC(2025, 0, 6, 9, 0, 0);

let demo: Promise<TenantDefinition> | undefined;

export function demoTenant(): Promise<TenantDefinition> {
  demo ??= loadTenantFile(DEMO_TENANT_FILE).then(withTestCertificate);
  return demo;
}

export interface VirtualMock {
  readonly clock: VirtualClock;
  readonly mock: MfaMock;
}

export async function virtualDemoMock(baseUrl?: string): Promise<VirtualMock> {
  const clock = new VirtualClock(START_MS);
  const mock = createMfaMock({
    tenant: await demoTenant(),
    clock,
    ...(baseUrl === undefined ? {} : { baseUrl }),
  });
  return { clock, mock };
}

/** Waits until a call matching `filter` has reached the mock, so advancing the clock cannot race it. */
export function arrival(mock: MfaMock, filter: CallFilter): Promise<CallRecord> {
  return mock.service.history.waitFor(filter);
}

/** The TOTP code `oathtool` (an independent implementation) computes for `base32` at `timeMs`. */
export function oathtoolTotp(base32: string, timeMs: number): string {
  const now = new Date(timeMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  if (oathtool.path === undefined)
    throw new Error(`oathtoolTotp called without oathtool: skip with oathtool.available`);
  return execFileSync(oathtool.path, ['--totp', '-b', base32, '--now', now], { encoding: 'utf8' }).trim();
}
