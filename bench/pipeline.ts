// The reference server's own cost per request, without sockets or a load generator competing for
// the CPU: datagrams handed to the server's pipeline in process (a socket stub that only counts the
// replies), PAP against directory.static, MFA off. CPU microseconds per request (process.cpuUsage),
// so a busy machine slows the run but barely moves the figure. Run under `--cpu-prof` to see what
// bounds the rate.
//
//   npx tsx bench/pipeline.ts [--count 100000] [--workload pap|status|acct]
import { performance } from 'node:perf_hooks';
import { PacketCode } from '../protocol/index.ts';
import { createRequestTemplate } from '../protocol/template.ts';
import { normaliseServerConfig } from '../reference/config/server-config.ts';
import { openAccountingStore } from '../reference/accounting/index.ts';
import { StaticDirectory } from '../reference/directory/static-directory.ts';
import { ReferenceServer } from '../reference/server.ts';
import { SystemClock } from '../runtime/clock.ts';
import type {
  BindOptions,
  DatagramHandler,
  DatagramSocket,
  Endpoint,
  Transport,
} from '../runtime/transport.ts';
import { formatIssues } from '../runtime/validation/index.ts';
import { loadDirectoryFixture } from '../simulators/ldap/index.ts';
import { staticRecords } from '../scenarios/embedded/static-records.ts';
import { DEMO_DIRECTORY } from '../peers/serve-process.ts';
import { demoUsers, DEMO_PASSWORD } from './pap.ts';
import { BENCH_SECRET } from './targets.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

class StubSocket implements DatagramSocket {
  handler: DatagramHandler = () => {};
  sent = 0;
  waiter: (() => void) | undefined;
  target = 0;
  constructor(readonly local: Endpoint) {}
  send(): Promise<void> {
    this.sent++;
    if (this.sent >= this.target) this.waiter?.();
    return Promise.resolve();
  }
  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class StubTransport implements Transport {
  readonly sockets: StubSocket[] = [];
  bind(options: BindOptions): Promise<DatagramSocket> {
    const socket = new StubSocket({ address: options.address, port: 40000 + this.sockets.length });
    this.sockets.push(socket);
    return Promise.resolve(socket);
  }
}

export const pipelineParams = {
  count: { type: 'integer', default: 100_000, min: 1000, max: 10_000_000, description: 'requests' },
  batch: { type: 'integer', default: 64, min: 1, max: 4096, description: 'requests handed over per turn' },
  workload: {
    type: 'choice',
    default: 'pap',
    choices: ['pap', 'status', 'acct'],
    description: 'request kind',
  },
  out: outParam,
} as const;

export interface PipelineResults {
  readonly workload: string;
  readonly count: number;
  readonly cpuMicrosPerRequest: number;
  readonly wallMicrosPerRequest: number;
  readonly ceilingPerSecond: number;
}

async function runPipeline(params: {
  count: number;
  batch: number;
  workload: 'pap' | 'status' | 'acct';
}): Promise<PipelineResults> {
  const normalised = normaliseServerConfig({
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [{ address: '127.0.0.1', secret: BENCH_SECRET }],
    directory: { static: { fixture: DEMO_DIRECTORY } },
    accounting: { path: ':memory:' },
    mfa: { enabled: false },
  });
  if (!normalised.ok) throw new Error(formatIssues(normalised.issues));
  const clock = new SystemClock();
  const transport = new StubTransport();
  const accounting = openAccountingStore(':memory:');
  const server = await ReferenceServer.start({
    config: normalised.config,
    transport,
    clock,
    directory: new StaticDirectory({
      users: staticRecords(await loadDirectoryFixture(DEMO_DIRECTORY)),
      clock,
    }),
    accounting,
  });
  const [auth, acct] = transport.sockets;
  if (auth === undefined || acct === undefined) throw new Error('no sockets');
  const socket = params.workload === 'acct' ? acct : auth;
  const template = createRequestTemplate(
    params.workload === 'pap'
      ? {
          code: PacketCode.AccessRequest,
          secret: BENCH_SECRET,
          variants: demoUsers.map((user) => [
            { name: 'User-Name', value: user },
            { name: 'User-Password', value: DEMO_PASSWORD },
            { name: 'NAS-IP-Address', value: '127.0.0.1' },
          ]),
        }
      : params.workload === 'status'
        ? { code: PacketCode.StatusServer, secret: BENCH_SECRET, variants: [[]] }
        : {
            code: PacketCode.AccountingRequest,
            secret: BENCH_SECRET,
            messageAuthenticator: false,
            variants: demoUsers.map((user) => [
              { name: 'User-Name', value: user },
              { name: 'Acct-Status-Type', value: 'Start' },
              { name: 'Acct-Session-Id', value: `s-${user}` },
            ]),
          },
  );
  const requests = Array.from({ length: 4096 }, (_, i) => template.instantiate(i % 256, i));
  let sequence = 0;
  const drive = async (count: number): Promise<void> => {
    const base = socket.sent;
    socket.target = base + count;
    const done = new Promise<void>((resolve) => (socket.waiter = resolve));
    for (let i = 0; i < count; i++) {
      // Source port and request cycle with co-prime periods, so the duplicate cache sees no
      // retransmission (the same port, Identifier and authenticator recur only after 245 million).
      const n = sequence++;
      socket.handler(requests[n % requests.length] ?? Buffer.alloc(0), {
        address: '127.0.0.1',
        port: 1024 + (n % 59_999),
      });
      if (i % params.batch === params.batch - 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await done;
  };
  await drive(Math.min(10_000, params.count));
  const cpu = process.cpuUsage();
  const started = performance.now();
  await drive(params.count);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await server.close();
  accounting.close();
  const cpuMicros = (used.user + used.system) / params.count;
  return {
    workload: params.workload,
    count: params.count,
    cpuMicrosPerRequest: Math.round(cpuMicros * 10) / 10,
    wallMicrosPerRequest: Math.round(((wall * 1000) / params.count) * 10) / 10,
    ceilingPerSecond: Math.round(1e6 / cpuMicros),
  };
}

export const pipelineBench: BenchDefinition<typeof pipelineParams, PipelineResults> = {
  name: 'pipeline',
  summary: "The reference server's CPU cost per request in process (no sockets, no load generator).",
  params: pipelineParams,
  run: (params) => runPipeline(params),
  render: (r) =>
    `pipeline ${r.workload}: ${r.cpuMicrosPerRequest} us CPU a request (${r.wallMicrosPerRequest} us wall), ceiling ${r.ceilingPerSecond}/s on one core`,
};

if (isMainModule(import.meta.url)) runAsScript(pipelineBench);
