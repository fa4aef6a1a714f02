// directory.static: the fixture in memory, no LDAP. The config names one directory kind; the
// server answers every demo account (active, disabled, expired password, locked, expired) over real
// UDP exactly as it does with the same fixture behind the embedded LDAP stub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseServerConfig, type ServerConfig } from '../../../reference/config/server-config.ts';
import { ServerEvents, type ServerEventMap } from '../../../reference/events.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import { formatIssues } from '../../../runtime/validation/index.ts';
import { createNas, type LoginMethod, type Nas } from '../../../simulators/nas/index.ts';
import { startStack, type Stack } from '../../../scenarios/embedded/compose.ts';
import { DEMO_DIRECTORY, SERVE_SECRET } from '../../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();

function config(directory: Record<string, unknown>): ServerConfig {
  const result = normaliseServerConfig({
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [{ address: '127.0.0.1', secret: SERVE_SECRET }],
    directory,
    accounting: { path: ':memory:' },
  });
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.config;
}

describe('directory.static in the config', () => {
  it('is accepted with a fixture, and the directory is static', () => {
    const directory = config({ static: { fixture: DEMO_DIRECTORY } }).directory;
    expect(directory.staticFixture).toBe(DEMO_DIRECTORY);
    expect(directory.url).toBeUndefined();
    expect(directory.embeddedFixture).toBeUndefined();
  });

  it('names every mistake at once: two kinds, a missing file, a pool with no LDAP', () => {
    const both = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { url: 'ldap://127.0.0.1:389', static: { fixture: '/nonexistent/users.yaml' } },
    });
    expect(both.ok).toBe(false);
    if (both.ok) return;
    const paths = both.issues.map((i) => `${i.path}: ${i.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'directory: names both a url and a static fixture',
        'directory.static.fixture: "/nonexistent/users.yaml" does not exist',
      ]),
    );
    const pooled = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { static: { fixture: DEMO_DIRECTORY }, pool: { maxBindConnections: 4 } },
    });
    expect(pooled.ok).toBe(false);
    if (pooled.ok) return;
    expect(pooled.issues.map((i) => i.path)).toEqual(['directory.pool']);
    expect(pooled.issues[0]?.fix).toBe('remove directory.pool');
  });
});

interface Running {
  readonly stack: Stack;
  readonly nas: Nas;
  readonly access: ServerEventMap['access'][];
}

async function start(directory: Record<string, unknown>): Promise<Running> {
  const events = new ServerEvents();
  const access: ServerEventMap['access'][] = [];
  events.on('access', (event) => access.push(event));
  const stack = await startStack(config(directory), { clock, transport, events });
  const [auth] = stack.server.endpoints('auth');
  if (auth === undefined) throw new Error('no auth socket');
  const nas = createNas({
    transport,
    clock,
    servers: [{ host: auth.address, port: auth.port, secret: SERVE_SECRET }],
    policy: { kind: 'fixed', timeoutMs: 2000, retries: 1, retransmission: 'same' },
  });
  return { stack, nas, access };
}

const cases: readonly { user: string; password: string; method: LoginMethod }[] = [
  { user: 'alice', password: 'Passw0rd!', method: 'pap' },
  { user: 'alice@radmfa.test', password: 'Passw0rd!', method: 'pap' },
  { user: 'RADMFA\\bob', password: 'Passw0rd!', method: 'pap' },
  { user: 'alice', password: 'wrong', method: 'pap' },
  { user: 'nobody', password: 'Passw0rd!', method: 'pap' },
  { user: 'grace', password: 'Passw0rd!', method: 'pap' },
  { user: 'heidi', password: 'Passw0rd!', method: 'pap' },
  { user: 'mallory', password: 'Passw0rd!', method: 'pap' },
  { user: 'oscar', password: 'Passw0rd!', method: 'pap' },
  { user: 'carol', password: 'Passw0rd!', method: 'mschapv2' },
  { user: 'carol', password: 'wrong', method: 'mschapv2' },
  { user: 'dave', password: 'Passw0rd!', method: 'chap' },
];

describe('directory.static over UDP answers as the LDAP stub does', () => {
  let inMemory: Running;
  let stub: Running;

  beforeAll(async () => {
    inMemory = await start({ static: { fixture: DEMO_DIRECTORY } });
    stub = await start({ embedded: { fixture: DEMO_DIRECTORY } });
  });

  afterAll(async () => {
    for (const running of [inMemory, stub]) {
      await running?.nas.close();
      await running?.stack.close();
    }
  });

  it('opens no LDAP: no stub, a static directory URL, no pool statistics', () => {
    expect(inMemory.stack.ldapStub).toBeUndefined();
    expect(inMemory.stack.directoryUrl).toBe(`static:${DEMO_DIRECTORY}`);
    expect('stats' in inMemory.stack.directory).toBe(false);
  });

  it('same outcome and reason for every account state and method', async () => {
    const outcomes = async (running: Running): Promise<string[]> => {
      const seen: string[] = [];
      for (const login of cases) {
        const before = running.access.length;
        const result = await running.nas.login(login);
        const reason = running.access
          .slice(before)
          .map((e) => e.reason)
          .join(',');
        seen.push(`${login.method} ${login.user}/${login.password}: ${result.outcome} ${reason}`);
      }
      return seen;
    };
    const fromMemory = await outcomes(inMemory);
    expect(fromMemory).toEqual(await outcomes(stub));
    // And the states are really told apart (not one reason for everything).
    expect(new Set(fromMemory.map((line) => line.split(': ')[1])).size).toBeGreaterThanOrEqual(6);
    expect(fromMemory[0]).toMatch(/: accept /);
  });
});
