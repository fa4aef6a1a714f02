// The readiness checks `radmfa doctor` runs and `/health` reports, as rows: a closed list of check
// ids in the order they run, each row saying pass, warn or fail with what was found and the fix.
// The seed's "NPS extension health check script" is the model: one place that says what is wrong
// with this installation and what to do about it.

/** Every check, in the order it runs and is printed. */
export const HEALTH_CHECK_IDS = [
  'config',
  'radius-ports',
  'directory',
  'token-service',
  'mfa-service',
  'client-certificate',
  'tenant-registration',
  'require-user-match',
  'fail-mode',
] as const;

export type HealthCheckId = (typeof HEALTH_CHECK_IDS)[number];

/** What a row's check could not be run for (the configuration is invalid, MFA is off) is `skip`. */
export type HealthStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface HealthRow {
  readonly id: HealthCheckId;
  readonly status: HealthStatus;
  /** What was found. Never a password, a key or a token. */
  readonly message: string;
  /** What to do about it; absent when there is nothing to do. */
  readonly fix?: string;
}

/** What each check is about, for the table. */
export const HEALTH_CHECK_TITLES: Readonly<Record<HealthCheckId, string>> = {
  config: 'configuration is valid',
  'radius-ports': 'RADIUS ports free or bound by radmfa',
  directory: 'directory reachable, service account binds',
  'token-service': 'token service (STS) reachable',
  'mfa-service': 'MFA host reachable',
  'client-certificate': 'client certificate present and valid',
  'tenant-registration': 'certificate registered (token obtained)',
  'require-user-match': 'REQUIRE_USER_MATCH',
  'fail-mode': 'MFA fail mode',
};

export type OverallStatus = 'pass' | 'warn' | 'fail';

/** The worst row: fail over warn over pass; skipped rows count for nothing. */
export function overallStatus(rows: readonly HealthRow[]): OverallStatus {
  if (rows.some((row) => row.status === 'fail')) return 'fail';
  return rows.some((row) => row.status === 'warn') ? 'warn' : 'pass';
}

export function pass(id: HealthCheckId, message: string): HealthRow {
  return { id, status: 'pass', message };
}

export function warn(id: HealthCheckId, message: string, fix: string): HealthRow {
  return { id, status: 'warn', message, fix };
}

export function fail(id: HealthCheckId, message: string, fix: string): HealthRow {
  return { id, status: 'fail', message, fix };
}

export function skip(id: HealthCheckId, message: string): HealthRow {
  return { id, status: 'skip', message };
}

/** Rows in the order of HEALTH_CHECK_IDS, whatever order they were produced in. */
export function inCheckOrder(rows: readonly HealthRow[]): HealthRow[] {
  return [...rows].sort((a, b) => HEALTH_CHECK_IDS.indexOf(a.id) - HEALTH_CHECK_IDS.indexOf(b.id));
}
