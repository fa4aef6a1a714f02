// A fuzz run over real UDP on loopback: a reference server (MFA off, one account in a static
// directory, accounting in SQLite :memory:) gets batches of generated datagrams from its NAS
// address and from an address it does not know. Every datagram the server sends is seen where it
// leaves (a tap on its Transport), matched to the request it answers by Response Authenticator,
// and judged by scenarios/fuzz/oracle.ts. After each batch a valid login must still be accepted.
import fc from 'fast-check';
import { PacketCode, buildRequest } from '../../protocol/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { DatagramSocket, Endpoint, Transport } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { ValidationError } from '../../runtime/validation/index.ts';
import { openAccountingStore } from '../../reference/accounting/index.ts';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { StaticDirectory } from '../../reference/directory/static-directory.ts';
import { ServerEvents, type DropReason } from '../../reference/events.ts';
import { ReferenceServer } from '../../reference/server.ts';
import {
  FUZZ_USER,
  caseLabel,
  coverageKeys,
  datagramOf,
  fuzzCaseArbitrary,
  type FuzzCase,
} from './datagrams.ts';
import { judgeAnswer, responseMatches, type Account, type ViolationKind } from './oracle.ts';

export const FUZZ_SECRET = 'fuzz-shared-secret';
const NAS_ADDRESS = '127.0.0.1';
/** Loopback, but covered by no client entry. */
const STRANGER_ADDRESS = '127.0.0.2';
const ACCOUNT: Account = { names: [FUZZ_USER.name, FUZZ_USER.upn], password: FUZZ_USER.password };

export interface FuzzOptions {
  /** Datagrams to send (the run may stop earlier on its time budget). */
  readonly count: number;
  readonly seed: number;
  /** Datagrams per batch; a probe login follows each batch. */
  readonly batchSize: number;
  /** Stop starting batches after this long (ms); 0: no budget. */
  readonly budgetMs: number;
  readonly clock: Clock;
  /** How long a batch may take to be received and handled before its stragglers count as lost. */
  readonly settleMs?: number;
  readonly onBatch?: (progress: {
    readonly batches: number;
    readonly sent: number;
    readonly violations: number;
  }) => void;
}

export interface ViolationExample {
  readonly kind: ViolationKind;
  readonly batch: number;
  readonly index: number;
  readonly label: string;
  /** The datagram sent, hex (at most 256 octets shown). */
  readonly datagram: string;
}

export interface FuzzSummary {
  readonly schemaVersion: 1;
  /** Replays the run: the same seed and batch size send the same datagrams. */
  readonly seed: number;
  readonly batchSize: number;
  readonly requested: number;
  readonly sent: number;
  readonly batches: number;
  readonly budgetExhausted: boolean;
  readonly fromClient: number;
  readonly fromStranger: number;
  readonly answered: number;
  /** Datagrams the server did not receive (or finish) within the settle time: kernel drops, not verdicts. */
  readonly lost: number;
  readonly violations: Readonly<Partial<Record<ViolationKind, number>>>;
  readonly violationCount: number;
  readonly examples: readonly ViolationExample[];
  readonly probes: { readonly sent: number; readonly accepted: number };
  /** Datagrams sent per template, per mutation and per random shape (coverageKeys). */
  readonly coverage: Readonly<Partial<Record<string, number>>>;
  readonly sizes: {
    readonly min: number;
    readonly max: number;
    readonly under20: number;
    readonly over4096: number;
  };
  /** The server's own drop counters at the end, by reason. */
  readonly serverDrops: Readonly<Partial<Record<DropReason, number>>>;
  readonly durationMs: number;
  readonly datagramsPerSecond: number;
}

interface Sent {
  readonly bytes: Buffer;
  readonly source: FuzzCase['source'] | 'probe';
  readonly label: string;
  readonly index: number;
}

interface ServerSend {
  readonly bytes: Buffer;
  readonly to: Endpoint;
}

/** Records every datagram the server sends, synchronously, before it reaches the kernel. */
class SendTap implements Transport {
  readonly sends: ServerSend[] = [];
  constructor(private readonly inner: Transport) {}

  async bind(options: Parameters<Transport['bind']>[0]): Promise<DatagramSocket> {
    const socket = await this.inner.bind(options);
    return {
      local: socket.local,
      send: (data, to) => {
        this.sends.push({ bytes: Buffer.from(data), to });
        return socket.send(data, to);
      },
      onMessage: (handler) => socket.onMessage(handler),
      close: () => socket.close(),
    };
  }
}

