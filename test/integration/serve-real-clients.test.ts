// `radmfa serve` (the spawned command, with the LDAP stub and the demo directory) against the real
// RADIUS clients of FreeRADIUS and wpa_supplicant: radtest, radclient and eapol_test. What they
// accept, the server got right by someone else's reading of the RFCs, not only by our own codec's.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkAuthenticatorResponse,
  msChapV2MppeKeys,
  parseMsChap2Success,
  parseMsChapError,
} from '../../protocol/auth/index.ts';
import {
  MESSAGE_AUTHENTICATOR_TYPE,
  PacketCode,
  applyMutation,
  decodePacket,
  verifyResponse,
} from '../../protocol/index.ts';
import { AcctStatusType, openAccountingStore } from '../../reference/accounting/index.ts';
import type { DatagramSocket, Endpoint } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { runEapolTest } from '../support/eapol-test.ts';
import { runRadclient, runRadtest, sendStatusServer, type RadclientResult } from '../../peers/radclient.ts';
import {
  SERVE_SECRET,
  makeServeWorkDir,
  msChapV2Attempt,
  radclientOctets,
  serveTestConfig,
  startServe,
  type ServeExit,
  type ServeProcess,
} from '../../peers/serve-process.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['radclient', 'radtest', 'eapol_test']);

const PASSWORD = 'Passw0rd!';
const WRONG_PASSWORD = 'Wr0ng-Guess-77';

function describeRun(result: RadclientResult): string {
  return `exit ${result.exitCode}\n${result.stdout}\n${result.stderr}`;
}

/**
 * A loopback UDP relay between radclient and the server that keeps every datagram, so the bytes
 * radclient received can be read with our codec (radclient -x prints attributes, never raw bytes).
 * `mutateReply` damages replies on their way back, to show radclient checks what we check.
 */
interface Relay {
  readonly endpoint: Endpoint;
  readonly requests: Buffer[];
  readonly replies: Buffer[];
  close(): Promise<void>;
}

async function startRelay(target: Endpoint, mutateReply?: (reply: Buffer) => Buffer): Promise<Relay> {
  const transport = new UdpTransport();
  const front: DatagramSocket = await transport.bind({ address: '127.0.0.1', port: 0 });
  const back: DatagramSocket = await transport.bind({ address: '127.0.0.1', port: 0 });
  const requests: Buffer[] = [];
  const replies: Buffer[] = [];
  // One radclient at a time goes through a relay, so the last sender is the one to answer.
  let client: Endpoint | undefined;
  front.onMessage((data, from) => {
    client = from;
    requests.push(Buffer.from(data));
    void back.send(data, target);
  });
  back.onMessage((data) => {
    replies.push(Buffer.from(data));
    if (client !== undefined) void front.send(mutateReply ? mutateReply(data) : data, client);
  });
  return {
    endpoint: front.local,
    requests,
    replies,
    close: async () => {
      await front.close();
      await back.close();
    },
  };
}

