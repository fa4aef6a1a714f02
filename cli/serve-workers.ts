// `radmfa serve` with listen.workers > 1: the cluster module forks N workers running the same
// command; each runs the whole server (its own duplicate cache, challenge store, directory
// connections, group-committed accounting into the one SQLite file) on the same ports, and
// reference/workers routes every datagram to the worker that owns it (README, "Workers").
// The primary only coordinates: it tells the workers each other's forward ports, prints the one
// "started" line once all listen, serves /metrics summed over the workers, and stops them.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { ServerConfig } from '../reference/config/server-config.ts';
import { ServerEvents } from '../reference/events.ts';
import { WorkerTransport, dgramSupportsReusePort } from '../reference/workers/worker-transport.ts';
import type { Endpoint } from '../runtime/transport.ts';
import { startStack, type Stack } from '../scenarios/embedded/compose.ts';
import type { CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';
import { attachLogging, attachMetrics, startAdminServer } from './observability.ts';

const INDEX_ENV = 'RADMFA_WORKER_INDEX';
const TOKEN_ENV = 'RADMFA_WORKER_TOKEN';

type ToPrimary =
  | { readonly kind: 'forward-port'; readonly index: number; readonly port: number }
  | {
      readonly kind: 'listening';
      readonly index: number;
      readonly auth: readonly Endpoint[];
      readonly acct: readonly Endpoint[];
      readonly directory: string;
      readonly mfa?: string;
      readonly accounting: string;
    }
  | { readonly kind: 'failed'; readonly index: number; readonly message: string };

type ToWorker = { readonly kind: 'peers'; readonly ports: readonly number[] };

function isMessage<T extends { kind: string }>(value: unknown, kind: T['kind']): value is T {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}

/** True in a process cluster forked for `radmfa serve` (it then runs workerMain). */
export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[INDEX_ENV] !== undefined;
}

/** Resolves on SIGINT, SIGTERM or the command's abort signal, whichever comes first. */
export function waitForStop(io: CommandIo): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.signal?.addEventListener('abort', stop, { once: true });
  });
}