/** fast-check seeds are 32-bit; each batch gets its own, derived from the run's. */
const batchSeed = (seed: number, batch: number): number => (seed + Math.imul(batch, 0x9e3779b1)) | 0;

export function batchCases(seed: number, batch: number, size: number): FuzzCase[] {
  return fc.sample(fuzzCaseArbitrary, { seed: batchSeed(seed, batch), numRuns: size });
}

async function startTarget(
  transport: Transport,
  clock: Clock,
): Promise<{ server: ReferenceServer; close: () => Promise<void> }> {
  const normalised = normaliseServerConfig({
    listen: { hosts: [NAS_ADDRESS], authPort: 0, acctPort: 0 },
    // Both Blast-RADIUS settings off, so unsigned datagrams reach authentication: the strictest
    // test of "never accepts a wrong password". The settings themselves have their own tests.
    clients: [
      {
        name: 'fuzz-nas',
        address: NAS_ADDRESS,
        secret: FUZZ_SECRET,
        requireMessageAuthenticator: false,
        limitProxyState: false,
      },
    ],
    directory: { url: 'ldap://127.0.0.1:389' },
    accounting: { path: ':memory:' },
    admin: null,
  });
  if (!normalised.ok) throw new ValidationError('the fuzz target config', normalised.issues);
  const directory = new StaticDirectory({
    clock,
    users: [
      {
        dn: 'CN=Alice,OU=Users,DC=radmfa,DC=test',
        sAMAccountName: FUZZ_USER.name,
        userPrincipalName: FUZZ_USER.upn,
        password: FUZZ_USER.password,
        memberOf: [],
        attributes: {
          userAccountControl: ['512'],
          accountExpires: ['0'],
          pwdLastSet: ['133000000000000000'],
        },
      },
    ],
  });
  const accounting = openAccountingStore(':memory:');
  const server = await ReferenceServer.start({
    config: normalised.config,
    transport,
    clock,
    directory,
    accounting,
    events: new ServerEvents(),
  });
  return {
    server,
    close: async () => {
      await server.close();
      accounting.close();
    },
  };
}

class Counter<K extends string> {
  readonly counts: Partial<Record<K, number>> = {};
  add(key: K, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }
  get total(): number {
    return Object.values<number | undefined>(this.counts).reduce<number>((a, b) => a + (b ?? 0), 0);
  }
}

const MAX_EXAMPLES = 20;

