// Drives wpa_supplicant's eapol_test (Debian package eapoltest) as an independent EAP peer over
// RADIUS (RFC 3579). It prints SUCCESS or FAILURE as its last line and hexdumps the keys it derived.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runProcess, toolPath } from '../../peers/tools.ts';

export type EapolMethod = 'md5' | 'mschapv2' | 'peap-mschapv2';

export interface EapolTestOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly method: EapolMethod;
  readonly identity: string;
  readonly password: string;
  /** Outer (unprotected) identity for PEAP. Default: `identity`. */
  readonly anonymousIdentity?: string;
  /** eapol_test's own timeout (-t) in seconds. Default 10; the process is killed 5 s after it. */
  readonly timeoutSeconds?: number;
  /**
   * Whether MPPE keys must come back (without -n, eapol_test fails when they are missing).
   * Default: false for md5 (it derives no keys), true otherwise.
   */
  readonly expectKeys?: boolean;
  /** More lines for the network block, e.g. `'eapol_flags=0'`. */
  readonly extraNetworkLines?: readonly string[];
  /** More eapol_test flags, e.g. `['-N', '30:s:ap-ssid']` or `['-M', '02:00:00:00:00:02']`. */
  readonly extraArgs?: readonly string[];
}

export interface EapolTestResult {
  /** Last line SUCCESS and exit status 0. */
  readonly success: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** stdout and stderr together. */
  readonly output: string;
  /** The MSK the peer derived (lowercase hex, no separators), when the method derives one. */
  readonly msk?: string;
  /** MS-MPPE-Send-Key / Recv-Key as received from the RADIUS server (RFC 2548), lowercase hex. */
  readonly mppeSendKey?: string;
  readonly mppeRecvKey?: string;
  /** eapol_test's own comparison of the server's MPPE keys with the peer's MSK. */
  readonly mppeKeysMatched?: boolean;
  /** The generated wpa_supplicant network config (for failure messages). */
  readonly config: string;
}

interface MethodProfile {
  readonly eap: string;
  /** Prefix of the "Derived key" hexdump that carries the outer method's MSK. */
  readonly keyLabel?: string;
  readonly derivesKeys: boolean;
  readonly extraLines: readonly string[];
}

const METHOD_PROFILES: Record<EapolMethod, MethodProfile> = {
  md5: { eap: 'MD5', derivesKeys: false, extraLines: [] },
  mschapv2: { eap: 'MSCHAPV2', keyLabel: 'EAP-MSCHAPV2', derivesKeys: true, extraLines: [] },
  'peap-mschapv2': {
    eap: 'PEAP',
    keyLabel: 'EAP-PEAP',
    derivesKeys: true,
    extraLines: ['phase1="peapver=0"', 'phase2="auth=MSCHAPV2"'],
  },
};

/** wpa_supplicant strings: quoted when plain printable ASCII without quotes, otherwise hex. */
function configString(value: string): string {
  if (/^[\x20-\x21\x23-\x7e]*$/.test(value)) return `"${value}"`;
  return Buffer.from(value, 'utf8').toString('hex');
}

/** The wpa_supplicant config eapol_test reads. */
export function renderEapolConfig(options: EapolTestOptions): string {
  const profile = METHOD_PROFILES[options.method];
  const lines = [
    'key_mgmt=WPA-EAP',
    `eap=${profile.eap}`,
    `identity=${configString(options.identity)}`,
    ...(options.anonymousIdentity === undefined
      ? []
      : [`anonymous_identity=${configString(options.anonymousIdentity)}`]),
    `password=${configString(options.password)}`,
    ...profile.extraLines,
    ...(options.extraNetworkLines ?? []),
  ];
  return `network={\n${lines.map((line) => `\t${line}`).join('\n')}\n}\n`;
}

function hexdumpAfter(output: string, label: string): string | undefined {
  let found: string | undefined;
  for (const line of output.split('\n')) {
    if (!line.startsWith(label)) continue;
    const match = /hexdump\(len=\d+\):((?: [0-9a-f]{2})+)\s*$/.exec(line);
    if (match?.[1] !== undefined) found = match[1].replaceAll(' ', '');
  }
  return found;
}

/** Extracts verdict and keys from eapol_test output. */
export function parseEapolOutput(
  output: string,
  method: EapolMethod,
): Pick<EapolTestResult, 'msk' | 'mppeSendKey' | 'mppeRecvKey' | 'mppeKeysMatched'> & { verdict?: string } {
  const lines = output.split('\n').filter((line) => line.trim().length > 0);
  const verdict = lines.at(-1)?.trim();
  const keyLabel = METHOD_PROFILES[method].keyLabel;
  const msk = keyLabel === undefined ? undefined : hexdumpAfter(output, `${keyLabel}: Derived key`);
  const mppeSendKey = hexdumpAfter(output, 'MS-MPPE-Send-Key');
  const mppeRecvKey = hexdumpAfter(output, 'MS-MPPE-Recv-Key');
  const mppe = /MPPE keys OK: (\d+)\s+mismatch: (\d+)/.exec(output);
  return {
    ...(verdict === undefined ? {} : { verdict }),
    ...(msk === undefined ? {} : { msk }),
    ...(mppeSendKey === undefined ? {} : { mppeSendKey }),
    ...(mppeRecvKey === undefined ? {} : { mppeRecvKey }),
    ...(mppe === null ? {} : { mppeKeysMatched: mppe[1] !== '0' && mppe[2] === '0' }),
  };
}

/** Runs one EAP authentication with eapol_test against a RADIUS server. */
export async function runEapolTest(options: EapolTestOptions): Promise<EapolTestResult> {
  const profile = METHOD_PROFILES[options.method];
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  const expectKeys = options.expectKeys ?? profile.derivesKeys;
  const config = renderEapolConfig(options);
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-eapol-'));
  const configPath = path.join(dir, 'eapol.conf');
  try {
    writeFileSync(configPath, config, { mode: 0o600 });
    const args = [
      '-c',
      configPath,
      '-a',
      options.host,
      '-p',
      String(options.port),
      '-s',
      options.secret,
      '-t',
      String(timeoutSeconds),
      ...(expectKeys ? [] : ['-n']),
      ...(options.extraArgs ?? []),
    ];
    const run = await runProcess(toolPath('eapol_test'), args, { timeoutMs: timeoutSeconds * 1000 + 5000 });
    const output = run.stdout + run.stderr;
    const { verdict, ...keys } = parseEapolOutput(run.stdout, options.method);
    return {
      success: !run.timedOut && run.exitCode === 0 && verdict === 'SUCCESS',
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      output,
      config,
      ...keys,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
