import type { BlockList } from 'node:net';
import { isIPv6 } from 'node:net';
import { blockListOf, parseCidr } from './config/cidr.ts';
import type { ClientConfig } from './config/server-config.ts';

export interface RadiusClient extends ClientConfig {
  readonly prefix: number;
}

const MAX_REMEMBERED_ADDRESSES = 4096;

/**
 * The RADIUS clients table: who may talk to the server and with which secret. The most specific
 * match wins, as in FreeRADIUS, so a /32 entry can override a subnet's secret.
 */
export class ClientTable {
  private readonly entries: { client: RadiusClient; list: BlockList; family: 'ipv4' | 'ipv6' }[];
  /**
   * Source address -> entry (or null: no client), so a packet costs one Map lookup: the BlockList
   * check builds a SocketAddress per call, which showed in the per-request profile. A RADIUS server
   * hears from few addresses; the bound keeps a scan of spoofed sources from growing it.
   */
  private readonly seen = new Map<string, RadiusClient | null>();

  constructor(clients: readonly ClientConfig[]) {
    this.entries = clients
      .map((client) => {
        const cidr = parseCidr(client.address);
        if (cidr === undefined) throw new Error(`client ${client.name}: invalid address ${client.address}`);
        return { client: { ...client, prefix: cidr.prefix }, list: blockListOf(cidr), family: cidr.family };
      })
      .sort((a, b) => b.client.prefix - a.client.prefix);
  }

  match(address: string): RadiusClient | undefined {
    const known = this.seen.get(address);
    if (known !== undefined) return known ?? undefined;
    const found = this.lookup(address);
    if (this.seen.size >= MAX_REMEMBERED_ADDRESSES) this.seen.clear();
    this.seen.set(address, found ?? null);
    return found;
  }

  private lookup(address: string): RadiusClient | undefined {
    // An IPv4 client reaching a dual-stack socket shows up as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIPv6(plain) ? 'ipv6' : 'ipv4';
    for (const entry of this.entries) {
      if (entry.family === family && entry.list.check(plain, family)) return entry.client;
    }
    return undefined;
  }

  get size(): number {
    return this.entries.length;
  }
}