/** Runs the fuzz campaign and returns what it found; never throws for a violation. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const { clock } = options;
  const tap = new SendTap(new UdpTransport());
  const target = await startTarget(tap, clock);
  const udp = new UdpTransport();
  const nas = await udp.bind({ address: NAS_ADDRESS, port: 0 });
  const stranger = await udp.bind({ address: STRANGER_ADDRESS, port: 0 });
  const received: Buffer[] = [];
  nas.onMessage((data) => received.push(Buffer.from(data)));
  stranger.onMessage(() => undefined);
  const [auth] = target.server.endpoints('auth');
  const [acct] = target.server.endpoints('acct');
  if (auth === undefined || acct === undefined) throw new Error('the fuzz target has no sockets');

  const violations = new Counter<ViolationKind>();
  const examples: ViolationExample[] = [];
  const coverage = new Counter<string>();
  const sizes = { min: Number.POSITIVE_INFINITY, max: 0, under20: 0, over4096: 0 };
  let serverErrors = 0;
  target.server.events.on('error', () => serverErrors++);
  const started = clock.now();
  let sent = 0;
  let fromStranger = 0;
  let answered = 0;
  let lost = 0;
  let batches = 0;
  let budgetExhausted = false;
  const probes = { sent: 0, accepted: 0 };
  const settleMs = options.settleMs ?? 10_000;

  const note = (kind: ViolationKind, batch: number, item: Sent): void => {
    violations.add(kind);
    if (examples.length < MAX_EXAMPLES)
      examples.push({
        kind,
        batch,
        index: item.index,
        label: item.label,
        datagram: item.bytes.subarray(0, 256).toString('hex'),
      });
  };

  try {
    while (sent < options.count) {
      if (options.budgetMs > 0 && clock.now() - started >= options.budgetMs) {
        budgetExhausted = true;
        break;
      }
      const batch = batches++;
      const size = Math.min(options.batchSize, options.count - sent);
      const cases = batchCases(options.seed, batch, size);
      const receivedBefore = target.server.stats().received;
      const sendsBefore = tap.sends.length;
      const items: Sent[] = [];
      await Promise.all(
        cases.map((c, index) => {
          const bytes = datagramOf(c, FUZZ_SECRET);
          const item: Sent = { bytes, source: c.source, label: caseLabel(c), index };
          items.push(item);
          for (const key of coverageKeys(c)) coverage.add(key);
          sizes.min = Math.min(sizes.min, bytes.length);
          sizes.max = Math.max(sizes.max, bytes.length);
          if (bytes.length < 20) sizes.under20++;
          if (bytes.length > 4096) sizes.over4096++;
          if (c.source === 'stranger') fromStranger++;
          const to = bytes[0] === PacketCode.AccountingRequest ? acct : auth;
          return (c.source === 'stranger' ? stranger : nas).send(bytes, to);
        }),
      );
      sent += size;
      // Positive signal: the server counted every datagram and has none left in flight.
      const deadline = clock.now() + settleMs;
      while (
        (target.server.stats().received < receivedBefore + size || target.server.stats().inFlight > 0) &&
        clock.now() < deadline
      ) {
        await clock.sleep(2);
      }
      lost += Math.max(0, receivedBefore + size - target.server.stats().received);

      const probe = buildRequest({
        code: PacketCode.AccessRequest,
        identifier: batch % 256,
        secret: FUZZ_SECRET,
        attributes: [
          { name: 'User-Name', value: FUZZ_USER.name },
          { name: 'User-Password', value: FUZZ_USER.password },
        ],
      }).bytes;
      probes.sent++;
      const probeItem: Sent = { bytes: probe, source: 'probe', label: 'probe', index: -1 };
      const accepted = await probeAnswer(nas, received, probe, auth, clock, settleMs);
      if (accepted) probes.accepted++;
      else note('stopped-answering', batch, probeItem);

      for (const send of tap.sends.slice(sendsBefore)) {
        answered++;
        if (send.to.address !== NAS_ADDRESS || send.to.port !== nas.local.port) {
          note('answered-non-client', batch, {
            bytes: send.bytes,
            source: 'stranger',
            label: 'reply',
            index: -1,
          });
          continue;
        }
        const request = [...items.filter((i) => i.source === 'client'), probeItem].find(
          (i) => i.bytes[1] === send.bytes[1] && responseMatches(send.bytes, i.bytes, FUZZ_SECRET),
        );
        if (request === undefined) {
          note('reply-not-matching-a-request', batch, {
            bytes: send.bytes,
            source: 'client',
            label: 'reply',
            index: -1,
          });
          continue;
        }
        if (request.source === 'probe') {
          answered--;
          continue;
        }
        for (const kind of judgeAnswer(request.bytes, send.bytes, FUZZ_SECRET, ACCOUNT))
          note(kind, batch, request);
      }
      tap.sends.length = 0;
      received.length = 0;
      if (serverErrors > 0) {
        violations.add('server-error', serverErrors);
        serverErrors = 0;
      }
      options.onBatch?.({ batches, sent, violations: violations.total });
    }
  } finally {
    await Promise.all([nas.close(), stranger.close()]);
    await target.close();
  }
  const stats = target.server.stats();
  const durationMs = clock.now() - started;
  return {
    schemaVersion: 1,
    seed: options.seed,
    batchSize: options.batchSize,
    requested: options.count,
    sent,
    batches,
    budgetExhausted,
    fromClient: sent - fromStranger,
    fromStranger,
    answered,
    lost,
    violations: violations.counts,
    violationCount: violations.total,
    examples,
    probes,
    coverage: coverage.counts,
    sizes: { ...sizes, min: sent === 0 ? 0 : sizes.min },
    serverDrops: stats.dropped,
    durationMs,
    datagramsPerSecond: durationMs > 0 ? Math.round((sent / durationMs) * 1000) : 0,
  };
}

/** Sends the probe and waits (on the clock) for an Access-Accept that answers it. */
async function probeAnswer(
  socket: DatagramSocket,
  received: readonly Buffer[],
  probe: Buffer,
  to: Endpoint,
  clock: Clock,
  timeoutMs: number,
): Promise<boolean> {
  await socket.send(probe, to);
  const deadline = clock.now() + timeoutMs;
  const answers = (): boolean =>
    received.some(
      (r) => r[0] === PacketCode.AccessAccept && r[1] === probe[1] && responseMatches(r, probe, FUZZ_SECRET),
    );
  while (!answers() && clock.now() < deadline) await clock.sleep(2);
  return answers();
}
