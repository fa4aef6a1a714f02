// One way to stand up a ReferenceServer for the tests in this folder: a MemoryDirectory, a config
// that passes normaliseServerConfig, an accounting store, every server event recorded, and (for the
// virtual-time fixture) a RadiusTestClient on a MemoryNetwork. closeServerFixtures() undoes it all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltPacket } from '../../../protocol/index.ts';
import { VirtualClock, type Clock } from '../../../runtime/clock.ts';
import { MemoryNetwork } from '../../../runtime/memory-transport.ts';
import type { Endpoint, Transport } from '../../../runtime/transport.ts';
import { openAccountingStore, type AccountingStore } from '../../../reference/accounting/index.ts';
import { formatIssues } from '../../../runtime/validation/index.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import { ServerEvents, type ServerEventMap, type ServerEventName } from '../../../reference/events.ts';
import type { SecondFactor } from '../../../reference/mfa/second-factor.ts';
import { ReferenceServer } from '../../../reference/server.ts';
import {
  MemoryDirectory,
  type MemoryDirectoryOptions,
  type MemoryUser,
} from '../../support/memory-directory.ts';
import { RadiusTestClient } from '../../support/radius-test-client.ts';

export const SECRET = 'testing123';
/** Where every fixture's VirtualClock starts, unless it is given a clock. */
export const START = 1_700_000_000_000;

/** Every server event, in order of emission, one list per kind. */
export type RecordedEvents = { readonly [K in ServerEventName]: ServerEventMap[K][] };

// A Record, so that a new event kind fails to compile here until it is recorded too.
const EVENT_KINDS: Readonly<Record<ServerEventName, true>> = {
  listening: true,
  'packet-dropped': true,
  duplicate: true,
  access: true,
  accounting: true,
  'status-server': true,
  warning: true,
  error: true,
};

export interface ReferenceServerOptions {
  readonly clock: Clock;
  readonly transport: Transport;
  /** Directory users. Default: alice with password `pw`. */
  readonly users?: readonly MemoryUser[];
  /** Latency of every directory lookup. Default 0. */
  readonly latencyMs?: number;
  /** Builds the directory (a subclass, say) from the options the fixture would use. */
  readonly makeDirectory?: (options: MemoryDirectoryOptions) => MemoryDirectory;
  /** Raw config merged over the defaults (one client `vpn` at 127.0.0.1, a directory URL). */
  readonly config?: Record<string, unknown>;
  /** Enables MFA in the config and hands this second factor to the server. */
  readonly secondFactor?: SecondFactor;
  /** Keep accounting in a SQLite file in a fresh temporary directory instead of `:memory:`. */
  readonly accountingOnDisk?: boolean;
}

export interface StartedReferenceServer {
  readonly server: ReferenceServer;
  readonly directory: MemoryDirectory;
  readonly accounting: AccountingStore;
  readonly events: RecordedEvents;
}

export interface ServerFixtureOptions extends Omit<ReferenceServerOptions, 'clock' | 'transport'> {
  /** Default: a VirtualClock at START. */
  readonly clock?: VirtualClock;
  /** Source address of the default client. Default 127.0.0.1. */
  readonly clientAddress?: string;
}

export interface ServerFixture extends StartedReferenceServer {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  /** A client at `clientAddress`, speaking with SECRET to the first auth endpoint. */
  readonly client: RadiusTestClient;
  readonly auth: Endpoint;
  readonly acct: Endpoint;
  readonly access: ServerEventMap['access'][];
  readonly dropped: ServerEventMap['packet-dropped'][];
  readonly errors: ServerEventMap['error'][];
  readonly duplicates: ServerEventMap['duplicate'][];
  readonly statusEvents: ServerEventMap['status-server'][];
  readonly accountingEvents: ServerEventMap['accounting'][];
  /** Another client (its own socket) from `address`, closed with the fixture. */
  clientAt(address: string, secret?: string): Promise<RadiusTestClient>;
  /** Sends the bytes now (no time passes). */
  send(built: BuiltPacket): Promise<void>;
  /** Moves virtual time to `ms` after START. */
  at(ms: number): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Closes, newest first, everything the fixtures opened since the last call (for afterEach/afterAll). */
export async function closeServerFixtures(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

const MFA_CONFIG = {
  enabled: true,
  serviceUrl: 'http://127.0.0.1:9',
  tenantId: 'test-tenant',
  certificates: { dir: 'test/fixtures/certificates' },
};

/** Starts a ReferenceServer on any clock and transport (UDP included), registered for closing. */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<StartedReferenceServer> {
  const { clock, transport, secondFactor } = options;
  const directoryOptions: MemoryDirectoryOptions = {
    clock,
    users: options.users ?? [{ name: 'alice', password: 'pw' }],
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
  };
  const directory = (options.makeDirectory ?? ((o) => new MemoryDirectory(o)))(directoryOptions);
  const normalised = normaliseServerConfig({
    clients: [{ name: 'vpn', address: '127.0.0.1', secret: SECRET }],
    directory: { url: 'ldap://127.0.0.1:389' },
    ...(secondFactor !== undefined ? { mfa: MFA_CONFIG } : {}),
    ...options.config,
  });
  if (!normalised.ok) throw new Error(formatIssues(normalised.issues));
  const serverEvents = new ServerEvents();
  const recorded: Partial<Record<ServerEventName, unknown[]>> = {};
  for (const kind of Object.keys(EVENT_KINDS) as ServerEventName[]) {
    const list: unknown[] = [];
    recorded[kind] = list;
    serverEvents.on(kind, (event) => list.push(event));
  }
  const events = recorded as RecordedEvents;
  let accounting: AccountingStore;
  if (options.accountingOnDisk === true) {
    const dir = mkdtempSync(join(tmpdir(), 'radmfa-server-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    accounting = openAccountingStore(join(dir, 'accounting.sqlite'));
  } else {
    accounting = openAccountingStore(':memory:');
  }
  cleanups.push(() => accounting.close());
  const server = await ReferenceServer.start({
    config: normalised.config,
    transport,
    clock,
    directory,
    accounting,
    events: serverEvents,
    ...(secondFactor !== undefined ? { secondFactor } : {}),
  });
  cleanups.push(() => server.close());
  return { server, directory, accounting, events };
}

/** A server and a client on a MemoryNetwork driven by a VirtualClock. */
export async function startServerFixture(options: ServerFixtureOptions = {}): Promise<ServerFixture> {
  const { clock = new VirtualClock(START), clientAddress = '127.0.0.1', ...rest } = options;
  const network = new MemoryNetwork(clock);
  const started = await startReferenceServer({ ...rest, clock, transport: network });
  const [auth] = started.server.endpoints('auth');
  const [acct] = started.server.endpoints('acct');
  if (auth === undefined || acct === undefined) throw new Error('server endpoints missing');
  const clientAt = async (address: string, secret = SECRET): Promise<RadiusTestClient> => {
    const opened = await RadiusTestClient.open({ transport: network, clock, server: auth, secret, address });
    cleanups.push(() => opened.close());
    return opened;
  };
  const client = await clientAt(clientAddress);
  const { events } = started;
  return {
    ...started,
    clock,
    network,
    client,
    auth,
    acct,
    access: events.access,
    dropped: events['packet-dropped'],
    errors: events.error,
    duplicates: events.duplicate,
    statusEvents: events['status-server'],
    accountingEvents: events.accounting,
    clientAt,
    async send(built) {
      await client.send(built.bytes);
      await clock.advance(0);
    },
    async at(ms) {
      await clock.advanceTo(START + ms);
    },
  };
}
