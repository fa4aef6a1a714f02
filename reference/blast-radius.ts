import { isIPv6 } from 'node:net';
import {
  EAP_MESSAGE_TYPE,
  MESSAGE_AUTHENTICATOR_TYPE,
  PROXY_STATE_TYPE,
  PacketCode,
  type RadiusPacket,
  type VerifyOptions,
} from '../protocol/index.ts';
import type { RadiusClient } from './clients.ts';
import type { BlastRadiusSetting } from './config/server-config.ts';
import type { WarningCode } from './events.ts';

// The Blast-RADIUS (CVE-2024-3596) settings as FreeRADIUS 3.2.5 names them, per client:
// requireMessageAuthenticator and limitProxyState, each true, false or auto. `auto` learns from the
// client's own Access-Requests, which is how an operator upgrades NASes one at a time without
// editing the server: once a NAS has shown it signs its requests, an unsigned one from its address
// can only be a forgery.

export interface BlastRadiusWarning {
  readonly code: Extract<WarningCode, 'message-authenticator-learned' | 'proxy-state-unprotected'>;
  readonly client: string;
  readonly message: string;
}

interface ClientState {
  requireMessageAuthenticator: BlastRadiusSetting;
  limitProxyState: BlastRadiusSetting;
}

/**
 * A client entry learns only when it stands for one host. A CIDR entry covers many NASes, upgraded
 * and not, and one NAS's upgrade must not lock the others out (FreeRADIUS: "Don't change it from
 * auto for wildcard clients").
 */
function isSingleHost(client: RadiusClient): boolean {
  let single = singleHost.get(client);
  if (single === undefined) {
    const address = client.address.split('/')[0] ?? '';
    single = client.prefix === (isIPv6(address) ? 128 : 32);
    singleHost.set(client, single);
  }
  return single;
}

/** Per client entry (fixed at load): the address test is a long regular expression, run once. */
const singleHost = new WeakMap<RadiusClient, boolean>();

function has(packet: RadiusPacket, type: number): boolean {
  for (const attribute of packet.attributes) if (attribute.type === type) return true;
  return false;
}

/**
 * What verifyRequest is asked to enforce: one object per combination, since every request reads one
 * (an object per request was garbage for nothing).
 */
const ENFORCE_NEITHER: VerifyOptions = { requireMessageAuthenticator: false, limitProxyState: false };
const ENFORCE_REQUIRE: VerifyOptions = { requireMessageAuthenticator: true, limitProxyState: false };
const ENFORCE_LIMIT: VerifyOptions = { requireMessageAuthenticator: false, limitProxyState: true };
const ENFORCE_BOTH: VerifyOptions = { requireMessageAuthenticator: true, limitProxyState: true };

/** learn() on the usual request: nothing learned, nothing to warn about. */
const NO_WARNINGS: readonly BlastRadiusWarning[] = [];

/** The per-client Blast-RADIUS state: what the config set, and what `auto` has learned since start. */
export class BlastRadiusGuard {
  private readonly states = new Map<string, ClientState>();

  private state(client: RadiusClient): ClientState {
    let state = this.states.get(client.name);
    if (state === undefined) {
      state = {
        requireMessageAuthenticator: client.requireMessageAuthenticator,
        limitProxyState: client.limitProxyState,
      };
      this.states.set(client.name, state);
    }
    return state;
  }

  /** What verifyRequest must enforce for this client now (`auto` enforces nothing until it learns). */
  verifyOptions(client: RadiusClient): VerifyOptions {
    const state = this.state(client);
    const limit = state.limitProxyState === true;
    if (state.requireMessageAuthenticator === true) return limit ? ENFORCE_BOTH : ENFORCE_REQUIRE;
    return limit ? ENFORCE_LIMIT : ENFORCE_NEITHER;
  }

  /** The settings in force for a client, learned values included (for stats and tests). */
  settings(client: RadiusClient): Readonly<ClientState> {
    return { ...this.state(client) };
  }

  /**
   * Learns from an Access-Request that passed verification (so a Message-Authenticator in it was
   * made with the client's secret: a spoofed packet cannot teach anything). Returns what changed.
   */
  learn(client: RadiusClient, packet: RadiusPacket): readonly BlastRadiusWarning[] {
    if (packet.code !== PacketCode.AccessRequest || !isSingleHost(client)) return NO_WARNINGS;
    const state = this.state(client);
    if (state.requireMessageAuthenticator === true) return NO_WARNINGS;
    const signed = has(packet, MESSAGE_AUTHENTICATOR_TYPE);
    // EAP requires Message-Authenticator anyway (RFC 3579 3.3); the same NAS may still send
    // unsigned PAP, so an EAP packet says nothing about its habits.
    if (signed && has(packet, EAP_MESSAGE_TYPE)) return NO_WARNINGS;
    if (signed && state.requireMessageAuthenticator === 'auto') {
      state.requireMessageAuthenticator = true;
      return [
        {
          code: 'message-authenticator-learned',
          client: client.name,
          message: `client ${client.name} sent a Message-Authenticator: Access-Requests without one are dropped from now on (requireMessageAuthenticator: auto); set requireMessageAuthenticator: true for it`,
        },
      ];
    }
    if (state.limitProxyState !== 'auto') return NO_WARNINGS;
    if (!signed && has(packet, PROXY_STATE_TYPE)) {
      state.limitProxyState = false;
      return [
        {
          code: 'proxy-state-unprotected',
          client: client.name,
          message: `client ${client.name} sent Proxy-State without Message-Authenticator first: a proxy not upgraded, or a Blast-RADIUS attempt; limitProxyState is off for it; upgrade it and set requireMessageAuthenticator: true`,
        },
      ];
    }
    // The usual case (a NAS, no Proxy-State): the protection turns on quietly, nothing to act on.
    state.limitProxyState = true;
    return NO_WARNINGS;
  }
}

/** Clients left open to a forged Access-Request: neither setting can ever turn on for them. */
export function blastRadiusStartupWarnings(
  clients: readonly Pick<RadiusClient, 'name' | 'requireMessageAuthenticator' | 'limitProxyState'>[],
): BlastRadiusStartupWarning[] {
  return clients
    .filter((c) => c.requireMessageAuthenticator === false && c.limitProxyState === false)
    .map((c) => ({
      code: 'blast-radius-unprotected',
      client: c.name,
      message: `client ${c.name}: requireMessageAuthenticator and limitProxyState are both false, so forged Access-Requests (Blast-RADIUS) are not stopped; set either to true or auto`,
    }));
}

export interface BlastRadiusStartupWarning {
  readonly code: 'blast-radius-unprotected';
  readonly client: string;
  readonly message: string;
}
