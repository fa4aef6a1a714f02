// listen.workers: a whole number or auto (one per core); a wrong value is named with its fix.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import { dgramSupportsReusePort } from '../../../reference/workers/worker-transport.ts';

function withWorkers(workers: unknown) {
  return normaliseServerConfig({
    listen: { workers },
    clients: [{ address: '127.0.0.1', secret: 's' }],
    directory: { url: 'ldap://127.0.0.1:389' },
  });
}

describe('listen.workers', () => {
  it('defaults to 1, takes a number, and auto is the number of cores', () => {
    const none = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: { url: 'ldap://127.0.0.1:389' },
    });
    expect(none.ok && none.config.listen.workers).toBe(1);
    const four = withWorkers(4);
    expect(four.ok && four.config.listen.workers).toBe(4);
    const auto = withWorkers('auto');
    expect(auto.ok && auto.config.listen.workers).toBe(availableParallelism());
  });

  it('0, 2.5 and "many" are refused with the field and the fix', () => {
    for (const wrong of [0, 2.5, 'many']) {
      const result = withWorkers(wrong);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues.map((issue) => issue.path)).toEqual(['listen.workers']);
      expect(result.issues[0]?.fix).toMatch(/1 to 256, or auto/);
    }
  });

  it('reusePort is used from Node 22.12 (and 23.1) on, the cluster shared handle before', () => {
    expect(dgramSupportsReusePort('20.20.2')).toBe(false);
    expect(dgramSupportsReusePort('22.11.0')).toBe(false);
    expect(dgramSupportsReusePort('22.12.0')).toBe(true);
    expect(dgramSupportsReusePort('23.0.0')).toBe(false);
    expect(dgramSupportsReusePort('23.1.0')).toBe(true);
    expect(dgramSupportsReusePort('24.0.0')).toBe(true);
  });
});
