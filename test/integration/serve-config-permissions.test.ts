// `radmfa serve` warns when its config file, which holds the shared secrets, is readable by group or
// others: a warning event with a stable code, printed as a pino warn line.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFilePermissionWarning } from '../../cli/config-file.ts';
import { serveTestConfig, startServe } from '../../peers/serve-process.ts';

describe('radmfa serve and the config file mode', () => {
  it('0644: one warn line, code config-file-readable, naming who can read it and the fix', async () => {
    const serve = await startServe({ config: (dir) => serveTestConfig(dir), configMode: 0o644 });
    try {
      expect(statSync(serve.configPath).mode & 0o777).toBe(0o644);
      const warning = await serve.waitForLog(
        (e) => e.event === 'warning' && e.code === 'config-file-readable',
      );
      expect(warning).toMatchObject({ level: 40 }); // pino warn
      expect(String(warning.msg)).toContain('readable by group and others (mode 0644)');
      expect(String(warning.msg)).toContain(`chmod 600 ${serve.configPath}`);
      // The warning names the file, never what is in it.
      expect(JSON.stringify(warning)).not.toContain('testing123');
    } finally {
      await serve.stop();
    }
  });

  it('0600: no such warning by the time the server is listening', async () => {
    const serve = await startServe({ config: (dir) => serveTestConfig(dir) });
    try {
      expect(statSync(serve.configPath).mode & 0o777).toBe(0o600);
      // `listening` is logged after the start-up checks, on the same stream.
      await serve.waitForLog((e) => e.event === 'listening');
      expect(serve.logEvents().filter((e) => e.code === 'config-file-readable')).toEqual([]);
    } finally {
      await serve.stop();
    }
  });

  it('names group or others alone, and stays quiet for 0600 and 0700', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-mode-'));
    try {
      const at = (mode: number): string | undefined => {
        const file = path.join(dir, `radmfa-${mode.toString(8)}.yaml`);
        writeFileSync(file, 'clients: []\n');
        chmodSync(file, mode);
        return configFilePermissionWarning(file)?.message;
      };
      expect(at(0o640)).toContain('readable by group (mode 0640)');
      expect(at(0o604)).toContain('readable by others (mode 0604)');
      expect(at(0o600)).toBeUndefined();
      expect(at(0o700)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
