import { describe, expect, it } from 'vitest';
import { formatIssues, IssueCollector, jsonSchemaOf, validate, z } from '../../runtime/validation/index.ts';

const login = z
  .object({ kind: z.literal('login'), user: z.string().min(1).meta({ fix: 'name a directory user' }) })
  .strict();
const wait = z.object({ kind: z.literal('wait'), ms: z.number().int().min(0) }).strict();
const suite = z
  .object({
    name: z.string(),
    steps: z.array(z.discriminatedUnion('kind', [login, wait])),
    target: z.enum(['embedded-virtual', 'embedded-udp']).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.name === 'reserved') {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: 'is reserved',
        params: { fix: 'pick another name' },
      });
    }
  });

describe('validation toolkit', () => {
  it('reports every problem at once, each with its field and a fix', () => {
    const result = validate(suite, {
      steps: [{ kind: 'login', user: 3 }, { kind: 'nap' }, { kind: 'wait', ms: -1, extra: true }],
      target: 'mars',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = new Map(result.issues.map((i) => [i.path, i]));
    expect(byPath.get('name')?.message).toBe('is missing');
    expect(byPath.get('steps[0].user')).toMatchObject({
      message: 'must be a string, got number 3',
      fix: 'name a directory user',
    });
    expect(byPath.get('steps[1].kind')?.fix).toBe('use one of login, wait');
    expect(byPath.get('steps[2].ms')?.message).toMatch(/at least 0/);
    expect(byPath.get('steps[2].extra')?.fix).toBe('remove it or use one of: kind, ms');
    expect(byPath.get('target')?.fix).toBe('use one of embedded-virtual, embedded-udp');
    expect(formatIssues(result.issues)).toContain('  - name: is missing. Fix: add name (string)');
  });

  it('keeps the fix a refinement names', () => {
    const result = validate(suite, { name: 'reserved', steps: [] });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'name', message: 'is reserved', fix: 'pick another name' }],
    });
  });

  it('returns the typed value when the input is valid', () => {
    const result = validate(suite, { name: 'ok', steps: [{ kind: 'wait', ms: 5 }] });
    expect(result).toEqual({ ok: true, value: { name: 'ok', steps: [{ kind: 'wait', ms: 5 }] } });
  });

  it('emits a JSON Schema that rejects unknown keys', () => {
    const schema = jsonSchemaOf(suite, 'suite');
    expect(schema).toMatchObject({ title: 'suite', type: 'object', additionalProperties: false });
    expect(JSON.stringify(schema)).toContain('embedded-virtual');
  });

  it('IssueCollector prefixes paths and collects instead of throwing', () => {
    const collector = new IssueCollector('server');
    expect(collector.integer('x', 'port', 1812, 0, 65535)).toBe(1812);
    collector.knownKeys({ prot: 1 }, 'listen', ['port']);
    expect(collector.result(1)).toEqual({
      ok: false,
      issues: [
        expect.objectContaining({ path: 'server.port' }),
        expect.objectContaining({ path: 'server.listen.prot', fix: 'remove it or use one of: port' }),
      ],
    });
  });
});
