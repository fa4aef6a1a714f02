// PAP Access-Request throughput and latency against FreeRADIUS (users file, Cleartext-Password)
// and the radmfa reference server (MFA off, embedded LDAP stub). End to end, not like for like:
// radmfa searches the directory and binds as the user for every request, FreeRADIUS compares with a
// password it read from a local file at start-up.
//
//   npx tsx bench/pap.ts [--count 10000] [--concurrency 32] [--rounds 3] ...
import { PacketCode, type AttributeInput } from '../protocol/index.ts';
import {
  checkNetworkParams,
  networkParams,
  renderNetworkResults,
  runNetworkBench,
  type NetworkResults,
  type Workload,
} from './network-bench.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const papParams = { ...networkParams({ count: 10_000, warmup: 1_000 }), out: outParam } as const;

/** Enabled accounts of fixtures/directory/demo.yaml, all with the directory's default password. */
export const demoUsers: readonly string[] = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'ivan',
  'judy',
];
export const DEMO_PASSWORD = 'Passw0rd!';

export function papRequest(user: string): AttributeInput[] {
  return [
    { name: 'User-Name', value: user },
    { name: 'User-Password', value: DEMO_PASSWORD },
    { name: 'NAS-IP-Address', value: '127.0.0.1' },
    { name: 'NAS-Identifier', value: 'radmfa-bench' },
    { name: 'NAS-Port', value: 1 },
    { name: 'NAS-Port-Type', value: 'Virtual' },
    { name: 'Service-Type', value: 'Framed-User' },
    { name: 'Calling-Station-Id', value: '198.51.100.7' },
  ];
}

export const papWorkload: Workload = {
  description: `PAP Access-Request with Message-Authenticator, cycling through ${demoUsers.length} demo users, right password, answered by Access-Accept`,
  code: PacketCode.AccessRequest,
  expectedCode: PacketCode.AccessAccept,
  variants: demoUsers.map(papRequest),
  freeRadiusUsers: demoUsers.map((name) => ({ name, password: DEMO_PASSWORD })),
  notes: [
    'Not like for like: radmfa does an LDAP search and a bind as the user per request (the LDAP stub runs in the radmfa process), FreeRADIUS compares with a Cleartext-Password from its users file. The ratio is end to end.',
  ],
};

export const papBench: BenchDefinition<typeof papParams, NetworkResults> = {
  name: 'pap',
  summary:
    'PAP Access-Request throughput and latency: radmfa (MFA off, LDAP stub) vs FreeRADIUS (users file), same run.',
  params: papParams,
  check: checkNetworkParams,
  run: (params, io) => runNetworkBench(papWorkload, params, io),
  render: (results) => renderNetworkResults('pap: PAP Access-Request, end to end', results),
};

if (isMainModule(import.meta.url)) runAsScript(papBench);
