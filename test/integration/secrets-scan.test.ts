// Secrets, passwords and MFA codes never reach what radmfa writes. A real `radmfa serve` (trace-level
// logs, embedded LDAP stub and MFA mock) gets logins with known values (shared secret, the users'
// and the service account's passwords, a wrong password, a TOTP secret and the codes it makes),
// then `radmfa run` drives the protocol suite at it and writes every report. Everything written
// (logs, stdout, result JSON, reports, the accounting database, /metrics, /health) is scanned for
// each value as text, hex and base64 (at every alignment), and for the NT hash of the password.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base32Decode, ntPasswordHash, totp } from '../../protocol/auth/index.ts';
import { PacketCode, attributeValue } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { DEMO_DIRECTORY, serveTestConfig, startServe } from '../../peers/serve-process.ts';
import { demoTenantFixture } from '../../scenarios/embedded/defaults.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import { runRadmfa } from '../support/radmfa-cli.ts';

const CLIENT_SECRET = 'Shared-Secret-Qz7Kp2Wx9';
const PASSWORD = 'User-Pass-Vm3Rt8Ly5!';
const SERVICE_PASSWORD = 'Service-Pass-Hb6Nd1Gc4!';
const WRONG_PASSWORD = 'Wrong-Guess-Jf2Sx8Tq6?';
const TOTP_SECRET = 'KRUGS4ZANFZSAYJAONSWG4TFOQQGI3ZAI5HDC';

