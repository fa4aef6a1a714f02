// Suites written inline by the engine tests, loaded through the real loader from a temp directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatIssues } from '../../runtime/validation/index.ts';
import { loadSuiteFile, type LoadedSuite } from '../../scenarios/suites/loader.ts';

export function withSuiteFiles<T>(files: Readonly<Record<string, string>>, use: (paths: string[]) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-suites-'));
  try {
    const paths = Object.entries(files).map(([name, text]) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    });
    return use(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function loadYaml(text: string): LoadedSuite {
  return withSuiteFiles({ 'inline.yaml': text }, ([file]) => {
    const result = loadSuiteFile(file ?? '');
    if (!result.ok) throw new Error(`inline suite is invalid:\n${formatIssues(result.issues)}`);
    return result.value;
  });
}
