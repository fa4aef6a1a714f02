// The npm `radius` package (node-radius), the baseline radmfa's codec is compared with. Typed here
// with just the calls the benchmarks make; test/support/radius-oracle.d.ts types the decode side
// for tests and is deliberately left alone. Loaded through require because it is CommonJS.
import { createRequire } from 'node:module';

/** `[name, value]` pairs; the package appends Message-Authenticator to the array it is given. */
export type RadiusPackageAttribute = [string | number, string | number | Buffer];

export interface RadiusPackageDecoded {
  readonly code: string;
  readonly identifier: number;
  readonly length: number;
  readonly authenticator: Buffer;
  readonly attributes: Record<string, unknown>;
  readonly raw_attributes: [number, Buffer][];
}

export interface RadiusPackage {
  encode(args: {
    code: string;
    secret: string;
    identifier?: number;
    attributes: RadiusPackageAttribute[];
    add_message_authenticator?: boolean;
  }): Buffer;
  /** Verifies the Request Authenticator (computed codes) and Message-Authenticator; throws on mismatch. */
  decode(args: { packet: Buffer; secret: string }): RadiusPackageDecoded;
  encode_response(args: {
    packet: RadiusPackageDecoded;
    code: string;
    secret: string;
    attributes: RadiusPackageAttribute[];
  }): Buffer;
  verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
}

const require = createRequire(import.meta.url);

export const radiusPackage = require('radius') as RadiusPackage;

export function radiusPackageVersion(): string {
  const manifest = require('radius/package.json') as { version?: string };
  return manifest.version ?? 'unknown';
}
