import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IssueCollector } from '../../runtime/validation/index.ts';

/**
 * Files a configuration names are checked when it is read, so a typo in a path is reported with
 * the other mistakes (exit 104) instead of failing later at start-up. Relative paths are relative
 * to the working directory here; the command resolves them against the config file first.
 */
export function checkInputFile(c: IssueCollector, path: string, value: unknown, what: string): void {
  if (typeof value !== 'string' || value === '') return;
  const kind = statSync(value, { throwIfNoEntry: false });
  if (kind === undefined) c.add(path, `"${value}" does not exist`, `give the path of ${what}`);
  else if (!kind.isFile()) c.add(path, `"${value}" is not a file`, `give the path of ${what}`);
}

/** A file the server creates (the accounting database) needs its directory to exist already. */
export function checkOutputFile(c: IssueCollector, path: string, value: unknown): void {
  if (typeof value !== 'string' || value === '' || value === ':memory:') return;
  const parent = dirname(value);
  const kind = statSync(parent, { throwIfNoEntry: false });
  if (kind === undefined || !kind.isDirectory()) {
    c.add(
      path,
      `the directory "${parent}" does not exist`,
      'create it, or give a path in an existing directory',
    );
  }
}
