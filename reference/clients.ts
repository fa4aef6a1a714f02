import type { BlockList } from 'node:net';
import { isIPv6 } from 'node:net';
import { blockListOf, parseCidr } from './config/cidr.ts';
import type { ClientConfig } from './config/server-config.ts';

export interface RadiusClient extends ClientConfig {
  readonly prefix: number;
}

/**
 * The RADIUS clients table: who may talk to the server and with which secret. The most specific
 * match wins, as in FreeRADIUS, so a /32 entry can override a subnet's secret.
 */
export class ClientTable {
  private readonly entries: { client: RadiusClient; list: BlockList; family: 'ipv4' | 'ipv6' }[];

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
