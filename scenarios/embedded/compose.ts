// The embedded compositions live in scenarios/ (which may import reference/ and simulators/) so the
// conformance engine can build stacks; cli/ imports them from here.
import { SystemClock, type Clock } from '../../runtime/clock.ts';
import type { Transport } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { openAccountingStore, type AccountingStore } from '../../reference/accounting/index.ts';
import type { ServerConfig } from '../../reference/config/server-config.ts';
import { LdapDirectory } from '../../reference/directory/ldap-directory.ts';
import { StaticDirectory } from '../../reference/directory/static-directory.ts';
import type { Directory } from '../../reference/directory/types.ts';
import { ServerEvents } from '../../reference/events.ts';
import { ReferenceServer } from '../../reference/server.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import type { CertificateCredential, CertificateWarningCode } from '../../reference/mfa/client-credential.ts';
import { embeddedCredential } from './certificates.ts';
import { embeddedResource, serveEmbeddedCloud } from './mfa-cloud-embedded.ts';
import { loadDirectoryFixture, startLdapStub, type LdapStub } from '../../simulators/ldap/index.ts';
import { staticRecords } from './static-records.ts';
import type { MfaHttpServer, MfaMock, TenantDefinition } from '../../simulators/mfa/index.ts';

// The one place where the reference server meets the simulators (reference/ and simulators/ never
// import each other): `radmfa serve`, `npm start` and integration tests compose a stack here.

export interface Stack {
  readonly server: ReferenceServer;
  readonly config: ServerConfig;
  readonly ldapStub?: LdapStub;
  /** The embedded MFA mock, when the config names a tenant file. */
  readonly mfaMock?: MfaMock;
  readonly mfaHttp?: MfaHttpServer;
  readonly mfaUrl?: string;
  readonly accounting: AccountingStore;
  /** The directory the server reads (its pool statistics feed the metrics). */
  readonly directory: Directory;
  readonly directoryUrl: string;
  /** The MFA client and what it trusts and signs with, for the admin port's readiness checks. */
  readonly mfaClient?: MfaClientParts;
  close(): Promise<void>;
}

export interface MfaClientParts {
  readonly cloud: CloudMfa;
  readonly credential: CertificateCredential;
  /** The embedded mock's run CA, when it is the trust anchor instead of mfa.caFile. */
  readonly ca?: string;
  /** Where the certificates came from: mfa.certificates.dir, or generated at start-up. */
  readonly certificateSource: string;
}

export interface StackOptions {
  readonly clock?: Clock;
  readonly transport?: Transport;
  readonly events?: ServerEvents;
  /** Replaces fetch for the MFA client (tests that serve the mock in process with msw). */
  readonly fetch?: typeof fetch;
  /** Replaces the config's tenant file for the embedded MFA mock (a suite case's tenant overrides). */
  readonly tenant?: TenantDefinition;
  /** Seeds the embedded MFA mock's user models (overrides the tenant's settings.seed). */
  readonly mfaSeed?: number;
  /** With listen.workers > 1: this worker's index, carried in the States it opens. */
  readonly stateTag?: number;
}

