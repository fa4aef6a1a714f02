// Self-test of the real-peer harness: a throwaway FreeRADIUS answers radclient, radtest and
// eapol_test. If this file fails, the integration tests built on the harness cannot be trusted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEapolTest } from '../support/eapol-test.ts';
import { startFreeRadius, type FreeRadiusInstance } from '../../peers/freeradius.ts';
import { runRadclient, runRadtest, sendStatusServer } from '../../peers/radclient.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['freeradius', 'radclient', 'radtest', 'eapol_test']);

// RFC 2759 section 9.2 worked example: user "User", password "clientPass".
const RFC2759 = {
  user: 'User',
  password: 'clientPass',
  authenticatorChallenge: '5b5d7c7d7b3f2f3e3c2c602132262628',
  peerChallenge: '21402324255e262a28295f2b3a337c7e',
  ntResponse: '82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df',
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
};

const ALICE = { name: 'alice', password: 's3cret' };
// Quotes, backslash, space and non-ASCII exercise the users-file and radclient escaping. (No space in
// the name: the packaged filter_username policy rejects User-Names with whitespace.)
const AWKWARD = { name: 'bob"the"builder', password: 'p"a\\ss wörd' };

describe.skipIf(!tools.available)('FreeRADIUS real-peer harness', () => {
  let server: FreeRadiusInstance;

  beforeAll(async () => {
    server = await startFreeRadius({
      users: [
        {
          ...ALICE,
          replyAttributes: {
            'Reply-Message': 'welcome alice',
            'Session-Timeout': 3600,
            'Framed-IP-Address': '10.1.2.3',
            Class: ['0x0102', '0x0304'],
          },
        },
        { name: RFC2759.user, password: RFC2759.password },
        AWKWARD,
      ],
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('starts on loopback with its own ports and reports readiness in its logs', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.authPort).toBeGreaterThan(0);
    expect(server.acctPort).toBeGreaterThan(0);
    expect(server.authPort).not.toBe(server.acctPort);
    expect(server.logs()).toContain('Ready to process requests');
  });

  it('accepts PAP with the right password and returns the configured reply attributes', async () => {
    const result = await runRadclient({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      command: 'auth',
      attributes: { 'User-Name': ALICE.name, 'User-Password': ALICE.password },
    });
    expect(result.code).toBe('Access-Accept');
    expect(result.exitCode).toBe(0);
    expect(result.attributes['Reply-Message']).toEqual(['welcome alice']);
    expect(result.attributes['Session-Timeout']).toEqual(['3600']);
    expect(result.attributes['Framed-IP-Address']).toEqual(['10.1.2.3']);
    expect(result.attributes.Class).toEqual(['0x0102', '0x0304']);
  });

  it('rejects PAP with a wrong password, without the packaged 1 s reject delay', async () => {
    const result = await runRadclient({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      command: 'auth',
      attributes: { 'User-Name': ALICE.name, 'User-Password': 'wrong' },
      // With the packaged reject_delay = 1, the reject would arrive after radclient gave up.
      timeoutSeconds: 0.9,
      tries: 1,
    });
    expect(result.code).toBe('Access-Reject');
    // radclient exits 1 when the reply is not an Access-Accept.
    expect(result.exitCode).toBe(1);
    expect(server.logs()).toContain('Login incorrect');
  });

  it('escapes awkward user names and passwords correctly in both directions', async () => {
    const result = await runRadclient({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      command: 'auth',
      attributes: { 'User-Name': AWKWARD.name, 'User-Password': AWKWARD.password },
    });
    expect(result.code).toBe('Access-Accept');
  });

  it('accepts CHAP and MS-CHAP v1 through radtest', async () => {
    const peer = { host: server.host, port: server.authPort, secret: server.secret };
    const chap = await runRadtest({ ...peer, method: 'chap', user: ALICE.name, password: ALICE.password });
    expect(chap.code).toBe('Access-Accept');
    const mschap = await runRadtest({
      ...peer,
      method: 'mschap',
      user: ALICE.name,
      password: ALICE.password,
    });
    expect(mschap.code).toBe('Access-Accept');
    expect(mschap.attributes['MS-CHAP-MPPE-Keys']?.[0]).toMatch(/^0x[0-9a-f]{48}$/);
    const wrong = await runRadtest({ ...peer, method: 'chap', user: ALICE.name, password: 'nope' });
    expect(wrong.code).toBe('Access-Reject');
  });

  it('verifies MS-CHAPv2 attribute lines supplied by the caller (RFC 2759 section 9.2 vector)', async () => {
    // MS-CHAP2-Response (RFC 2548 section 2.3.2): Ident, Flags, Peer-Challenge, 8 reserved zeros, NT-Response.
    const response = `0x01${'00'}${RFC2759.peerChallenge}${'00'.repeat(8)}${RFC2759.ntResponse}`;
    const result = await runRadclient({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      command: 'auth',
      attributes: [
        `User-Name = "${RFC2759.user}"`,
        `MS-CHAP-Challenge = 0x${RFC2759.authenticatorChallenge}`,
        `MS-CHAP2-Response = ${response}`,
        'Message-Authenticator = 0x00',
      ],
    });
    expect(result.code).toBe('Access-Accept');
    const success = result.attributes['MS-CHAP2-Success']?.[0] ?? '';
    // MS-CHAP2-Success = Ident (echoed) + "S=<authenticator response>" (RFC 2548 section 2.3.3).
    expect(Buffer.from(success.slice(2), 'hex').subarray(1).toString('latin1')).toBe(
      RFC2759.authenticatorResponse,
    );
    expect(result.attributes['MS-MPPE-Send-Key']).toHaveLength(1);
    expect(result.attributes['MS-MPPE-Recv-Key']).toHaveLength(1);
  });

  it('answers Status-Server on the auth port (RFC 5997)', async () => {
    const result = await sendStatusServer({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
    });
    expect(result.code).toBe('Access-Accept');
    if (server.ipv6Host !== undefined) {
      const overIpv6 = await sendStatusServer({
        host: server.ipv6Host,
        port: server.authPort,
        secret: server.secret,
      });
      expect(overIpv6.code).toBe('Access-Accept');
    }
  });

  it('answers Accounting-Request on the acct port (RFC 2866)', async () => {
    const result = await runRadclient({
      host: server.host,
      port: server.acctPort,
      secret: server.secret,
      command: 'acct',
      attributes: {
        'User-Name': ALICE.name,
        'Acct-Status-Type': 'Start',
        'Acct-Session-Id': 'harness-0001',
        'NAS-IP-Address': '127.0.0.1',
      },
    });
    expect(result.code).toBe('Accounting-Response');
  });

  it("surfaces a reply signed with another secret as no reply plus radclient's verification error", async () => {
    const result = await runRadclient({
      host: server.host,
      port: server.authPort,
      secret: 'not-the-secret',
      command: 'auth',
      attributes: { 'User-Name': ALICE.name, 'User-Password': ALICE.password },
      timeoutSeconds: 0.3,
    });
    // The server answers with its own secret; radclient refuses the Response Authenticator (RFC 2865 section 3).
    expect(result.code).toBe('no-reply');
    expect(result.replies).toHaveLength(0);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('invalid Response Authenticator');
  });

  it('completes EAP-MD5 with eapol_test', async () => {
    const peer = { host: server.host, port: server.authPort, secret: server.secret };
    const ok = await runEapolTest({ ...peer, method: 'md5', identity: ALICE.name, password: ALICE.password });
    expect(ok.success, ok.output.slice(-2000)).toBe(true);
    expect(ok.msk).toBeUndefined();
    const bad = await runEapolTest({ ...peer, method: 'md5', identity: ALICE.name, password: 'wrong' });
    expect(bad.success).toBe(false);
    expect(bad.timedOut).toBe(false);
  });

  it('completes bare EAP-MSCHAPv2 with eapol_test and agrees with the server on the keys', async () => {
    const result = await runEapolTest({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      method: 'mschapv2',
      identity: ALICE.name,
      password: ALICE.password,
    });
    expect(result.success, result.output.slice(-2000)).toBe(true);
    expect(result.msk).toMatch(/^[0-9a-f]{64}$/);
    expect(result.mppeKeysMatched).toBe(true);
    // RFC 3079: the MSK is MasterReceiveKey | MasterSendKey as the server sends them in MPPE attributes.
    expect(result.msk).toBe(`${result.mppeRecvKey}${result.mppeSendKey}`);
  });

  it('completes PEAP/EAP-MSCHAPv2 with eapol_test', async () => {
    const result = await runEapolTest({
      host: server.host,
      port: server.authPort,
      secret: server.secret,
      method: 'peap-mschapv2',
      identity: ALICE.name,
      anonymousIdentity: 'anonymous',
      password: ALICE.password,
    });
    expect(result.success, result.output.slice(-2000)).toBe(true);
    expect(result.msk).toMatch(/^[0-9a-f]{128}$/);
    expect(result.mppeKeysMatched).toBe(true);
  });
});
