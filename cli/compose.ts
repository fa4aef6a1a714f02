import { SystemClock, type Clock } from '../runtime/clock.ts';
import type { Transport } from '../runtime/transport.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { openAccountingStore, type AccountingStore } from '../reference/accounting/index.ts';
import type { ServerConfig } from '../reference/config/server-config.ts';
import { LdapDirectory } from '../reference/directory/ldap-directory.ts';
import type { ServerEvents } from '../reference/events.ts';
import { ReferenceServer } from '../reference/server.ts';
import { startLdapStub, type LdapStub } from '../simulators/ldap/index.ts';

// The one place where the reference server meets the simulators (reference/ and simulators/ never
// import each other): `radmfa serve`, `npm start` and integration tests compose a stack here.

export interface Stack {
  readonly server: ReferenceServer;
  readonly config: ServerConfig;
  readonly ldapStub?: LdapStub;
  readonly accounting: AccountingStore;
  readonly directoryUrl: string;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly clock?: Clock;
  readonly transport?: Transport;
  readonly events?: ServerEvents;
}

export async function startStack(config: ServerConfig, options: StackOptions = {}): Promise<Stack> {
  const clock = options.clock ?? new SystemClock();
  const transport = options.transport ?? new UdpTransport();
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    let directoryConfig = config.directory;
    let ldapStub: LdapStub | undefined;
    if (directoryConfig.embeddedFixture !== undefined) {
      const stub = await startLdapStub({ fixturePath: directoryConfig.embeddedFixture, clock });
      ldapStub = stub;
      cleanups.push(() => stub.stop());
      // The stub's own service account and base are the defaults; explicit settings still win.
      directoryConfig = {
        ...directoryConfig,
        bindDn: directoryConfig.bindDn || stub.serviceAccount.dn,
        bindPassword: directoryConfig.bindPassword || stub.serviceAccount.password,
        baseDn: directoryConfig.baseDn || stub.baseDn,
      };
    }
    const directoryUrl = ldapStub?.url ?? directoryConfig.url ?? '';
    const directory = new LdapDirectory({ config: directoryConfig, url: directoryUrl, clock });
    cleanups.push(() => directory.close());
    const accounting = openAccountingStore(config.accounting.path);
    cleanups.push(() => accounting.close());
    const effective: ServerConfig = { ...config, directory: directoryConfig };
    const server = await ReferenceServer.start({
      config: effective,
      transport,
      clock,
      directory,
      accounting,
      ...(options.events !== undefined ? { events: options.events } : {}),
    });
    cleanups.push(() => server.close());
    return {
      server,
      config: effective,
      accounting,
      directoryUrl,
      ...(ldapStub !== undefined ? { ldapStub } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
