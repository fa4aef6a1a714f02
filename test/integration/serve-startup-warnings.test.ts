// `radmfa serve` logs, at start-up, the settings that let logins through without a second factor
// (REQUIRE_USER_MATCH FALSE, fail-open): the server publishes them as warning events and the
// command's logging prints them as pino warn lines with a stable code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCert } from '../../cli/cert.ts';
import { demoTenantFixture } from '../../scenarios/embedded/defaults.ts';
import { loadCertificateDir } from '../../reference/mfa/client-certificates.ts';
import { serveTestConfig, startServe } from '../../peers/serve-process.ts';

const DAY = 86_400_000;

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

  it('a client certificate with 10 days left: one warn line with its thumbprint, nothing of its key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-serve-cert-'));
    try {
      // A copy of the demo tenant (its certificate file made absolute) that registers the certificate.
      const tenant = path.join(dir, 'tenant.yaml');
      const demoCertificates = path.resolve(path.dirname(demoTenantFixture), '../certificates');
      writeFileSync(
        tenant,
        readFileSync(demoTenantFixture, 'utf8').replace('../certificates', demoCertificates),
      );
      const certs = path.join(dir, 'certs');
      const quiet = { out: () => undefined, err: () => undefined };
      // Made 20 days ago for 30 days, as a certificate nobody rolled over.
      const args = { action: 'new', dir: certs, tenantFile: tenant, keyType: 'ec-p256', days: 30 } as const;
      expect(await runCert(args, quiet, Date.now() - 20 * DAY)).toBe(0);
      const [certificate] = loadCertificateDir(certs).certificates;
      const serve = await startServe({
        config: (workDir) =>
          serveTestConfig(workDir, { mfa: { embedded: { tenant }, certificates: { dir: certs } } }),
      });
      try {
        const warning = await serve.waitForLog(
          (e) => e.event === 'warning' && e.code === 'client-certificate-expiring',
        );
        expect(warning).toMatchObject({
          level: 40,
          msg: expect.stringMatching(
            new RegExp(
              `^client certificate ${certificate?.thumbprint} .* expires in (9|10) day\\(s\\): run radmfa cert rollover`,
            ),
          ) as string,
        });
        expect(serve.stderrLines().join('\n')).not.toMatch(/PRIVATE KEY|BEGIN/);
      } finally {
        await serve.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
