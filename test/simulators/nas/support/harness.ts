// Virtual-time wiring for the NAS tests: a VirtualClock, a MemoryNetwork, fake servers on it and a
// NAS pointed at them.
import { VirtualClock } from '../../../../runtime/clock.ts';
import { MemoryNetwork } from '../../../../runtime/memory-transport.ts';
import { createNas, type Nas, type NasOptions } from '../../../../simulators/nas/index.ts';
import { startFakeServer, type FakeServer, type FakeServerOptions } from './fake-server.ts';

export const SECRET = 'testing123';
export const START = 1_000_000;

export const USERS = {
  alice: { password: 'correct horse' },
  bob: { password: 'b0b-secret', otp: '123456' },
} as const;

export type ServerSpec = Partial<Omit<FakeServerOptions, 'transport' | 'clock'>>;

export interface Harness {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  readonly servers: FakeServer[];
  readonly nas: Nas;
}

export async function setup(
  serverSpecs: readonly ServerSpec[] = [{}],
  nasOptions: Partial<Omit<NasOptions, 'transport' | 'clock' | 'servers'>> = {},
): Promise<Harness> {
  const clock = new VirtualClock(START);
  const network = new MemoryNetwork(clock);
  const servers: FakeServer[] = [];
  for (const spec of serverSpecs) {
    servers.push(await startFakeServer({ transport: network, clock, secret: SECRET, users: USERS, ...spec }));
  }
  const nas = createNas({
    transport: network,
    clock,
    servers: servers.map((server, index) => ({
      host: server.endpoint.address,
      port: server.endpoint.port,
      accountingPort: server.endpoint.port,
      secret: serverSpecs[index]?.secret ?? SECRET,
    })),
    ...nasOptions,
  });
  return { clock, network, servers, nas };
}

/** Runs virtual time until nothing is scheduled, then returns the operation's result. */
export async function settle<T>(clock: VirtualClock, operation: Promise<T>): Promise<T> {
  await clock.runAll();
  return operation;
}
