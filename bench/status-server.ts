// Status-Server (RFC 5997) round trips against FreeRADIUS and the radmfa reference server: the
// cheapest request either server answers (no user, no directory), so the ratio compares the
// request path itself: socket, decode, Message-Authenticator check, reply.
//
//   npx tsx bench/status-server.ts [--count 20000] [--concurrency 32] [--rounds 3] ...
import { PacketCode } from '../protocol/index.ts';
import {
  checkNetworkParams,
  networkParams,
  renderNetworkResults,
  runNetworkBench,
  type NetworkResults,
  type Workload,
} from './network-bench.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const statusServerParams = {
  ...networkParams({ count: 20_000, warmup: 2_000 }),
  out: outParam,
} as const;

export const statusServerWorkload: Workload = {
  description:
    'Status-Server with NAS-Identifier and Message-Authenticator (RFC 5997 requires it), answered by Access-Accept',
  code: PacketCode.StatusServer,
  expectedCode: PacketCode.AccessAccept,
  variants: [[{ name: 'NAS-Identifier', value: 'radmfa-bench' }]],
  // FreeRADIUS needs no user for Status-Server; one keeps its users file well formed.
  freeRadiusUsers: [{ name: 'bench', password: 'bench-password' }],
  notes: ['Status-Server touches neither the users file nor the directory on either server.'],
};

export const statusServerBench: BenchDefinition<typeof statusServerParams, NetworkResults> = {
  name: 'status-server',
  summary: 'Status-Server round trips/s and latency: radmfa reference server vs FreeRADIUS 3.2, same run.',
  params: statusServerParams,
  check: checkNetworkParams,
  run: (params, io) => runNetworkBench(statusServerWorkload, params, io),
  render: (results) => renderNetworkResults('status-server: Status-Server round trips', results),
};

if (isMainModule(import.meta.url)) runAsScript(statusServerBench);
