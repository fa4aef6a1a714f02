// What a load run sends to: the embedded default on loopback UDP in real time (`embedded`), the same
// stack in memory and virtual time (`embedded-virtual`), or an external server (HOST:PORT). When the
// server is radmfa's own, the run also reads what only the server and the MFA mock see: discards,
// MFA time, prompts sent.
import type { Clock, VirtualClock } from '../../runtime/clock.ts';
import type { Transport } from '../../runtime/transport.ts';
import { SystemClock } from '../../runtime/clock.ts';
import { createUdpTransport, type UdpMode } from '../../runtime/batch-udp.ts';
import type { NasServerInput } from '../../simulators/nas/index.ts';
import type { TargetInfo } from '../result.ts';
import { embeddedDefaultConfig } from '../embedded/defaults.ts';
import {
  EMBEDDED_SECRET,
  startUdpStack,
  startVirtualStack,
  type EmbeddedStack,
  type NetworkImpairments,
} from '../embedded/stacks.ts';
import type { LoadProfile } from './profile.ts';
import type { UserPool } from './users.ts';

export type LoadTargetSpec =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'embedded-virtual'; readonly network?: NetworkImpairments }
  | {
      readonly kind: 'external';
      readonly host: string;
      readonly port: number;
      /** Default port + 1. */
      readonly accountingPort?: number;
      readonly secret: string;
      /** The NAS's sockets: node:dgram (default), the batching addon, or the addon when built. */
      readonly udp?: UdpMode;
      /**
       * Batching addon only: read replies every N us while they keep coming (0 is off). Default:
       * receiveCoalescingUs().
       */
      readonly udpCoalesceUs?: number;
    };

/** What the server side saw, for targets that are radmfa's own. */
export interface ServerObserver {
  onDiscard(listener: () => void): void;
  /** A prompt the MFA mock sent, by the user's account name (lower case, no domain). */
  onPrompt(listener: (user: string) => void): void;
}

export interface LoadTarget {
  readonly info: TargetInfo;
  readonly clock: Clock;
  /** Set in virtual time: the caller drives it. */
  readonly virtualClock?: VirtualClock;
  readonly transport: Transport;
  readonly servers: readonly NasServerInput[];
  readonly observer?: ServerObserver;
  close(): Promise<void>;
}

function observe(stack: EmbeddedStack): { observer: ServerObserver; stop: () => void } {
  const discards: (() => void)[] = [];
  const prompts: ((user: string) => void)[] = [];
  stack.events.on('duplicate', (event) => {
    if (event.action === 'discard') for (const l of discards) l();
  });
  stack.events.on('packet-dropped', () => {
    for (const l of discards) l();
  });
  // The call history calls a waiter's predicate for every call it records; this one never matches,
  // so it sees every call of the run, and is removed when the run ends.
  const stop = new AbortController();
  stack.mock.service.history
    .waitFor((call) => {
      if (call.endpoint === 'begin' && call.user !== undefined) {
        const user = call.user.toLowerCase().split('@')[0] ?? '';
        for (const l of prompts) l(user);
      }
      return false;
    }, stop.signal)
    .catch(() => undefined);
  return {
    observer: {
      onDiscard: (l) => void discards.push(l),
      onPrompt: (l) => void prompts.push(l),
    },
    stop: () => stop.abort(),
  };
}

/**
 * Receive coalescing on batched sockets when a run does not say: one read per millisecond while
 * replies keep coming. Each wake-up of the process costs a few microseconds of scheduler and system
 * call time whatever it reads; reading a millisecond's replies at once (30 at 30,000/s) instead of
 * two or three per wake-up cut `radmfa load`'s CPU per request against FreeRADIUS by about a quarter
 * (README, Load testing). Latencies do not grow by the wait: a reply's time is when the kernel
 * queued it (runtime/batch-udp.ts).
 */
export const OPEN_MODEL_COALESCE_US = 1000;

/**
 * The coalescing a run gets: what it asked for, else OPEN_MODEL_COALESCE_US when every scenario is
 * open-model (arrivals do not wait for replies, so reading them a little later changes no offered
 * load), else 0: a closed-model VU sends its next request when its reply is handled, and a wait
 * there would lower the rate it drives.
 */
export function receiveCoalescingUs(requested: number | undefined, profile: LoadProfile): number {
  if (requested !== undefined) return requested;
  const scenarios = Object.values(profile.scenarios);
  const openModel =
    scenarios.length > 0 &&
    scenarios.every((s) => s.executor === 'constant-arrival-rate' || s.executor === 'ramping-arrival-rate');
  return openModel ? OPEN_MODEL_COALESCE_US : 0;
}

export async function openLoadTarget(
  spec: LoadTargetSpec,
  pool: UserPool,
  seed: number,
  profile: LoadProfile,
): Promise<LoadTarget> {
  if (spec.kind === 'external') {
    const coalesceUs = receiveCoalescingUs(spec.udpCoalesceUs, profile);
    const udp = createUdpTransport(spec.udp ?? 'dgram', {}, { coalesceUs });
    // Which sockets ran is part of what was measured: say so when it is not plain node:dgram, and
    // why `auto` fell back when it did.
    const sockets =
      udp.udp === 'batch'
        ? coalesceUs > 0
          ? ` (batched UDP sockets, replies read every ${coalesceUs} us while they flow)`
          : ' (batched UDP sockets)'
        : udp.fallback !== undefined
          ? ` (node:dgram sockets: ${udp.fallback.detail})`
          : '';
    return {
      info: {
        kind: 'external',
        address: `${spec.host}:${spec.port}`,
        description: `RADIUS server at ${spec.host}:${spec.port}${sockets}`,
      },
      clock: new SystemClock(),
      transport: udp.transport,
      servers: [
        {
          host: spec.host,
          port: spec.port,
          ...(spec.accountingPort !== undefined ? { accountingPort: spec.accountingPort } : {}),
          secret: spec.secret,
        },
      ],
      close: () => Promise.resolve(),
    };
  }
  const directoryFixture = pool.embedded?.directoryFixture;
  if (directoryFixture === undefined) {
    throw new Error(
      'an embedded target needs users from the demo tenant or generated ones (users.source demo or generated)',
    );
  }
  const input = {
    serverConfig: embeddedDefaultConfig(),
    directoryFixture,
    ...(pool.embedded?.tenant !== undefined ? { tenant: pool.embedded.tenant } : {}),
    seed,
  };
  const stack =
    spec.kind === 'embedded'
      ? await startUdpStack(input)
      : await startVirtualStack({
          ...input,
          ...(spec.network !== undefined ? { network: spec.network } : {}),
        });
  const { observer, stop } = observe(stack);
  const virtual = spec.kind === 'embedded-virtual';
  return {
    info: {
      kind: virtual ? 'embedded-virtual' : 'embedded-udp',
      address: `${stack.auth.address}:${stack.auth.port}`,
      description: virtual
        ? 'reference server (embedded default), in memory and virtual time'
        : 'reference server (embedded default) on loopback UDP',
    },
    clock: stack.clock,
    ...(stack.virtualClock !== undefined ? { virtualClock: stack.virtualClock } : {}),
    transport: stack.transport,
    servers: [
      {
        host: stack.auth.address,
        port: stack.auth.port,
        accountingPort: stack.acct.port,
        secret: EMBEDDED_SECRET,
      },
    ],
    observer,
    close: async () => {
      stop();
      await stack.close();
    },
  };
}
