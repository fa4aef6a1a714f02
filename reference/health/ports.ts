// Whether the ports `radmfa serve` binds are free: bound and released at once, the way serve's own
// preflight does. A port that is taken is asked about on the admin port: a radmfa serving this
// configuration answers /health with its pid and the endpoints it holds, so "already bound by a
// running radmfa" is told apart from "in use by another program" (a packaged FreeRADIUS on 1812).
import { createSocket } from 'node:dgram';
import { createServer, isIP } from 'node:net';
import type { Clock } from '../../runtime/clock.ts';
import type { Endpoint } from '../../runtime/transport.ts';
import type { Issue } from '../../runtime/validation/index.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { fail, pass, type HealthRow } from './rows.ts';

const FREERADIUS_NOTE = 'on 1812/1813 it is often a packaged FreeRADIUS (sudo systemctl stop freeradius)';
/** NPS answers on the legacy pair too (listen.legacyPorts). */
const LEGACY_PORTS = { auth: 1645, acct: 1646 } as const;
const IDENTIFY_TIMEOUT_MS = 2_000;

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The issue for a socket that could not be bound: in use, not allowed, or an address not here. */
export function bindIssue(path: string, host: string, port: number, error: unknown, flag: string): Issue {
  switch (errnoOf(error)) {
    case 'EADDRINUSE':
      return {
        path,
        message: `${hostPort(host, port)} is in use by another program`,
        fix: `stop that program or choose another port (${flag} N, 0 for any free one); ${FREERADIUS_NOTE}`,
      };
    case 'EACCES':
      return {
        path,
        message: `not allowed to bind ${hostPort(host, port)}`,
        fix: `use a port above 1023 (${flag} N) or run with the privilege to bind it`,
      };
    case 'EADDRNOTAVAIL':
      return {
        path: 'listen.hosts',
        message: `${host} is not an address of this machine`,
        fix: 'listen on an address this machine has (127.0.0.1, ::1, or an interface address)',
      };
    default:
      return {
        path,
        message: `cannot bind ${hostPort(host, port)}: ${(error as Error).message}`,
        fix: `choose another address or port (${flag} N)`,
      };
  }
}

/** Binds and releases a UDP port; the bind error, or undefined when it was free. */
export function probeUdp(host: string, port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (error) => {
      socket.close();
      resolve(error);
    });
    socket.bind(port, host, () => socket.close(() => resolve(undefined)));
  });
}

/** Listens on and releases a TCP port; the listen error, or undefined when it was free. */
export function probeTcp(host: string, port: number): Promise<unknown> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', resolve);
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

/** One port serve would bind. */
export interface PortToBind {
  readonly path: string;
  readonly flag: string;
  readonly protocol: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

/** Every fixed port this configuration binds (0 = any free one is never busy). */
export function portsToBind(config: ServerConfig): PortToBind[] {
  const { listen, admin } = config;
  const ports: PortToBind[] = [];
  for (const host of listen.hosts) {
    ports.push(
      { path: 'listen.authPort', flag: '--auth-port', protocol: 'udp', host, port: listen.authPort },
      { path: 'listen.acctPort', flag: '--acct-port', protocol: 'udp', host, port: listen.acctPort },
    );
    if (listen.legacyPorts) {
      ports.push(
        { path: 'listen.legacyPorts', flag: '--auth-port', protocol: 'udp', host, port: LEGACY_PORTS.auth },
        { path: 'listen.legacyPorts', flag: '--acct-port', protocol: 'udp', host, port: LEGACY_PORTS.acct },
      );
    }
  }
  if (admin !== undefined) {
    ports.push({ path: 'admin.port', flag: '--admin-port', protocol: 'tcp', ...admin });
  }
  return ports.filter((p) => p.port !== 0);
}

/** What a running radmfa says about itself on /health (cli/observability.ts). */
export interface RunningRadmfa {
  readonly pid: number;
  readonly admin: string;
  readonly endpoints: readonly Endpoint[];
}

function endpointsOf(value: unknown): Endpoint[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is Endpoint =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as Endpoint).address === 'string' &&
      typeof (e as Endpoint).port === 'number',
  );
}

/** The radmfa answering on the configured admin port, if one does. */
export async function findRunningRadmfa(
  config: ServerConfig,
  clock: Clock,
): Promise<RunningRadmfa | undefined> {
  const admin = config.admin;
  if (admin === undefined || admin.port === 0) return undefined;
  const url = `http://${hostPort(admin.host, admin.port)}/health`;
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), IDENTIFY_TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: controller.signal });
    const body = (await response.json()) as Record<string, unknown>;
    if (body.service !== 'radmfa' || typeof body.pid !== 'number') return undefined;
    return {
      pid: body.pid,
      admin: hostPort(admin.host, admin.port),
      endpoints: [
        ...endpointsOf(body.auth),
        ...endpointsOf(body.acct),
        { address: admin.host, port: admin.port },
      ],
    };
  } catch {
    return undefined;
  } finally {
    clock.clearTimeout(timer);
  }
}

function heldBy(running: RunningRadmfa | undefined, port: PortToBind): boolean {
  return running?.endpoints.some((e) => e.port === port.port && e.address === port.host) ?? false;
}

const describePort = (p: PortToBind): string => `${hostPort(p.host, p.port)}/${p.protocol}`;

/** The radius-ports row: every port free, or held by the radmfa serving this configuration. */
export async function checkPorts(config: ServerConfig, clock: Clock): Promise<HealthRow> {
  const ports = portsToBind(config);
  const probed = await Promise.all(
    ports.map(async (p) => ({
      port: p,
      error: await (p.protocol === 'udp' ? probeUdp(p.host, p.port) : probeTcp(p.host, p.port)),
    })),
  );
  const busy = probed.filter((p) => p.error !== undefined);
  if (busy.length === 0) {
    const list = ports.map(describePort).join(', ');
    return pass(
      'radius-ports',
      ports.length === 0 ? 'every port is chosen at start-up (0)' : `free: ${list}`,
    );
  }
  const inUse = busy.filter((p) => errnoOf(p.error) === 'EADDRINUSE');
  const running = inUse.length > 0 ? await findRunningRadmfa(config, clock) : undefined;
  const foreign = busy.filter((p) => !heldBy(running, p.port) || errnoOf(p.error) !== 'EADDRINUSE');
  if (foreign.length === 0 && running !== undefined) {
    return pass(
      'radius-ports',
      `bound by a running radmfa (pid ${running.pid}, admin ${running.admin}): ${busy.map((p) => describePort(p.port)).join(', ')}`,
    );
  }
  const issues = foreign.map((p) => bindIssue(p.port.path, p.port.host, p.port.port, p.error, p.port.flag));
  return fail(
    'radius-ports',
    issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    [...new Set(issues.map((i) => i.fix))].join('; '),
  );
}
