// `radmfa nas` proven against a real RADIUS server: FreeRADIUS 3.2 (Debian) on loopback accepts
// what radmfa sends for every method, and radmfa verifies what FreeRADIUS answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type FreeRadiusInstance } from '../../peers/freeradius.ts';
import { findFreeUdpPort } from '../../peers/ports.ts';
import { runNasJson, runRadmfa } from '../support/radmfa-cli.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['freeradius']);
const USER = { name: 'vpnuser', password: 'Corr3ct-horse' };

describe.skipIf(!tools.available)('radmfa nas against FreeRADIUS 3.2', () => {
  let radius: FreeRadiusInstance;
  let server: string;

  beforeAll(async () => {
    radius = await startFreeRadius({
      users: [{ ...USER, replyAttributes: { 'Reply-Message': 'hello from freeradius' } }],
    });
    server = `${radius.host}:${radius.authPort}`;
  });

  afterAll(async () => {
    await radius?.stop();
  });

  const login = (method: string, password = USER.password): Promise<Awaited<ReturnType<typeof runNasJson>>> =>
    runNasJson([
      '--server',
      server,
      '--secret',
      radius.secret,
      '--user',
      USER.name,
      '--password',
      password,
      '--method',
      method,
    ]);

  it.each(['pap', 'chap'])('%s: Access-Accept, exit 0', async (method) => {
    const { exitCode, json } = await login(method);
    expect(json.outcome).toBe('accept');
    expect(json.replyCodeLabel).toBe('Access-Accept');
    expect(exitCode).toBe(0);
  });

  it('mschapv2: Access-Accept with a verified MS-CHAP2-Success and MPPE keys that match', async () => {
    const { exitCode, json } = await login('mschapv2');
    expect(exitCode).toBe(0);
    expect(json.outcome).toBe('accept');
    expect(json.msChap2SuccessVerified).toBe(true);
    // FreeRADIUS sends MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 2.4.2/2.4.3); the NAS derives
    // its own from the NT hash and NT-Response (RFC 3079 3.3) and reports whether the two agree.
    const keys = json.mppeKeys as { sendKey?: unknown; recvKey?: unknown; matchesExpected?: unknown };
    expect(keys).toMatchObject({ matchesExpected: true });
    expect(keys.sendKey).toMatch(/^0x[0-9a-f]{32}$/);
    expect(keys.recvKey).toMatch(/^0x[0-9a-f]{32}$/);
  });

  it.each(['eap-md5', 'eap-mschapv2'])('%s: Access-Accept after the EAP rounds', async (method) => {
    const { exitCode, json } = await login(method);
    expect(json.outcome).toBe('accept');
    expect(json.challenges as number).toBeGreaterThanOrEqual(1);
    expect(exitCode).toBe(0);
  });

  it.each(['pap', 'mschapv2', 'eap-mschapv2'])(
    '%s with a wrong password: Access-Reject, exit 1',
    async (method) => {
      const { exitCode, json } = await login(method, 'wrong-password');
      expect(json.outcome).toBe('reject');
      expect(exitCode).toBe(1);
    },
  );

  it('Status-Server is answered (exit 0)', async () => {
    const result = await runRadmfa(['nas', '--server', server, '--secret', radius.secret, '--status']);
    expect(result.stdout).toMatch(/Status-Server: ok/);
    expect(result.exitCode).toBe(0);
  });

  it('a server that never answers: exit 2 after the prescribed tries', async () => {
    const silent = await findFreeUdpPort();
    const { exitCode, json } = await runNasJson([
      '--server',
      `127.0.0.1:${silent}`,
      '--secret',
      'x',
      '--user',
      'u',
      '--password',
      'p',
      '--timeout',
      '0.2',
      '--retries',
      '2',
    ]);
    expect(json.outcome).toBe('timeout');
    expect(json.transmissions).toBe(3);
    expect(exitCode).toBe(2);
  });

  it('a usage error names the field and the fix (exit 104)', async () => {
    const result = await runRadmfa([
      'nas',
      '--server',
      'not-an-address',
      '--secret',
      's',
      '--user',
      'u',
      '--password',
      'p',
    ]);
    expect(result.exitCode).toBe(104);
    expect(result.stderr).toMatch(/--server: .*Fix:/);
  });
});