/** The primary: forks, coordinates, prints "started", stops the workers on SIGINT/SIGTERM. */
export async function primaryMain(config: ServerConfig, io: CommandIo, log: Logger): Promise<number> {
  const workers = config.listen.workers;
  const token = randomBytes(16).toString('hex');
  const forwardPorts = new Array<number | undefined>(workers).fill(undefined);
  const listening = new Map<number, Extract<ToPrimary, { kind: 'listening' }>>();
  const forked: Worker[] = [];
  let failure: string | undefined;
  let stopping = false;
  const allListening = new Promise<void>((resolve, reject) => {
    for (let index = 0; index < workers; index++) {
      const worker = cluster.fork({ [INDEX_ENV]: String(index), [TOKEN_ENV]: token });
      forked.push(worker);
      worker.on('message', (message: unknown) => {
        if (isMessage<Extract<ToPrimary, { kind: 'forward-port' }>>(message, 'forward-port')) {
          forwardPorts[message.index] = message.port;
          if (forwardPorts.every((port) => port !== undefined)) {
            const peers: ToWorker = { kind: 'peers', ports: forwardPorts.map((port) => port ?? 0) };
            for (const each of forked) each.send(peers);
          }
        } else if (isMessage<Extract<ToPrimary, { kind: 'listening' }>>(message, 'listening')) {
          listening.set(message.index, message);
          if (listening.size === workers) resolve();
        } else if (isMessage<Extract<ToPrimary, { kind: 'failed' }>>(message, 'failed')) {
          failure ??= `worker ${message.index}: ${message.message}`;
          reject(new Error(failure));
        }
      });
      worker.once('exit', (code, signal) => {
        if (listening.size < workers) {
          failure ??= `worker ${index} exited before listening (code ${String(code)}, signal ${String(signal)})`;
          reject(new Error(failure));
        } else if (!stopping) {
          log.error({ event: 'worker-exit', worker: index, code, signal }, 'a worker exited');
        }
      });
    }
  });
  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      forked.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) {
              resolve();
              return;
            }
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    await allListening;
  } catch (error) {
    await stopWorkers();
    io.err(`radmfa serve: could not start: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  }
  const first = listening.get(0);
  if (first === undefined) return ExitCode.Failure;
  let admin: Server | undefined;
  if (config.admin !== undefined) {
    const aggregator = new AggregatorRegistry();
    admin = await startAdminServer(
      config.admin.host,
      config.admin.port,
      {
        registry: {
          contentType: aggregator.contentType,
          metrics: () => aggregator.clusterMetrics(),
        },
      },
      // Every worker listening is what the primary knows; the directory and MFA readiness rows of
      // a single process are each worker's own (not summed here).
      () =>
        Promise.resolve({
          ready: true,
          body: {
            status: 'ok',
            ready: true,
            service: 'radmfa',
            pid: process.pid,
            auth: first.auth,
            acct: first.acct,
            workers,
          },
        }),
    );
  }
  const adminAddress = admin?.address();
  io.out(
    `${JSON.stringify({
      event: 'started',
      auth: first.auth,
      acct: first.acct,
      ...(adminAddress !== undefined && adminAddress !== null && typeof adminAddress === 'object'
        ? { admin: { address: adminAddress.address, port: adminAddress.port } }
        : {}),
      directory: first.directory,
      ...(first.mfa !== undefined ? { mfa: first.mfa } : {}),
      duplicates: config.duplicates.profile.name,
      accounting: first.accounting,
      heapGrowthPercent: config.memory.heapGrowthPercent,
      workers,
      routing: dgramSupportsReusePort() ? 'reuseport' : 'cluster-shared-handle',
    })}\n`,
  );
  await waitForStop(io);
  await stopWorkers();
  await new Promise<void>((resolve) => (admin ? admin.close(() => resolve()) : resolve()));
  return ExitCode.Ok;
}

function sendToPrimary(message: ToPrimary): void {
  process.send?.(message);
}

/** One worker: the whole server on the shared ports, datagrams routed to their owner. */
export async function workerMain(config: ServerConfig, log: Logger): Promise<number> {
  const index = Number(process.env[INDEX_ENV]);
  const token = Buffer.from(process.env[TOKEN_ENV] ?? '', 'hex');
  const workers = config.listen.workers;
  const transport = await WorkerTransport.open({
    index,
    workers,
    token,
    reusePort: dgramSupportsReusePort(),
  });
  const peers = new Promise<readonly number[]>((resolve) => {
    const onMessage = (message: unknown): void => {
      if (!isMessage<ToWorker>(message, 'peers')) return;
      process.off('message', onMessage);
      resolve(message.ports);
    };
    process.on('message', onMessage);
  });
  sendToPrimary({ kind: 'forward-port', index, port: transport.forwardPort });
  transport.setPeers(await peers);
  const events = new ServerEvents();
  attachLogging(events, log);
  let stack: Stack | undefined;
  const metrics = attachMetrics(
    events,
    () => stack?.server,
    () => stack?.directory.stats?.(),
  );
  AggregatorRegistry.setRegistries([metrics.registry]);
  try {
    stack = await startStack(config, { events, transport, stateTag: index });
  } catch (error) {
    sendToPrimary({ kind: 'failed', index, message: (error as Error).message });
    await transport.close();
    return ExitCode.Failure;
  }
  sendToPrimary({
    kind: 'listening',
    index,
    auth: stack.server.endpoints('auth'),
    acct: stack.server.endpoints('acct'),
    directory: stack.directoryUrl,
    ...(stack.mfaUrl !== undefined ? { mfa: stack.mfaUrl } : {}),
    accounting: stack.accounting.path,
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    // The primary gone (killed with SIGKILL): no one would stop this worker otherwise.
    process.once('disconnect', () => resolve());
  });
  const forward = transport.stats();
  log.info({ event: 'worker-stopped', worker: index, ...forward }, 'worker stopped');
  await stack.close();
  await transport.close();
  log.flush();
  // The IPC channel would keep the event loop alive.
  if (cluster.isWorker) process.disconnect();
  return ExitCode.Ok;
}
