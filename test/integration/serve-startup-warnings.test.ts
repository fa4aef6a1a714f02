// `radmfa serve` logs, at start-up, the settings that let logins through without a second factor
// (REQUIRE_USER_MATCH FALSE, fail-open): the server publishes them as warning events and the
// command's logging prints them as pino warn lines with a stable code.
import { describe, expect, it } from 'vitest';
import { demoTenantFixture } from '../../scenarios/embedded/defaults.ts';
import { serveTestConfig, startServe } from '../../peers/serve-process.ts';

describe('radmfa serve start-up warnings', () => {
  it('REQUIRE_USER_MATCH FALSE and fail-open: one warn line each, before any login', async () => {
    const serve = await startServe({
      config: (workDir) =>
        serveTestConfig(workDir, {
          mfa: {
            enabled: true,
            embedded: { tenant: demoTenantFixture },
            REQUIRE_USER_MATCH: 'FALSE',
            failMode: 'fail-open',
          },
        }),
    });
    try {
      const first = await serve.waitForLog(
        (e) => e.event === 'warning' && e.code === 'require-user-match-false',
      );
      // pino level 40 is warn.
      expect(first).toMatchObject({
        level: 40,
        msg: expect.stringMatching(/remove before production/i) as string,
      });
      const second = await serve.waitForLog(
        (e) => e.event === 'warning' && e.code === 'fail-open-configured',
      );
      expect(second).toMatchObject({
        level: 40,
        msg: expect.stringMatching(/remove before production/i) as string,
      });
      expect(serve.logEvents().filter((e) => e.event === 'warning')).toHaveLength(2);
    } finally {
      await serve.stop();
    }
  });
});
