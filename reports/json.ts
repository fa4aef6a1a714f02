import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SuiteResult } from '../scenarios/types.ts';

/** Writes the versioned result JSON, the source every other report renders from. */
export function writeResultJson(path: string, result: SuiteResult): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}
