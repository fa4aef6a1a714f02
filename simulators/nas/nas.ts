// The simulated NAS (VPN server as a RADIUS client): options in, validated all at once; then
// logins, accounting and Status-Server over an injected Transport and Clock, so the same code runs
// over UDP in real time and over a MemoryNetwork in virtual time.
import { SocketAddress, isIP } from 'node:net';
import type { Clock } from '../../runtime/clock.ts';
import { seededRandom } from '../../runtime/memory-transport.ts';
import type { Endpoint, Transport } from '../../runtime/transport.ts';
import {
  defaultDictionary,
  pooledRandomBytes,
  type AttributeInput,
  type Dictionary,
  type Secret,
} from '../../protocol/index.ts';
import {
  runAccounting,
  runStatusServer,
  type AccountingOptions,
  type AccountingResult,
  type StatusServerOptions,
  type StatusServerResult,
} from './accounting.ts';
import type { Issue } from '../../runtime/validation/index.ts';
import { NasConfigError, NasError } from './errors.ts';
import { Exchanger, type NasServer } from './exchange.ts';
import { runLogin, type LoginOptions, type LoginResult } from './login.ts';
import type { OperationContext } from './operation.ts';
import {
  defaultTimeoutDecider,
  type RetryPolicy,
  type RetryPolicyInput,
  type TimeoutDecider,
} from './policy.ts';
import { describeNasProfile, resolveNasPolicy, type NasProfile } from './profiles.ts';
import { createLeanPath, type LeanPath } from './lean.ts';
import { SocketPool } from './socket-pool.ts';
import type { TraceEvent } from './trace.ts';

export interface NasServerInput {
  /** IP address literal of the RADIUS server (replies are matched on their source address). */
  readonly host: string;
  /** Authentication port. Default 1812. */
  readonly port?: number;
  /** Accounting port. Default 1813, or port + 1 when `port` is given. */
  readonly accountingPort?: number;
  readonly secret: Secret;
}

export interface UnmatchedReply {
  readonly at: number;
  /** NAS socket it arrived on. */
  readonly local: Endpoint;
  readonly from: Endpoint;
  readonly identifier: number | undefined;
  readonly length: number;
}

export interface NasOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /** Primary first, then the servers to fail over to. */
  readonly servers: readonly NasServerInput[];
  /** Vendor profile name (default `rfc5080`, or `custom` when only `policy` is given). */
  readonly profile?: string;
  /** Overrides of the profile's policy. */
  readonly policy?: RetryPolicyInput;
  /** Replaces the timing function (the policy remains its input). */
  readonly decide?: TimeoutDecider;
  /** Seed of the backoff jitter. Default 1. */
  readonly seed?: number;
  /** Source of authenticators and challenges. Default node:crypto randomBytes. */
  readonly randomBytes?: (size: number) => Buffer;
  /** Address the NAS sockets bind. Default the loopback of the first server's family. */
  readonly localAddress?: string;
  /** Sockets the pool may open (256 outstanding requests each). Default 16. */
  readonly maxSockets?: number;
  readonly recvBufferSize?: number;
  readonly sendBufferSize?: number;
  /** Discard replies without Message-Authenticator (Blast-RADIUS hardening). Default false. */
  readonly requireMessageAuthenticator?: boolean;
  /** Keep datagrams in trace events. Default true; turn off for load runs. */
  readonly traceBytes?: boolean;
  /**
   * Record a packet trace per operation (`trace` in results). Default true. With false, results
   * carry the same counts (transmissions, retransmissions, timeouts...) and an empty trace, and no
   * trace event is built unless `onTrace` asks for them: the mode for load runs.
   */
  readonly trace?: boolean;
  /** A finer time source for round-trip times (ms, fractional, e.g. performance.now); default the clock. */
  readonly now?: () => number;
  /** NAS-Identifier on every request; null for none. Default "radmfa-nas". */
  readonly nasIdentifier?: string | null;
  /** NAS-Port-Type on Access-Requests; null for none. Default "Virtual" (5: VPN). */
  readonly nasPortType?: string | number | null;
  /** Further attributes on every Access-Request (e.g. NAS-IP-Address, Called-Station-Id). */
  readonly accessAttributes?: readonly AttributeInput[];
  readonly dictionary?: Dictionary;
  /** Every trace event of every operation, as it happens (metrics, logs, progress). */
  readonly onTrace?: (event: TraceEvent) => void;
  /** Datagrams that match no outstanding request: late replies after a give-up, strays. */
  readonly onUnmatchedReply?: (reply: UnmatchedReply) => void;
}