const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The value, its hex (both cases) and its base64 at the three alignments it can have in a stream. */
function encodings(value: Buffer): string[] {
  const forms = [value.toString('latin1'), value.toString('hex'), value.toString('hex').toUpperCase()];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), value]).toString('base64');
    // Keep only the characters made of the value's own bits.
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + value.length) * 8) / 6);
    const core = encoded.slice(start, end);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms.filter((form) => form.length >= 6);
}

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const full = path.join(root, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** Where each secret form occurs, as "place: secret (form)". */
function findings(sources: ReadonlyMap<string, Buffer>, secrets: Readonly<Record<string, Buffer>>): string[] {
  const found: string[] = [];
  for (const [place, content] of sources) {
    const text = content.toString('latin1');
    for (const [name, value] of Object.entries(secrets)) {
      for (const form of encodings(value)) {
        // A 6-digit code is only a finding as a whole number, not inside a timestamp.
        const hit = /^\d+$/.test(form)
          ? new RegExp(`(?<!\\d)${form}(?!\\d)`).test(text)
          : text.includes(form);
        if (hit) found.push(`${place}: ${name} (${form})`);
      }
    }
  }
  return found;
}

describe('nothing radmfa writes contains a secret, a password or an MFA code', () => {
  it(
    'serve at trace level + logins with MFA + radmfa run with every report',
    { timeout: 240_000 },
    async () => {
      const inputs = path.join(dir, 'inputs');
      const reports = path.join(dir, 'reports');
      mkdirSync(inputs);
      const directory = path.join(inputs, 'directory.yaml');
      writeFileSync(
        directory,
        readFileSync(DEMO_DIRECTORY, 'utf8')
          .replaceAll('S3rvice-Passw0rd!', SERVICE_PASSWORD)
          .replaceAll('Passw0rd!', PASSWORD),
      );
      const tenant = path.join(inputs, 'tenant.yaml');
      const certificates = path.resolve(path.dirname(demoTenantFixture), '../certificates');
      writeFileSync(
        tenant,
        readFileSync(demoTenantFixture, 'utf8')
          .replaceAll('JBSWY3DPEHPK3PXP', TOTP_SECRET)
          .replaceAll('../certificates', certificates),
      );
      const workDir = path.join(dir, 'serve');
      mkdirSync(workDir);
      const serve = await startServe({
        workDir,
        config: (workDir) =>
          serveTestConfig(workDir, {
            clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: CLIENT_SECRET }],
            directory: { embedded: { fixture: directory } },
            mfa: { enabled: true, embedded: { tenant } },
          }),
        args: ['--log-level', 'trace'],
        // Two cores shared with the rest of the suite: the embedded stack can take a while to start.
        startTimeoutMs: 60_000,
      });
      const codes: string[] = [];
      let metrics = '';
      let health = '';
      let run = { stdout: '', stderr: '', exitCode: null as number | null };
      try {
        const clock = new SystemClock();
        const client = await RadiusTestClient.open({
          transport: new UdpTransport(),
          clock,
          server: serve.auth,
          secret: CLIENT_SECRET,
        });
        try {
          const login = (user: string, password: string, state?: Buffer) =>
            client.exchange(
              client.accessRequest([
                { name: 'User-Name', value: user },
                { name: 'User-Password', value: password },
                ...(state !== undefined ? [{ name: 'State', value: state }] : []),
              ]),
              10_000,
            );
          expect((await login('alice', WRONG_PASSWORD))?.packet.code).toBe(PacketCode.AccessReject);
          // bob's method is an app code: a challenge, then the TOTP code in User-Password.
          const challenge = await login('bob', PASSWORD);
          expect(challenge?.packet.code).toBe(PacketCode.AccessChallenge);
          const state = challenge === undefined ? undefined : attributeValue(challenge.attributes, 'State');
          if (!Buffer.isBuffer(state)) throw new Error('no State in the challenge');
          const key = base32Decode(TOTP_SECRET);
          if (!key.ok) throw new Error(key.message);
          const code = totp(key.value, Date.now());
          codes.push(code);
          expect((await login('bob', code, state))?.packet.code).toBe(PacketCode.AccessAccept);
          const accounting = client.build(PacketCode.AccountingRequest, [
            { name: 'Acct-Status-Type', value: 'Start' },
            { name: 'Acct-Session-Id', value: 'secrets-1' },
            { name: 'User-Name', value: 'bob' },
          ]);
          const acknowledged = client.replyTo(accounting, 10_000);
          await client.send(accounting.bytes, serve.acct);
          expect((await acknowledged)?.packet.code).toBe(PacketCode.AccountingResponse);
        } finally {
          await client.close();
        }
        const admin = serve.admin;
        if (admin === undefined) throw new Error('no admin port');
        metrics = await (await fetch(`http://${admin.address}:${admin.port}/metrics`)).text();
        health = await (await fetch(`http://${admin.address}:${admin.port}/health`)).text();
        expect(metrics).toContain('radmfa_access_total');
        const result = await runRadmfa(
          [
            ...['run', 'protocol', '--target', `${serve.auth.address}:${serve.auth.port}`],
            ...['--acct-port', String(serve.acct.port), '--secret', CLIENT_SECRET],
            ...['--user', 'bob', '--password', PASSWORD, '--report-dir', reports],
          ],
          180_000,
        );
        run = { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
      } finally {
        await serve.stop();
      }
      const reportFiles = filesUnder(reports);
      expect(run.exitCode, run.stderr).not.toBeNull();
      expect(reportFiles.map((f) => path.extname(f)).sort()).toEqual(
        expect.arrayContaining(['.html', '.json', '.md', '.xml']),
      );
      // Debug lines (level 20: Status-Server and below) are part of what is scanned.
      expect(serve.logEvents().length).toBeGreaterThan(5);
      const sources = new Map<string, Buffer>([
        ['serve stderr (logs)', Buffer.from(serve.stderrLines().join('\n'))],
        ['run stdout', Buffer.from(run.stdout)],
        ['run stderr', Buffer.from(run.stderr)],
        ['/metrics', Buffer.from(metrics)],
        ['/health', Buffer.from(health)],
      ]);
      for (const file of [...filesUnder(serve.workDir), ...reportFiles]) {
        if (file !== serve.configPath) sources.set(file, readFileSync(file));
      }
      // The scan is able to find what it looks for: the config file (an input) holds the secret.
      expect(
        findings(new Map([['config', readFileSync(serve.configPath)]]), {
          secret: Buffer.from(CLIENT_SECRET),
        }),
      ).not.toEqual([]);
      const secrets: Record<string, Buffer> = {
        'shared secret': Buffer.from(CLIENT_SECRET),
        password: Buffer.from(PASSWORD),
        'service password': Buffer.from(SERVICE_PASSWORD),
        'wrong password': Buffer.from(WRONG_PASSWORD),
        'TOTP secret': Buffer.from(TOTP_SECRET),
        'NT hash of the password': ntPasswordHash(PASSWORD),
        ...Object.fromEntries(codes.map((code, i) => [`MFA code ${i + 1}`, Buffer.from(code)])),
      };
      expect(codes).toHaveLength(1);
      expect(findings(sources, secrets)).toEqual([]);
    },
  );
});
