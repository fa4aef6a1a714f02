// `radmfa nas` as a first-time user meets it (issue 13, items 1-4 and 6): the documented default
// profile, Status-Server against the accounting port, --attr checked and replacing the NAS's own
// attributes, and failures that say what to check next. Real UDP on loopback against the reference
// server (the embedded default on ephemeral ports) or a socket that only listens.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { createCliNas, nasCommand, type NasArgs } from '../../cli/nas.ts';
import { startStack, type Stack } from '../../scenarios/embedded/compose.ts';
import { decodePacket, decodeAttributes } from '../../protocol/index.ts';
import { SystemClock, VirtualClock } from '../../runtime/clock.ts';
import { MemoryNetwork } from '../../runtime/memory-transport.ts';
import { nasProfiles } from '../../simulators/nas/index.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { embeddedTestConfig } from '../support/mfa-stack.ts';
import { startFakeServer, type FakeServer } from '../simulators/nas/support/fake-server.ts';
import { captureIo, type CapturedIo } from '../support/command-io.ts';

const capture = (): CapturedIo => captureIo();

async function argsOf(argv: readonly string[]): Promise<NasArgs> {
  const parsed = await nasCommand.parse(argv);
  if (parsed.help || !parsed.ok) throw new Error(`did not parse: ${JSON.stringify(parsed)}`);
  return parsed.args;
}

const login = ['--server', '127.0.0.1', '--secret', 'testing123', '--user', 'u', '--password', 'p'];

describe('radmfa nas: the retry profile', () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork(clock);

  it('without --profile is rfc5080, as the README and --help say', async () => {
    const nas = createCliNas(await argsOf(login), network, clock);
    try {
      expect(nas.profile.name).toBe('rfc5080');
      expect(nas.policy).toEqual(nasProfiles.rfc5080.policy);
    } finally {
      await nas.close();
    }
  });

  it('--naive alone keeps rfc5080 timing; --timeout/--retries alone make a fixed custom policy', async () => {
    const naive = createCliNas(await argsOf([...login, '--naive']), network, clock);
    const fixed = createCliNas(await argsOf([...login, '--timeout', '2', '--retries', '1']), network, clock);
    const vendor = createCliNas(await argsOf([...login, '--profile', 'fortigate']), network, clock);
    try {
      expect(naive.profile.name).toBe('rfc5080');
      expect(naive.policy).toEqual({ ...nasProfiles.rfc5080.policy, retransmission: 'naive' });
      expect(fixed.profile.name).toBe('custom');
      expect(fixed.policy).toMatchObject({ kind: 'fixed', timeoutMs: 2000, retries: 1 });
      expect(vendor.profile.name).toBe('fortigate');
      expect(vendor.policy).toEqual(nasProfiles.fortigate.policy);
    } finally {
      await Promise.all([naive.close(), fixed.close(), vendor.close()]);
    }
  });
});