export async function startStack(config: ServerConfig, options: StackOptions = {}): Promise<Stack> {
  const clock = options.clock ?? new SystemClock();
  const transport = options.transport ?? new UdpTransport();
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    // Last opened, first closed; one failing cleanup must not leave the others open.
    let first: Error | undefined;
    for (const cleanup of [...cleanups].reverse()) {
      try {
        await cleanup();
      } catch (error) {
        first ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    cleanups.length = 0;
    if (first !== undefined) throw first;
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
    const directoryUrl =
      directoryConfig.staticFixture !== undefined
        ? `static:${directoryConfig.staticFixture}`
        : (ldapStub?.url ?? directoryConfig.url ?? '');
    const directory: Directory =
      directoryConfig.staticFixture !== undefined
        ? new StaticDirectory({
            users: staticRecords(await loadDirectoryFixture(directoryConfig.staticFixture)),
            clock,
          })
        : new LdapDirectory({
            config: directoryConfig,
            url: directoryUrl,
            clock,
            // The MFA step identifies the user by this attribute, so the search must ask for it.
            ...(config.mfa.enabled && config.mfa.LDAP_ALTERNATE_LOGINID_ATTRIBUTE !== undefined
              ? { alternateLoginIdAttribute: config.mfa.LDAP_ALTERNATE_LOGINID_ATTRIBUTE }
              : {}),
          });
    cleanups.push(() => directory.close());
    const accounting = openAccountingStore(config.accounting.path);
    cleanups.push(() => accounting.close());
    let mfaSettings = config.mfa;
    let mfaMock: MfaMock | undefined;
    let mfaHttp: MfaHttpServer | undefined;
    let credential: CertificateCredential | undefined;
    let mfaCa: string | undefined;
    const events = options.events ?? new ServerEvents();
    const onCertificateWarning = (code: CertificateWarningCode, message: string): void =>
      events.emit('warning', { code, message });
    if (mfaSettings.enabled && mfaSettings.embeddedTenant !== undefined) {
      // Loaded only when used: msw costs about a second of start-up that a server without MFA need not pay.
      const { createMfaMock, loadTenantFile, serveMfaMock } = await import('../../simulators/mfa/index.ts');
      const loaded = options.tenant ?? (await loadTenantFile(mfaSettings.embeddedTenant));
      mfaSettings = { ...mfaSettings, tenantId: mfaSettings.tenantId || loaded.id };
      const embedded = await embeddedCredential(mfaSettings, clock, loaded, onCertificateWarning);
      credential = embedded.credential;
      cleanups.push(() => embedded.credential.close());
      const mock = createMfaMock({
        tenant: embedded.tenant ?? loaded,
        clock,
        ...(options.mfaSeed !== undefined ? { seed: options.mfaSeed } : {}),
        ...(mfaSettings.embeddedHttps ? { resource: embeddedResource(mfaSettings) } : {}),
      });
      mfaMock = mock;
      cleanups.push(() => mock.dispose());
      if (mfaSettings.embeddedHttps) {
        const cloud = await serveEmbeddedCloud(mock, mfaSettings);
        cleanups.push(() => cloud.servers.close());
        mfaHttp = cloud.servers.mfa;
        mfaCa = cloud.caPem;
        mfaSettings = cloud.settings;
      } else {
        const http = await serveMfaMock(mock, { host: '127.0.0.1', port: 0 });
        mfaHttp = http;
        cleanups.push(() => http.close());
        mfaSettings = { ...mfaSettings, serviceUrl: mfaSettings.serviceUrl || http.url };
      }
    } else if (mfaSettings.enabled) {
      credential = (await embeddedCredential(mfaSettings, clock, undefined, onCertificateWarning)).credential;
    }
    const effective: ServerConfig = { ...config, directory: directoryConfig, mfa: mfaSettings };
    const secondFactor =
      mfaSettings.enabled && credential !== undefined
        ? new CloudMfa({
            settings: mfaSettings,
            clock,
            credential,
            ...(mfaCa !== undefined ? { ca: mfaCa } : {}),
            ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
            onWarning: (code, message, context) =>
              events.emit('warning', {
                code,
                message,
                client: context.client,
                userName: context.user.accountName,
              }),
          })
        : undefined;
    if (secondFactor !== undefined) cleanups.push(() => secondFactor.close());
    const server = await ReferenceServer.start({
      config: effective,
      transport,
      clock,
      directory,
      accounting,
      events,
      ...(secondFactor !== undefined ? { secondFactor } : {}),
      ...(options.stateTag !== undefined ? { stateTag: options.stateTag } : {}),
    });
    cleanups.push(() => server.close());
    return {
      server,
      config: effective,
      accounting,
      directory,
      directoryUrl,
      ...(ldapStub !== undefined ? { ldapStub } : {}),
      ...(mfaMock !== undefined ? { mfaMock } : {}),
      ...(mfaHttp !== undefined ? { mfaHttp } : {}),
      ...(mfaSettings.enabled ? { mfaUrl: mfaSettings.serviceUrl || secondFactor?.endpoints.mfa } : {}),
      ...(secondFactor !== undefined && credential !== undefined
        ? {
            mfaClient: {
              cloud: secondFactor,
              credential,
              ...(mfaCa !== undefined ? { ca: mfaCa } : {}),
              certificateSource:
                mfaSettings.certificateDir ?? 'generated at start-up for the embedded tenant',
            },
          }
        : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
