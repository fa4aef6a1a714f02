// `radmfa serve` in front of a real OpenLDAP slapd loaded with the demo directory, instead of the
// LDAP stub: PAP is a bind as the user, MS-CHAPv2 reads sambaNTPassword through the service
// account, and account state comes from the AD attributes (OpenLDAP itself enforces none of them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMsChap2Success } from '../../protocol/auth/index.ts';
import { runRadclient, runRadtest, type RadclientResult } from '../../peers/radclient.ts';
import {
  DEMO_DIRECTORY,
  SERVE_SECRET,
  msChapV2Attempt,
  radclientOctets,
  serveTestConfig,
  startServe,
  type ServeProcess,
} from '../../peers/serve-process.ts';
import { slapdRequirement, startSlapd, type RunningSlapd } from '../../peers/slapd.ts';
import { requireTools } from '../../peers/tools.ts';

const slapd = slapdRequirement();
const clients = requireTools(['radclient', 'radtest']);
const PASSWORD = 'Passw0rd!';

function describeRun(result: RadclientResult): string {
  return `exit ${result.exitCode}\n${result.stdout}\n${result.stderr}`;
}

describe.skipIf(!slapd.available || !clients.available)('radmfa serve with a real OpenLDAP directory', () => {
  let ldap: RunningSlapd;
  let serve: ServeProcess;
  const peer = (): { host: string; port: number; secret: string } => ({
    host: serve.auth.address,
    port: serve.auth.port,
    secret: SERVE_SECRET,
  });

  beforeAll(async () => {
    ldap = await startSlapd({ fixturePath: DEMO_DIRECTORY });
    serve = await startServe({
      config: (workDir: string) =>
        serveTestConfig(workDir, {
          directory: {
            url: ldap.url,
            bindDn: ldap.bindDn,
            bindPassword: ldap.bindPassword,
            baseDn: ldap.baseDn,
            userFilter: '(&(objectClass=user)(sAMAccountName={user}))',
            timeoutMs: 3000,
          },
          admin: false,
        }),
    });
  });

  afterAll(async () => {
    await serve?.stop();
    await ldap?.stop();
  });

  it('talks to slapd, not to an embedded stub', () => {
    expect(serve.started.directory).toBe(ldap.url);
    expect(serve.admin).toBeUndefined();
  });

  it('PAP: a bind as the user decides, right password accepted, wrong one rejected', async () => {
    const [accept, reject] = await Promise.all([
      runRadtest({ ...peer(), method: 'pap', user: 'alice', password: PASSWORD, timeoutMs: 15_000 }),
      runRadtest({ ...peer(), method: 'pap', user: 'bob', password: 'not-bobs-password', timeoutMs: 15_000 }),
    ]);
    expect(accept.code, describeRun(accept)).toBe('Access-Accept');
    expect(reject.code, describeRun(reject)).toBe('Access-Reject');
    expect(await serve.waitForLog((e) => e.event === 'access' && e.userName === 'bob')).toMatchObject({
      outcome: 'reject',
      reason: 'wrong-password',
    });
  });

  it('MS-CHAPv2 against the sambaNTPassword slapd returns: accepted with a verifying MS-CHAP2-Success', async () => {
    const attempt = msChapV2Attempt('carol', PASSWORD, 9);
    const result = await runRadclient({ ...peer(), command: 'auth', attributes: attempt.lines });
    expect(result.code, describeRun(result)).toBe('Access-Accept');
    const success = parseMsChap2Success(radclientOctets(result.attributes['MS-CHAP2-Success']?.[0]));
    if (!success.ok) throw new Error(success.message);
    expect(success.value).toMatchObject({
      ident: 9,
      authenticatorResponse: attempt.expectedAuthenticatorResponse,
    });
    const wrong = await runRadclient({
      ...peer(),
      command: 'auth',
      attributes: msChapV2Attempt('carol', 'Passw0rd?', 9).lines,
    });
    expect(wrong.code, describeRun(wrong)).toBe('Access-Reject');
  });

  it('rejects the disabled user although slapd accepts her bind', async () => {
    const result = await runRadclient({
      ...peer(),
      command: 'auth',
      attributes: { 'User-Name': 'grace', 'User-Password': PASSWORD },
    });
    expect(result.code, describeRun(result)).toBe('Access-Reject');
    expect(await serve.waitForLog((e) => e.event === 'access' && e.userName === 'grace')).toMatchObject({
      outcome: 'reject',
      reason: 'account-disabled',
    });
  });

  it('rejects a user slapd does not know', async () => {
    const result = await runRadclient({
      ...peer(),
      command: 'auth',
      attributes: { 'User-Name': 'nobody', 'User-Password': PASSWORD },
    });
    expect(result.code, describeRun(result)).toBe('Access-Reject');
    expect(await serve.waitForLog((e) => e.event === 'access' && e.userName === 'nobody')).toMatchObject({
      reason: 'user-not-found',
    });
  });
});
