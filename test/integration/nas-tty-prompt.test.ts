// `radmfa nas` without --otp, at a terminal: it shows the server's Reply-Message as a prompt and
// sends what the user types. util-linux `script` gives the command a real pseudo-terminal.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totp } from '../../protocol/auth/index.ts';
import { SERVE_SECRET, serveTestConfig, startServe, type ServeProcess } from '../../peers/serve-process.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['script']);
const DEMO_TENANT = resolve(import.meta.dirname, '../../fixtures/tenant/demo.yaml');
const BIN = resolve(import.meta.dirname, '../../bin/radmfa.js');

function runAtTerminal(
  command: string,
  typed: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Type only once the prompt is on the screen, as a person would.
      if (!answered && /verification code|code/i.test(output) && output.includes(':')) {
        answered = true;
        child.stdin.write(`${typed}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe.skipIf(!tools.available)('radmfa nas prompts for the MFA code on a terminal', () => {
  let serve: ServeProcess;

  beforeAll(async () => {
    serve = await startServe({
      config: (workDir) =>
        serveTestConfig(workDir, { mfa: { enabled: true, embedded: { tenant: DEMO_TENANT } } }),
    });
  });

  afterAll(async () => {
    await serve?.stop();
  });

  it('bob types his app code at the prompt and is accepted (exit 0)', async () => {
    const key = base32Decode('JBSWY3DPEHPK3PXP');
    if (!key.ok) throw new Error(key.message);
    const command = `${process.execPath} ${BIN} nas --server ${serve.auth.address}:${serve.auth.port} --secret ${SERVE_SECRET} --user bob --password Passw0rd!`;
    const { code, output } = await runAtTerminal(command, totp(key.value, Date.now()), 30_000);
    expect(output).toMatch(/Enter the verification code from your authenticator app:/);
    expect(output).toMatch(/Access-Accept .* for bob \(pap\)/);
    expect(code).toBe(0);
  });
});