export interface NasStats {
  readonly sockets: number;
  readonly localEndpoints: readonly Endpoint[];
  /** Identifiers outstanding over all sockets. */
  readonly outstanding: number;
  readonly unmatchedReplies: number;
  /** Index of the server new requests start with. */
  readonly activeServer: number;
}

export interface Nas {
  readonly profile: NasProfile;
  readonly policy: RetryPolicy;
  readonly servers: readonly NasServer[];
  /** The profile and policy in words, with the source of each number. */
  describe(): string;
  login(options: LoginOptions): Promise<LoginResult>;
  accounting(options: AccountingOptions): Promise<AccountingResult>;
  statusServer(options?: StatusServerOptions): Promise<StatusServerResult>;
  stats(): NasStats;
  /**
   * The lean request path for load generation (simulators/nas/lean.ts): prepared requests, every
   * reply verified, retransmissions per the profile, no traces, no promise per request.
   */
  readonly lean: LeanPath;
  /** Closes the sockets; operations in progress end with outcome `error`, code `closed`. */
  close(): Promise<void>;
}

export const nasDefaults = {
  authPort: 1812,
  accountingPort: 1813,
  maxSockets: 16,
  seed: 1,
  nasIdentifier: 'radmfa-nas',
  nasPortType: 'Virtual',
} as const;

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

function normaliseServers(inputs: readonly NasServerInput[], issues: Issue[]): NasServer[] {
  if (inputs === undefined || inputs.length === 0) {
    issues.push({
      path: 'servers',
      message: 'no RADIUS server given',
      fix: 'list at least one { host, port, secret }',
    });
    return [];
  }
  return inputs.map((input, index) => {
    const field = (name: string): string => `servers[${index}].${name}`;
    if (typeof input.host !== 'string' || isIP(input.host) === 0) {
      issues.push({
        path: field('host'),
        message: `${JSON.stringify(input.host)} is not an IP address`,
        fix: 'give an IP address literal such as 127.0.0.1 or ::1 (replies are matched on their source address)',
      });
    }
    const port = input.port ?? nasDefaults.authPort;
    const accountingPort =
      input.accountingPort ?? (input.port === undefined ? nasDefaults.accountingPort : port + 1);
    for (const [name, value] of [
      ['port', port],
      ['accountingPort', accountingPort],
    ] as const) {
      if (!isPort(value)) {
        issues.push({
          path: field(name),
          message: `${String(value)} is not a UDP port`,
          fix: 'use 1 to 65535',
        });
      }
    }
    const secretLength =
      typeof input.secret === 'string' ? Buffer.byteLength(input.secret) : input.secret?.length;
    if (secretLength === undefined || secretLength === 0) {
      issues.push({
        path: field('secret'),
        message: 'the shared secret is empty',
        fix: 'set the secret the server has for this client',
      });
    }
    return { host: canonicalAddress(input.host), port, accountingPort, secret: input.secret };
  });
}

/**
 * Replies are matched on their source address, which the socket reports in canonical form ("::1");
 * an IPv6 server written otherwise ("0:0:0:0:0:0:0:1") would have every reply discarded.
 */
function canonicalAddress(host: string): string {
  if (typeof host !== 'string' || isIP(host) !== 6) return host;
  try {
    return new SocketAddress({ address: host, family: 'ipv6' }).address;
  } catch {
    return host;
  }
}

