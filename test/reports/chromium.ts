// Finding Debian's chromium for the browser tests, the way peers/tools.ts treats other peers:
// on a developer machine a missing browser skips the test with a notice naming the package; under CI
// (CI=true or CI=1) it is a broken install and fails the run.
import { accessSync, constants } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Same code as peers/tools.ts's MissingToolError, whose tool table has no browser. */
export class MissingBrowserError extends Error {
  readonly code = 'TOOL_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'MissingBrowserError';
  }
}

export interface ChromiumLookup {
  readonly available: boolean;
  readonly path: string;
  /** Chromium refuses to start its sandbox as root (CI containers); only then is it turned off. */
  readonly args: readonly string[];
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isCi(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

export function requireChromium(
  path = CHROMIUM_PATH,
  env: Readonly<Record<string, string | undefined>> = process.env,
  report: (message: string) => void = (message) => console.warn(message),
): ChromiumLookup {
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  if (executable(path)) return { available: true, path, args };
  const message = `missing ${path} (Debian package chromium). Install with: apt-get install -y chromium`;
  if (isCi(env)) throw new MissingBrowserError(`CI is set and ${message}`);
  report(`[radmfa] skipping browser tests: ${message}`);
  return { available: false, path, args };
}
