// The embedded MFA mock as a cloud: with mfa.embedded.https, the mock plays the configured cloud's
// token service and MFA host over HTTPS, each on its own loopback listener under its own name, with a
// CA made for this run. The server's MFA client then takes the same path as against the real
// service: names mapped to addresses (mfa.resolve), certificates verified, TLS 1.2 or later.

import type { MfaSettings } from '../../reference/config/mfa-config.ts';
import type { MfaCloudServers, MfaMock } from '../../simulators/mfa/index.ts';

export interface EmbeddedCloud {
  readonly servers: MfaCloudServers;
  /** The run CA (PEM): the MFA client's trust anchor. */
  readonly caPem: string;
  /** The settings with the cloud's names mapped to the listeners (explicit mappings still win). */
  readonly settings: MfaSettings;
}

/** "https://" + AZURE_MFA_RESOURCE_HOSTNAME: what the embedded STS issues tokens for. */
export function embeddedResource(settings: MfaSettings): string {
  return `https://${settings.AZURE_MFA_RESOURCE_HOSTNAME}`;
}

export async function serveEmbeddedCloud(mock: MfaMock, settings: MfaSettings): Promise<EmbeddedCloud> {
  // Loaded only here: x509 and the key generation cost nothing to a stack that does not ask for HTTPS.
  const [{ createRunCa }, { serveMfaCloud }] = await Promise.all([
    import('../../simulators/mfa/run-ca.ts'),
    import('../../simulators/mfa/index.ts'),
  ]);
  // Validity counted from the wall clock, whatever clock the stack runs on: TLS checks real time.
  const ca = await createRunCa({ commonName: 'radmfa embedded run CA' });
  const servers = await serveMfaCloud(mock, {
    hostnames: { sts: new URL(settings.STS_URL).hostname, mfa: settings.AZURE_MFA_HOSTNAME },
    certificateFor: (hostname) => ca.issue([hostname]),
  });
  return {
    servers,
    caPem: ca.certPem,
    settings: { ...settings, resolve: { ...servers.resolve, ...settings.resolve } },
  };
}