describe.skipIf(!tools.available)('radmfa serve against radtest, radclient and eapol_test', () => {
  let workDir: string;
  let serve: ServeProcess;
  let stoppedWith: ServeExit | undefined;
  const peer = (): { host: string; port: number; secret: string } => ({
    host: serve.auth.address,
    port: serve.auth.port,
    secret: SERVE_SECRET,
  });

  beforeAll(async () => {
    workDir = makeServeWorkDir();
    serve = await startServe({
      workDir,
      config: serveTestConfig(workDir, {
        policy: {
          rules: [
            {
              name: 'vpn-users',
              when: { group: 'VPN-Users' },
              reply: [
                { name: 'Class', value: 'vpn-users' },
                { name: 'Session-Timeout', value: 3600 },
              ],
            },
          ],
          noMatch: 'deny',
        },
      }),
    });
  });

  afterAll(async () => {
    if (stoppedWith === undefined) await serve?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('prints where it listens: loopback, ephemeral ports, the stub directory, the accounting file', () => {
    expect(serve.auth.address).toBe('127.0.0.1');
    expect(serve.auth.port).toBeGreaterThan(0);
    expect(serve.acct.port).toBeGreaterThan(0);
    expect(serve.acct.port).not.toBe(serve.auth.port);
    expect(serve.started.directory).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
    expect(serve.started.accounting).toBe(`${workDir}/accounting.sqlite`);
    expect(serve.started.duplicates).toBe('nps');
  });

  it('radtest PAP, CHAP and MS-CHAP (v1): alice is accepted, a wrong password rejected', async () => {
    const methods = ['pap', 'chap', 'mschap'] as const;
    const runs = await Promise.all(
      methods.flatMap((method) => [
        runRadtest({ ...peer(), method, user: 'alice', password: PASSWORD, timeoutMs: 15_000 }),
        runRadtest({ ...peer(), method, user: 'alice', password: WRONG_PASSWORD, timeoutMs: 15_000 }),
      ]),
    );
    methods.forEach((method, i) => {
      const accept = runs[2 * i];
      const reject = runs[2 * i + 1];
      if (accept === undefined || reject === undefined) throw new Error('missing run');
      expect(accept.code, `${method} accept: ${describeRun(accept)}`).toBe('Access-Accept');
      expect(accept.exitCode).toBe(0);
      // The network policy's reply attributes come back through radtest's dictionary.
      expect(accept.attributes.Class).toEqual(['0x76706e2d7573657273']);
      expect(accept.attributes['Session-Timeout']).toEqual(['3600']);
      expect(reject.code, `${method} reject: ${describeRun(reject)}`).toBe('Access-Reject');
    });
  });

  it('MS-CHAPv2 from radclient attribute lines: accepted, MS-CHAP2-Success and MPPE keys check out', async () => {
    const attempt = msChapV2Attempt('alice', PASSWORD, 0x2a);
    const { ntHash, ntResponse, peerChallenge, authChallenge } = attempt;
    const result = await runRadclient({ ...peer(), command: 'auth', attributes: attempt.lines });
    expect(result.code, describeRun(result)).toBe('Access-Accept');
    const success = parseMsChap2Success(radclientOctets(result.attributes['MS-CHAP2-Success']?.[0]));
    if (!success.ok) throw new Error(success.message);
    expect(success.value.ident).toBe(0x2a);
    expect(
      checkAuthenticatorResponse(
        ntHash,
        ntResponse,
        peerChallenge,
        authChallenge,
        'alice',
        success.value.authenticatorResponse,
      ),
    ).toBe(true);
    expect(success.value.authenticatorResponse).toBe(attempt.expectedAuthenticatorResponse);
    // radclient decrypts the salted MPPE keys with the shared secret (RFC 2548 2.4.2).
    const keys = msChapV2MppeKeys(ntHash, ntResponse);
    expect(radclientOctets(result.attributes['MS-MPPE-Send-Key']?.[0])).toEqual(keys.sendKey);
    expect(radclientOctets(result.attributes['MS-MPPE-Recv-Key']?.[0])).toEqual(keys.recvKey);

    const rejected = await runRadclient({
      ...peer(),
      command: 'auth',
      attributes: msChapV2Attempt('alice', WRONG_PASSWORD, 3).lines,
    });
    expect(rejected.code, describeRun(rejected)).toBe('Access-Reject');
    const error = parseMsChapError(radclientOctets(rejected.attributes['MS-CHAP-Error']?.[0]));
    if (!error.ok) throw new Error(error.message);
    expect(error.value).toMatchObject({ ident: 3, errorCode: 691, retry: false });
  });

  it('puts Message-Authenticator first in every reply, verifying with the secret', async () => {
    // radclient in FreeRADIUS 3.2.1 has no -b (require Message-Authenticator in replies): instead
    // a relay keeps the datagrams radclient received, and our codec reads them.
    const relay = await startRelay(serve.auth);
    try {
      const plain = await runRadclient({
        host: relay.endpoint.address,
        port: relay.endpoint.port,
        secret: SERVE_SECRET,
        command: 'auth',
        attributes: { 'User-Name': 'alice', 'User-Password': PASSWORD },
      });
      // The request carried no Message-Authenticator; the reply has one all the same.
      expect(plain.code, describeRun(plain)).toBe('Access-Accept');
      expect(plain.attributes['Message-Authenticator']?.[0]).toMatch(/^0x[0-9a-f]{32}$/);
      // With Message-Authenticator = 0x00 radclient signs the request and checks the reply's.
      const signed = await runRadclient({
        host: relay.endpoint.address,
        port: relay.endpoint.port,
        secret: SERVE_SECRET,
        command: 'auth',
        attributes: ['User-Name = "alice"', `User-Password = "${PASSWORD}"`, 'Message-Authenticator = 0x00'],
      });
      expect(signed.code, describeRun(signed)).toBe('Access-Accept');
      expect(signed.exitCode).toBe(0);
      const rejected = await runRadclient({
        host: relay.endpoint.address,
        port: relay.endpoint.port,
        secret: SERVE_SECRET,
        command: 'auth',
        attributes: { 'User-Name': 'alice', 'User-Password': WRONG_PASSWORD },
      });
      expect(rejected.code).toBe('Access-Reject');
      expect(relay.replies).toHaveLength(3);
      const carriesMessageAuthenticator = relay.requests.map((bytes) => {
        const request = decodePacket(bytes);
        return request.ok && request.value.attributes.some((a) => a.type === MESSAGE_AUTHENTICATOR_TYPE);
      });
      expect(carriesMessageAuthenticator).toEqual([false, true, false]);
      relay.replies.forEach((reply, i) => {
        const request = decodePacket(relay.requests[i] ?? Buffer.alloc(0));
        const decoded = decodePacket(reply);
        if (!request.ok || !decoded.ok) throw new Error('relay kept an undecodable datagram');
        expect(decoded.value.attributes[0]?.type).toBe(MESSAGE_AUTHENTICATOR_TYPE);
        expect(
          verifyResponse(reply, decoded.value, request.value.authenticator, SERVE_SECRET, {
            requireMessageAuthenticator: true,
          }).ok,
        ).toBe(true);
        expect(verifyResponse(reply, decoded.value, request.value.authenticator, 'not-the-secret').ok).toBe(
          false,
        );
      });
      expect(relay.replies.map((reply) => reply[0])).toEqual([
        PacketCode.AccessAccept,
        PacketCode.AccessAccept,
        PacketCode.AccessReject,
      ]);
    } finally {
      await relay.close();
    }
  });

  it('radclient discards a reply whose Message-Authenticator was damaged: it really checks it', async () => {
    const relay = await startRelay(serve.auth, (reply) =>
      applyMutation(reply, { kind: 'flip-message-authenticator-bit' }),
    );
    try {
      const result = await runRadclient({
        host: relay.endpoint.address,
        port: relay.endpoint.port,
        secret: SERVE_SECRET,
        command: 'auth',
        timeoutSeconds: 1,
        attributes: ['User-Name = "alice"', `User-Password = "${PASSWORD}"`, 'Message-Authenticator = 0x00'],
      });
      expect(relay.replies.length).toBeGreaterThanOrEqual(1);
      expect(result.code, describeRun(result)).toBe('no-reply');
      expect(result.exitCode).not.toBe(0);
    } finally {
      await relay.close();
    }
  });

  it('eapol_test EAP-MD5 (-n) and EAP-MSCHAPv2 succeed, MSCHAPv2 with matching MPPE keys', async () => {
    const [md5, mschapv2] = await Promise.all([
      runEapolTest({ ...peer(), method: 'md5', identity: 'alice', password: PASSWORD, timeoutSeconds: 8 }),
      runEapolTest({
        ...peer(),
        method: 'mschapv2',
        identity: 'alice',
        password: PASSWORD,
        timeoutSeconds: 8,
      }),
    ]);
    expect(md5.success, md5.output.slice(-3000)).toBe(true);
    expect(mschapv2.success, mschapv2.output.slice(-3000)).toBe(true);
    expect(mschapv2.mppeKeysMatched).toBe(true);
    expect(mschapv2.mppeSendKey).toMatch(/^[0-9a-f]{32}$/);
    const wrong = await runEapolTest({
      ...peer(),
      method: 'mschapv2',
      identity: 'alice',
      password: WRONG_PASSWORD,
      timeoutSeconds: 5,
    });
    expect(wrong.success).toBe(false);
    expect(wrong.timedOut).toBe(false);
  });

  it('answers radclient Status-Server on the auth and the accounting port (RFC 5997)', async () => {
    const [onAuth, onAcct] = await Promise.all([
      sendStatusServer(peer()),
      sendStatusServer({ host: serve.acct.address, port: serve.acct.port, secret: SERVE_SECRET }),
    ]);
    expect(onAuth.code, describeRun(onAuth)).toBe('Access-Accept');
    expect(onAcct.code, describeRun(onAcct)).toBe('Accounting-Response');
  });

  it('acknowledges radclient Accounting Start and Stop', async () => {
    const acct = {
      host: serve.acct.address,
      port: serve.acct.port,
      secret: SERVE_SECRET,
      command: 'acct',
    } as const;
    const start = await runRadclient({
      ...acct,
      attributes: {
        'User-Name': 'alice',
        'Acct-Status-Type': 'Start',
        'Acct-Session-Id': 'serve-real-clients-1',
        'NAS-IP-Address': '127.0.0.1',
        'Framed-IP-Address': '10.9.8.7',
      },
    });
    expect(start.code, describeRun(start)).toBe('Accounting-Response');
    const stop = await runRadclient({
      ...acct,
      attributes: {
        'User-Name': 'alice',
        'Acct-Status-Type': 'Stop',
        'Acct-Session-Id': 'serve-real-clients-1',
        'NAS-IP-Address': '127.0.0.1',
        'Acct-Session-Time': 725,
        'Acct-Input-Octets': 123456,
        'Acct-Output-Octets': 654321,
        'Acct-Terminate-Cause': 'User-Request',
      },
    });
    expect(stop.code, describeRun(stop)).toBe('Accounting-Response');
  });

  it('rejects disabled, expired, locked and password-expired accounts, with the right password', async () => {
    const users = {
      grace: 'account-disabled',
      oscar: 'account-expired',
      mallory: 'account-locked',
      // PASSWORD_EXPIRED and pwdLastSet 0: "must change" wins (protocol/ad-account.ts).
      heidi: 'password-must-change',
    };
    const runs = await Promise.all(
      Object.keys(users).map((user) =>
        runRadclient({
          ...peer(),
          command: 'auth',
          attributes: { 'User-Name': user, 'User-Password': PASSWORD },
        }),
      ),
    );
    for (const run of runs) expect(run.code, describeRun(run)).toBe('Access-Reject');
    for (const [user, reason] of Object.entries(users)) {
      const line = await serve.waitForLog((e) => e.event === 'access' && e.userName === user);
      expect(line).toMatchObject({ outcome: 'reject', reason, method: 'pap' });
    }
  });

  it('serves /health and /metrics on the admin port', async () => {
    const admin = serve.admin;
    if (admin === undefined) throw new Error('no admin endpoint in the started line');
    const health = await fetch(`http://${admin.address}:${admin.port}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toContain('application/json');
    const body = (await health.json()) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.auth).toEqual([serve.auth]);
    const metrics = await fetch(`http://${admin.address}:${admin.port}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^radmfa_access_total\{outcome="accept",method="pap",reason="primary-ok"\} \d+$/m);
    expect(text).toMatch(
      /^radmfa_access_total\{outcome="reject",method="pap",reason="account-disabled"\} 1$/m,
    );
    expect(text).toMatch(/^radmfa_accounting_total\{result="stored"\} 2$/m);
    expect(text).toMatch(/^radmfa_status_server_total \d+$/m);
    const missing = await fetch(`http://${admin.address}:${admin.port}/nothing`);
    expect(missing.status).toBe(404);
  });

  it('after SIGTERM: exits 0, the accounting records are in SQLite, no log line holds a secret', async () => {
    stoppedWith = await serve.stop();
    expect(stoppedWith).toEqual({ code: 0, signal: null });
    const store = openAccountingStore(`${workDir}/accounting.sqlite`);
    try {
      const records = store.list({ sessionId: 'serve-real-clients-1' });
      expect(records.map((r) => r.statusType)).toEqual([AcctStatusType.Start, AcctStatusType.Stop]);
      expect(records[0]).toMatchObject({
        userName: 'alice',
        clientAddress: '127.0.0.1',
        framedIpAddress: '10.9.8.7',
      });
      expect(records[1]).toMatchObject({
        sessionTimeS: 725,
        inputOctets: 123456,
        outputOctets: 654321,
        terminateCause: 1,
      });
    } finally {
      store.close();
    }
    const stderr = serve.stderrLines().join('\n');
    expect(serve.logEvents().filter((e) => e.event === 'access').length).toBeGreaterThan(10);
    expect(stderr).not.toContain(PASSWORD);
    expect(stderr).not.toContain(WRONG_PASSWORD);
    expect(stderr).not.toContain(SERVE_SECRET);
  });
});