describe('radmfa nas: --attr', () => {
  it('an unknown attribute name is a usage error (exit 104) naming --attr and the fix', async () => {
    const io = capture();
    const code = await main(
      ['nas', ...login, '--attr', 'Calling-Station=10.1.2.3', '--attr', 'NAS-Port=x'],
      io,
    );
    expect(code).toBe(104);
    expect(io.stderr()).toMatch(
      /- --attr: "Calling-Station" is not an attribute radmfa's dictionary knows\. Fix: use a dictionary name/,
    );
    expect(io.stderr()).toMatch(/- --attr: "x" is not a valid integer value for NAS-Port.*Fix: /);
    expect(io.stderr()).not.toMatch(/request-build-failed/);
  });

  it('an attribute the login sets itself is refused with the flag that sets it', async () => {
    const parsed = await nasCommand.parse([...login, '--attr', 'User-Name=bob']);
    const issues = parsed.help === false && !parsed.ok ? parsed.issues : [];
    expect(issues.map((i) => [i.path, i.message])).toEqual([['--attr', 'User-Name is set by --user']]);
    expect(issues[0]?.fix).toMatch(/use --user/);
  });

  it('a single-valued attribute given twice, or by both --attr and --nas-ip, is refused', async () => {
    const parsed = await nasCommand.parse([
      ...login,
      ...['--attr', 'NAS-Port-Type=Virtual', '--attr', 'NAS-Port-Type=Ethernet'],
      ...['--attr', 'NAS-IP-Address=10.0.0.1', '--nas-ip', '10.0.0.2'],
    ]);
    const issues = parsed.help === false && !parsed.ok ? parsed.issues : [];
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['--attr', 'NAS-Port-Type is given more than once'],
      ['--nas-ip', 'and --attr NAS-IP-Address both set NAS-IP-Address'],
    ]);
  });

  describe('against a socket that records and never answers', () => {
    let listener: Socket;
    const received: Buffer[] = [];
    let port = 0;

    beforeAll(async () => {
      listener = createSocket('udp4');
      listener.on('message', (data) => received.push(Buffer.from(data)));
      await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', () => resolve()));
      port = listener.address().port;
    });

    afterAll(() => {
      listener.close();
    });

    it('NAS-Port-Type and NAS-Identifier given with --attr replace the NAS own, and the rest are added', async () => {
      received.length = 0;
      const io = capture();
      const code = await main(
        [
          'nas',
          ...login.map((a) => (a === '127.0.0.1' ? `127.0.0.1:${port}` : a)),
          '--timeout',
          '0.2',
          '--retries',
          '0',
          '--attr',
          'NAS-Port-Type=Ethernet',
          '--attr',
          'nas-identifier=vpn-7',
          '--attr',
          'Calling-Station-Id=10.1.2.3',
        ],
        io,
      );
      expect(code).toBe(2);
      const [datagram] = received;
      if (datagram === undefined) throw new Error('nothing was sent');
      const packet = decodePacket(datagram);
      if (!packet.ok) throw new Error(packet.message);
      const attributes = decodeAttributes(packet.value.attributes, {
        secret: 'testing123',
        requestAuthenticator: packet.value.authenticator,
      });
      const valuesOf = (name: string): unknown[] =>
        attributes.filter((a) => a.name === name).map((a) => a.value);
      expect(valuesOf('NAS-Port-Type')).toEqual([15]); // Ethernet (RFC 2865 5.41)
      expect(valuesOf('NAS-Identifier')).toEqual(['vpn-7']);
      expect(valuesOf('Calling-Station-Id')).toEqual(['10.1.2.3']);
    });

    it('no answer: says what to check, in order (server up at HOST:PORT, the secret, the client table)', async () => {
      const io = capture();
      const code = await main(
        [
          'nas',
          ...['--server', `127.0.0.1:${port}`, '--secret', 'Xy-s3cret-value', '--status'],
          ...['--timeout', '0.2', '--retries', '0'],
        ],
        io,
      );
      expect(code).toBe(2);
      const hints = io.stderr();
      const up = hints.indexOf(`listening at 127.0.0.1:${port}`);
      const secret = hints.indexOf('shared secret (--secret)');
      const client = hints.indexOf('this address is a client of the server');
      expect(up).toBeGreaterThan(-1);
      expect(secret).toBeGreaterThan(up);
      expect(client).toBeGreaterThan(secret);
      expect(hints).toMatch(/drops a\s+request with a wrong secret/);
      expect(hints).toMatch(/radmfa serve logs it/);
      expect(io.stdout() + hints).not.toContain('Xy-s3cret-value');
    });
  });
});

