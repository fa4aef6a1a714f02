// A committed record must survive kill -9 of the process that acknowledged it.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openAccountingStore } from '../../../reference/accounting/store.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'radmfa-acct-crash-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the child and SIGKILLs it as soon as the line `ACKED <killAfter>` is read. Resolves with
 * the highest acknowledged row number seen and the signal the child died of.
 */
function runAndKill(dbPath: string, mode: 'once' | 'stream' | 'group', killAfter: number) {
  return new Promise<{ lastAcked: number; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, dbPath, mode], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let buffered = '';
      let stderr = '';
      let lastAcked = -1;
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child never printed ACKED ${killAfter}; stderr: ${stderr}`));
      }, 20_000);
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^ACKED (\d+)$/.exec(line);
          if (match === null) continue;
          lastAcked = Math.max(lastAcked, Number(match[1]));
          if (lastAcked >= killAfter && child.exitCode === null && child.signalCode === null)
            child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('exit', (_code, signal) => {
        clearTimeout(guard);
        resolve({ lastAcked, signal, stderr });
      });
    },
  );
}

describe('accounting store survives kill -9', () => {
  it('keeps the one row acknowledged before SIGKILL', async () => {
    const dbPath = join(dir, 'once.db');
    const { lastAcked, signal, stderr } = await runAndKill(dbPath, 'once', 0);
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(lastAcked).toBe(0);

    // The row sits in the write-ahead log the killed process left behind; reopening replays it.
    expect(statSync(`${dbPath}-wal`).size).toBeGreaterThan(0);
    const store = openAccountingStore(dbPath);
    try {
      expect(store.count()).toBe(1);
      expect(store.list()[0]).toMatchObject({ sessionId: 'sess-0', userName: 'user0@example.com' });
    } finally {
      store.close();
    }
  });

  it('keeps every acknowledged row when killed in the middle of a stream of writes', async () => {
    const dbPath = join(dir, 'stream.db');
    const { lastAcked, signal } = await runAndKill(dbPath, 'stream', 40);
    expect(signal).toBe('SIGKILL');
    expect(lastAcked).toBeGreaterThanOrEqual(40);

    const store = openAccountingStore(dbPath);
    try {
      const sessions = store.list().map((r) => r.sessionId);
      // Every acknowledged row is there; rows committed after the last ACK read may be too, but
      // the committed rows always form an unbroken prefix of what the child wrote.
      expect(sessions.length).toBeGreaterThanOrEqual(lastAcked + 1);
      expect(sessions).toEqual(Array.from({ length: sessions.length }, (_, n) => `sess-${n}`));
    } finally {
      store.close();
    }
    const raw = new Database(dbPath, { readonly: true });
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }
  });

  it('group commit: every record whose commit resolved is on disk after SIGKILL mid-burst', async () => {
    const dbPath = join(dir, 'group.db');
    const { lastAcked, signal } = await runAndKill(dbPath, 'group', 200);
    expect(signal).toBe('SIGKILL');
    expect(lastAcked).toBeGreaterThanOrEqual(200);
    const store = openAccountingStore(dbPath);
    try {
      const sessions = store.list().map((r) => r.sessionId);
      expect(sessions.length).toBeGreaterThanOrEqual(lastAcked + 1);
      // Whole transactions only: a burst is on disk entirely or not at all.
      expect(sessions.length % 32).toBe(0);
      expect(sessions).toEqual(Array.from({ length: sessions.length }, (_, n) => `sess-${n}`));
    } finally {
      store.close();
    }
  });
});