export function createNas(options: NasOptions): Nas {
  const issues: Issue[] = [];
  const servers = normaliseServers(options.servers, issues);
  const resolved = resolveNasPolicy(options.profile, options.policy);
  if (!resolved.ok) issues.push(...resolved.issues);
  const maxSockets = options.maxSockets ?? nasDefaults.maxSockets;
  if (!Number.isInteger(maxSockets) || maxSockets < 1 || maxSockets > 256) {
    issues.push({
      path: 'maxSockets',
      message: `${String(maxSockets)} is out of range`,
      fix: 'set a whole number from 1 to 256',
    });
  }
  const seed = options.seed ?? nasDefaults.seed;
  if (!Number.isSafeInteger(seed)) {
    issues.push({ path: 'seed', message: `${String(seed)} is not an integer`, fix: 'set a whole number' });
  }
  const firstFamily = servers[0] !== undefined ? isIP(servers[0].host) : 4;
  const localAddress = options.localAddress ?? (firstFamily === 6 ? '::1' : '127.0.0.1');
  const localFamily = isIP(localAddress);
  if (localFamily === 0) {
    issues.push({
      path: 'localAddress',
      message: `${JSON.stringify(localAddress)} is not an IP address`,
      fix: 'use 127.0.0.1 or ::1',
    });
  }
  servers.forEach((server, index) => {
    const family = isIP(server.host);
    if (family !== 0 && localFamily !== 0 && family !== localFamily) {
      issues.push({
        path: `servers[${index}].host`,
        message: `IPv${family} server, IPv${localFamily} NAS socket`,
        fix: 'use servers of one address family, or set localAddress to match',
      });
    }
  });
  if (!resolved.ok || issues.length > 0) throw new NasConfigError(issues);
  const { profile, policy } = resolved.value;

  let unmatchedReplies = 0;
  const pool = new SocketPool({
    transport: options.transport,
    bind: {
      address: localAddress,
      port: 0,
      ...(options.recvBufferSize !== undefined ? { recvBufferSize: options.recvBufferSize } : {}),
      ...(options.sendBufferSize !== undefined ? { sendBufferSize: options.sendBufferSize } : {}),
    },
    maxSockets,
    onUnmatched: (socket, data, from) => {
      unmatchedReplies++;
      options.onUnmatchedReply?.({
        at: options.clock.now(),
        local: socket.socket.local,
        from,
        identifier: data[1],
        length: data.length,
      });
    },
  });
  const randomBytes = options.randomBytes ?? pooledRandomBytes;
  const exchanger = new Exchanger({
    clock: options.clock,
    pool,
    servers,
    policy,
    decide: options.decide ?? defaultTimeoutDecider,
    random: seededRandom(seed),
    randomBytes,
    requireMessageAuthenticator: options.requireMessageAuthenticator ?? false,
    traceBytes: options.traceBytes ?? true,
    ...(options.onTrace !== undefined ? { onTrace: options.onTrace } : {}),
  });
  const nasIdentifier =
    options.nasIdentifier === undefined ? nasDefaults.nasIdentifier : options.nasIdentifier;
  const nasPortType = options.nasPortType === undefined ? nasDefaults.nasPortType : options.nasPortType;
  const identityAttributes: AttributeInput[] =
    nasIdentifier === null ? [] : [{ name: 'NAS-Identifier', value: nasIdentifier }];
  const context: OperationContext = {
    exchanger,
    clock: options.clock,
    dictionary: options.dictionary ?? defaultDictionary,
    randomBytes,
    keepTrace: options.trace ?? true,
    identityAttributes,
    accessAttributes: [
      ...identityAttributes,
      ...(nasPortType === null ? [] : [{ name: 'NAS-Port-Type', value: nasPortType }]),
      ...(options.accessAttributes ?? []),
    ],
  };
  let closed = false;
  const [primary] = servers;
  if (primary === undefined)
    throw new NasConfigError([
      { path: 'servers', message: 'no RADIUS server given', fix: 'list at least one { host, port, secret }' },
    ]);
  const leanControl = createLeanPath({
    pool,
    clock: options.clock,
    ...(options.now !== undefined ? { now: options.now } : {}),
    server: primary,
    policy,
    decide: options.decide ?? defaultTimeoutDecider,
    random: seededRandom(seed + 1),
    randomBytes,
    requireMessageAuthenticator: options.requireMessageAuthenticator ?? false,
    dictionary: context.dictionary,
    accessAttributes: context.accessAttributes,
    identityAttributes: context.identityAttributes,
    isClosed: () => closed,
  });
  const lean = leanControl.path;
  const whenOpen = <T>(run: () => Promise<T>): Promise<T> =>
    closed
      ? Promise.reject(new NasError('RADMFA_NAS_CLOSED', 'the NAS is closed; create another one'))
      : run();

  return {
    profile,
    policy,
    servers,
    describe: () => describeNasProfile(profile, policy),
    login: (login) => whenOpen(() => runLogin(login, context)),
    accounting: (accounting) => whenOpen(() => runAccounting(accounting, context)),
    statusServer: (status = {}) => whenOpen(() => runStatusServer(status, context)),
    lean,
    stats: () => ({
      sockets: pool.socketCount,
      localEndpoints: pool.localEndpoints,
      outstanding: pool.outstandingCount,
      unmatchedReplies,
      activeServer: exchanger.activeServer,
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      exchanger.closeAll();
      leanControl.closeAll();
      await pool.close();
    },
  };
}