describe('radmfa nas against the reference server', () => {
  let stack: Stack;
  const clock = new SystemClock();

  beforeAll(async () => {
    stack = await startStack(embeddedTestConfig(), { clock });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const endpoint = (kind: 'auth' | 'acct'): string => {
    const [first] = stack.server.endpoints(kind);
    if (first === undefined) throw new Error(`no ${kind} socket`);
    return `${first.address}:${first.port}`;
  };

  it('--status at the accounting port: the Accounting-Response is the answer (RFC 5997 3), exit 0', async () => {
    const io = capture();
    const code = await main(['nas', '--server', endpoint('acct'), '--secret', 'testing123', '--status'], io);
    expect(io.stdout()).toMatch(/^Status-Server: ok \(Accounting-Response\) in \d+ ms$/m);
    expect(code).toBe(0);
  });

  it('--status at the authentication port still answers Access-Accept', async () => {
    const io = capture();
    const code = await main(['nas', '--server', endpoint('auth'), '--secret', 'testing123', '--status'], io);
    expect(io.stdout()).toMatch(/^Status-Server: ok \(Access-Accept\)/m);
    expect(code).toBe(0);
  });

  it('--status --trace prints the packet trace', async () => {
    const io = capture();
    const code = await main(
      ['nas', '--server', endpoint('acct'), '--secret', 'testing123', '--status', '--trace'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/^\+0 ms send Status-Server id=\d+ /m);
    expect(io.stdout()).toMatch(/^\+\d+ ms reply Accounting-Response id=\d+ after \d+ ms/m);
  });

  it('an SMS code prompt without a terminal and without --otp says to pass --otp and where the SMS outbox is', async () => {
    const io = capture();
    const code = await main(
      [
        'nas',
        '--server',
        endpoint('auth'),
        '--secret',
        'testing123',
        '--user',
        'erin',
        '--password',
        'Passw0rd!',
      ],
      io,
    );
    expect(code).not.toBe(0);
    expect(io.stdout()).toMatch(/challenge-unanswered/);
    expect(io.stderr()).toMatch(/there is no terminal to type it at/);
    expect(io.stderr()).toMatch(/pass it with --otp CODE/);
    expect(io.stderr()).toMatch(/An SMS code .* exists only once the server has sent it/);
    expect(io.stderr()).toMatch(/GET \/_admin\/sms\?user=erin@radmfa\.test/);
  });
});

describe('radmfa nas: MPPE keys that do not match the password are not a working login', () => {
  // A NAS that cannot derive the same keys cannot bring up the encrypted tunnel (RFC 3079 3), so an
  // Access-Accept is not enough for exit 0.
  const clock = new SystemClock();
  const transport = new UdpTransport();
  const servers: FakeServer[] = [];

  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  async function loginAgainst(wrongMppeKeys: boolean, method: string) {
    const server = await startFakeServer({
      transport,
      clock,
      secret: 'testing123',
      users: { alice: { password: 'Passw0rd!' } },
      wrongMppeKeys,
    });
    servers.push(server);
    const io = capture();
    const where = `${server.endpoint.address}:${server.endpoint.port}`;
    const argv = [
      'nas',
      '--server',
      where,
      '--secret',
      'testing123',
      '--user',
      'alice',
      '--password',
      'Passw0rd!',
    ];
    const code = await main([...argv, '--method', method, '--timeout', '5', '--retries', '0'], io);
    return { code, io };
  }

  for (const method of ['mschapv2', 'eap-mschapv2']) {
    it(`${method}: mismatched keys exit 1 and say so; matching keys exit 0`, async () => {
      const wrong = await loginAgainst(true, method);
      expect(wrong.io.stdout()).toMatch(/^Access-Accept from /m);
      expect(wrong.code).toBe(1);
      expect(wrong.io.stderr()).toMatch(/MPPE keys do not match/);
      expect(wrong.io.stderr()).toMatch(/MS-MPPE-Send-Key/);

      const right = await loginAgainst(false, method);
      expect(right.code, right.io.stderr()).toBe(0);
      expect(right.io.stderr()).not.toMatch(/MPPE/);
    });
  }

  it('--json: the same exit 1, the JSON says matchesExpected false, the message goes to stderr', async () => {
    const server = await startFakeServer({
      transport,
      clock,
      secret: 'testing123',
      users: { alice: { password: 'Passw0rd!' } },
      wrongMppeKeys: true,
    });
    servers.push(server);
    const io = capture();
    const where = `${server.endpoint.address}:${server.endpoint.port}`;
    const code = await main(
      [
        'nas',
        '--server',
        where,
        '--secret',
        'testing123',
        '--user',
        'alice',
        '--password',
        'Passw0rd!',
      ].concat(['--method', 'mschapv2', '--json']),
      io,
    );
    expect(code).toBe(1);
    const json = JSON.parse(io.stdout()) as { outcome: string; mppeKeys?: { matchesExpected?: boolean } };
    expect(json.outcome).toBe('accept');
    expect(json.mppeKeys?.matchesExpected).toBe(false);
    expect(io.stderr()).toMatch(/MPPE keys do not match/);
  });
});
