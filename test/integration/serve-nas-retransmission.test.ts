// The seed's retransmission story with the real commands over UDP: `radmfa nas` with a timeout
// shorter than alice's 2 s approval retransmits; `radmfa serve` (nps profile) discards the copies
// while the push is out, so alice's phone rings once. A NAS that builds a new request per retry
// (naive mode) defeats duplicate detection: every copy is a new login and a new push.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNasJson } from '../support/radmfa-cli.ts';
import { SERVE_SECRET, serveTestConfig, startServe, type ServeProcess } from '../../peers/serve-process.ts';

const DEMO_TENANT = resolve(import.meta.dirname, '../../fixtures/tenant/demo.yaml');

interface CallRecord {
  readonly endpoint: string;
  readonly user?: string;
  readonly httpStatus?: number;
}

describe('radmfa nas retransmissions against radmfa serve (nps duplicate profile, MFA)', () => {
  let serve: ServeProcess;
  let mfaUrl: string;

  beforeAll(async () => {
    serve = await startServe({
      config: (workDir) =>
        serveTestConfig(workDir, { mfa: { enabled: true, embedded: { tenant: DEMO_TENANT } } }),
    });
    mfaUrl = String((serve.started as unknown as Record<string, unknown>).mfa);
  });

  afterAll(async () => {
    await serve?.stop();
  });

  async function pushesFor(user: string): Promise<number> {
    const response = await fetch(`${mfaUrl}/_admin/calls?endpoint=begin&user=${encodeURIComponent(user)}`);
    const body = (await response.json()) as { calls: CallRecord[] };
    return body.calls.filter((c) => c.httpStatus === 201).length;
  }

  async function clearCalls(): Promise<void> {
    await fetch(`${mfaUrl}/_admin/calls`, { method: 'DELETE' });
  }

  const base = (): string[] => [
    '--server',
    `${serve.auth.address}:${serve.auth.port}`,
    '--secret',
    SERVE_SECRET,
    '--user',
    'alice',
    '--password',
    'Passw0rd!',
    '--timeout',
    '0.7',
    '--retries',
    '5',
  ];

  it('same-datagram retransmissions: discarded as duplicates, one push, login accepted', async () => {
    await clearCalls();
    const discardsBefore = serve.logEvents().filter((e) => e.event === 'duplicate').length;
    const { exitCode, json } = await runNasJson(base());
    expect(json.outcome).toBe('accept');
    expect(exitCode).toBe(0);
    const transmissions = json.transmissions as number;
    expect(transmissions).toBeGreaterThanOrEqual(3);
    expect(await pushesFor('alice@radmfa.test')).toBe(1);
    await serve.waitForLog((e) => e.event === 'access' && e.userName === 'alice', 5_000);
    // Each retransmission is logged as a discard; the last may reach the server just after its answer.
    const discards = (): Record<string, unknown>[] =>
      serve
        .logEvents()
        .filter((e) => e.event === 'duplicate')
        .slice(discardsBefore);
    for (let i = 0; i < 100 && discards().length < transmissions - 1; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(discards().length).toBe(transmissions - 1);
    expect(discards().every((e) => e.action === 'discard')).toBe(true);
    expect(discards()[0]?.reason).toBe('in-flight');
  });

  it('naive retransmissions (new Identifier per try): every copy is a new login, the phone rings again', async () => {
    await clearCalls();
    const { json } = await runNasJson([...base(), '--naive']);
    expect(json.outcome).toBe('accept');
    expect(json.transmissions as number).toBeGreaterThanOrEqual(3);
    expect(await pushesFor('alice@radmfa.test')).toBeGreaterThanOrEqual(2);
  });
});
