// Which hosts the second factor talks to. The NPS extension has three registry values for them and
// leaves them unset for the public cloud; Azure Government and Azure operated by 21Vianet (China) set
// all three (the seed's "additional steps"). radmfa takes a `cloud` preset and lets each value be
// overridden under its registry name.

/** The clouds the seed documents; the installer's -AzureEnvironment names are in the README. */
export type MfaCloud = 'public' | 'usgov' | 'china';

export const MFA_CLOUDS: readonly MfaCloud[] = ['public', 'usgov', 'china'];

/** The three registry values, as the seed gives them (HKLM\SOFTWARE\Microsoft\AzureMfa). */
export interface CloudHosts {
  /** Host of the MFA service: begin, poll and code calls go there. */
  readonly AZURE_MFA_HOSTNAME: string;
  /** The resource the token is requested for (its audience); nothing connects to it. */
  readonly AZURE_MFA_RESOURCE_HOSTNAME: string;
  /** Security token service: token requests go there. */
  readonly STS_URL: string;
}

export const CLOUD_PRESETS: Readonly<Record<MfaCloud, CloudHosts>> = {
  public: {
    AZURE_MFA_HOSTNAME: 'strongauthenticationservice.auth.microsoft.com',
    AZURE_MFA_RESOURCE_HOSTNAME: 'adnotifications.windowsazure.com',
    STS_URL: 'https://login.microsoftonline.com/',
  },
  usgov: {
    AZURE_MFA_HOSTNAME: 'strongauthenticationservice.auth.microsoft.us',
    AZURE_MFA_RESOURCE_HOSTNAME: 'adnotifications.windowsazure.us',
    STS_URL: 'https://login.microsoftonline.us/',
  },
  china: {
    AZURE_MFA_HOSTNAME: 'strongauthenticationservice.auth.microsoft.cn',
    AZURE_MFA_RESOURCE_HOSTNAME: 'adnotifications.windowsazure.cn',
    STS_URL: 'https://login.chinacloudapi.cn/',
  },
};

/** Where each call goes, as base URLs (origin and "/"). */
export interface MfaEndpoints {
  /** Token requests. */
  readonly sts: string;
  /** Begin, poll and code. */
  readonly mfa: string;
  /** The token's audience, "https://" + AZURE_MFA_RESOURCE_HOSTNAME. */
  readonly resource: string;
}

export interface EndpointSettings extends CloudHosts {
  /** One compatible service playing every host (the embedded mock, a lab service); wins when set. */
  readonly serviceUrl: string;
}

/**
 * The base URLs the MFA client uses. The MFA host is always spoken to over HTTPS: plain HTTP is only
 * reachable through an explicit http:// URL (serviceUrl or STS_URL), which the config's rules allow
 * for loopback or with allowInsecureHttp.
 */
export function mfaEndpoints(settings: EndpointSettings): MfaEndpoints {
  const resource = `https://${settings.AZURE_MFA_RESOURCE_HOSTNAME}`;
  if (settings.serviceUrl !== '') return { sts: settings.serviceUrl, mfa: settings.serviceUrl, resource };
  return { sts: settings.STS_URL, mfa: `https://${settings.AZURE_MFA_HOSTNAME}/`, resource };
}

/** DNS host names (RFC 1123 labels); the extension's values are host names, not URLs. */
export const HOSTNAME_PATTERN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** 127.0.0.0/8, ::1 and localhost: plain HTTP to them never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
