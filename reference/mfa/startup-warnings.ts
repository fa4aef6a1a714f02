import type { MfaSettings } from '../config/mfa-config.ts';
import type { ServerEventMap } from '../events.ts';

/**
 * Settings that let logins through without a second factor. The NPS extension's documentation says
 * REQUIRE_USER_MATCH=FALSE is for onboarding and must be removed before production; fail-open is
 * radmfa's own switch with the same risk. Published once when the server starts, whatever else the
 * configuration says, so no deployment carries them silently.
 */
export function startupWarnings(settings: MfaSettings): ServerEventMap['warning'][] {
  const warnings: ServerEventMap['warning'][] = [];
  if (!settings.REQUIRE_USER_MATCH) {
    warnings.push({
      code: 'require-user-match-false',
      message:
        'REQUIRE_USER_MATCH is FALSE: users the MFA service reports as not enrolled log in without MFA ' +
        '(enrolled users still get MFA). Meant for onboarding only: remove before production.',
    });
  }
  if (settings.failMode === 'fail-open') {
    warnings.push({
      code: 'fail-open-configured',
      message:
        'MFA FAIL-OPEN MODE: logins are accepted without a second factor whenever the MFA service fails. ' +
        'Remove before production.',
    });
  }
  return warnings;
}
