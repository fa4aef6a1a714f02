// `radmfa validate-nas` end to end on real loopback UDP, in real time: radclient (a client no one here
// wrote) with given -t and -r, and the simulated NAS answering an Access-Challenge and using
// MS-CHAPv2 and EAP-MD5, all driven by a steps file through the command itself. The pcap it writes is
// read back with tshark: every RADIUS packet dissected, nothing malformed, no secret inside.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.ts';
import { requireTools } from '../../peers/tools.ts';
import type { NasValidationResult } from '../../scenarios/nas-validation/result.ts';
import { captureIo } from '../support/command-io.ts';

const tools = requireTools(['radclient', 'tshark']);
const SECRET = 'lab-secret-1';

function radclientStep(user: string, timeoutSeconds: number, tries: number): Record<string, unknown> {
  return {
    run: [
      'radclient',
      '-t',
      String(timeoutSeconds),
      '-r',
      String(tries),
      '{host}:{authPort}',
      'auth',
      '{secret}',
    ],
    stdin: `User-Name = ${user}\nUser-Password = "{password}"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = radclient\n`,
    timeout: '30s',
  };
}

async function validate(
  steps: unknown,
): Promise<{ dir: string; exit: number; stdout: string; result: NasValidationResult; pcap: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'radmfa-validate-nas-'));
  const stepsFile = join(dir, 'steps.yaml');
  writeFileSync(stepsFile, stringify(steps));
  const pcap = join(dir, 'capture.pcap');
  const io = captureIo();
  const exit = await main(
    [
      'validate-nas',
      '--auth-port',
      '0',
      '--acct-port',
      '0',
      '--secret',
      SECRET,
      '--steps',
      stepsFile,
      '--report-dir',
      join(dir, 'report'),
      '--pcap',
      pcap,
    ],
    io,
  );
  const result = JSON.parse(readFileSync(join(dir, 'report', 'results.json'), 'utf8')) as NasValidationResult;
  return { dir, exit, stdout: io.stdout(), result, pcap };
}

describe.skipIf(!tools.available)('radmfa validate-nas over UDP', () => {
  test.each([
    [1, 3],
    [2, 2],
  ])(
    'radclient -t %s -r %s: timeout and transmissions measured within a tenth',
    async (seconds, tries) => {
      const { result, exit } = await validate({ steps: [radclientStep('probe-never', seconds, tries)] });
      const [nas] = result.nas;
      expect(nas?.address).toBe('127.0.0.1');
      expect(nas?.transmissions).toBe(tries);
      expect(Math.abs((nas?.timeoutMs ?? 0) - seconds * 1000)).toBeLessThanOrEqual(seconds * 100);
      expect(nas?.retransmission).toBe('same');
      expect(nas?.nasIdentifier).toBe('radclient');
      // A 3-4 s NAS fails the seed's 60 s: the run exits 1.
      expect(nas?.checks.find((c) => c.id === 'timeout-covers-mfa')?.verdict).toBe('fail');
      expect(exit).toBe(1);
    },
    60_000,
  );

  test('the pcap dissects cleanly in tshark and holds no password, code or State', async () => {
    const { result, stdout, pcap, dir } = await validate({
      steps: [
        radclientStep('probe-approve-2s', 5, 1),
        { login: { user: 'probe-code', from: '127.0.0.2', statusServer: true, accounting: true } },
        { login: { user: 'probe-approve-2s', from: '127.0.0.2', method: 'mschapv2' } },
        { login: { user: 'probe-deny', from: '127.0.0.2', method: 'eap-md5' } },
      ],
    });
    expect(result.steps?.map((s) => s.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const sim = result.nas.find((n) => n.address === '127.0.0.2');
    expect(sim?.checks.find((c) => c.id === 'challenge-handling')?.verdict).toBe('pass');
    const [, authPort] = /:(\d+)$/.exec(result.servers.primary) ?? [];
    const acctPort = /accounting 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
    const decode = ['-d', `udp.port==${authPort},radius`, '-d', `udp.port==${acctPort},radius`];
    const fields = execFileSync('tshark', ['-r', pcap, ...decode, '-T', 'fields', '-e', 'radius.code'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const codes = fields.trim().split('\n');
    expect(codes).toHaveLength(result.capture.packets);
    expect(codes.every((code) => /^\d+$/.test(code))).toBe(true);
    expect(new Set(codes)).toEqual(new Set(['1', '2', '3', '4', '5', '11', '12']));
    const verbose = execFileSync('tshark', ['-r', pcap, ...decode, '-V'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(verbose).not.toMatch(/malformed/i);
    expect(verbose).toContain('User-Password (encrypted): 00000000000000000000000000000000');
    // The SMS code was printed for the operator, and nowhere else.
    const code = /the SMS code is (\d+)/.exec(stdout)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    const everything = ['results.json', 'summary.md', 'index.html', 'junit.xml']
      .map((f) => readFileSync(join(dir, 'report', f), 'utf8'))
      .join('\n');
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('Passw0rd!');
    expect(readFileSync(pcap).includes(Buffer.from(code ?? ''))).toBe(false);
    const junit = readFileSync(join(dir, 'report', 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(result.summary.checks);
  }, 90_000);
});
