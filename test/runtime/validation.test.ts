import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  formatIssues,
  IssueCollector,
  jsonSchemaOf,
  mergeIssues,
  unknownKeyIssues,
  validate,
  ValidationError,
  z,
} from '../../runtime/validation/index.ts';

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

  it('names the full path when the input is a part of a larger document', () => {
    const section = z.object({ port: z.int().min(0).max(65535) }).strict();
    const result = validate(section, { port: 70_000, prot: 1 }, 'listen');
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: 'listen.port',
        message: 'must be at most 65535, got number 70000',
        fix: 'make listen.port at most 65535',
      },
      { path: 'listen.prot', message: 'is not a known setting', fix: 'remove it or use one of: port' },
    ]);
    const list = validate(z.array(z.object({ name: z.string().min(1) })), [{ name: '' }], 'clients');
    expect(list.ok ? [] : list.issues.map(formatIssue)).toEqual([
      'clients[0].name: must not be empty, got string "". Fix: make clients[0].name not empty',
    ]);
  });

  it('says which types a union takes when the value fits none, and follows the option it fits', () => {
    const listOrOne = z.object({
      method: z.union([z.enum(['pap', 'chap']), z.array(z.enum(['pap', 'chap']))]),
    });
    const none = validate(listOrOne, { method: 3 });
    expect(none.ok ? [] : none.issues.map((issue) => issue.message)).toEqual([
      'must be one of (pap, chap) or a list, got number 3',
    ]);
    const inList = validate(listOrOne, { method: ['pap', 'kerberos'] });
    expect(inList.ok ? [] : inList.issues).toEqual([
      {
        path: 'method[1]',
        message: 'must be one of pap, chap, got string "kerberos"',
        fix: 'use one of pap, chap',
      },
    ]);
  });

  it('names the likely meaning of a misspelt key, but not for short keys that are near anything', () => {
    const [typo] = unknownKeyIssues(['listn'], '', ['listen', 'clients']);
    expect(typo?.fix).toBe('did you mean listen? Otherwise remove it or use one of: listen, clients');
    const [short] = unknownKeyIssues(['id'], 'users[0]', ['upn', 'ids']);
    expect(short).toEqual({
      path: 'users[0].id',
      message: 'is not a known setting',
      fix: 'remove it or use one of: upn, ids',
    });
    const [hinted] = unknownKeyIssues(
      ['mobile'],
      'users[2]',
      ['dn', 'cn'],
      'put extra LDAP attributes under attributes',
    );
    expect(hinted?.fix).toBe('remove it or use one of: dn, cn; put extra LDAP attributes under attributes');
  });

  it('keeps the schema issue when a semantic check reports the same field again', () => {
    const structural = [{ path: 'duplicates.profile', message: 'must be one of nps', fix: 'use nps' }];
    const semantic = [
      { path: 'duplicates.profile', message: 'unknown profile', fix: 'use nps' },
      { path: 'clients[0].address', message: 'is not a CIDR', fix: 'write 10.0.0.0/8' },
    ];
    expect(mergeIssues(structural, semantic)).toEqual([structural[0], semantic[1]]);
    const collector = new IssueCollector();
    collector.addChecked({ ok: false, issues: structural }, semantic);
    expect(collector.issues.map((issue) => issue.path)).toEqual(['duplicates.profile', 'clients[0].address']);
  });

  it('ValidationError lists every issue in the one format and carries the module code', () => {
    const error = new ValidationError(
      'NAS settings',
      [{ path: 'servers', message: 'is empty', fix: 'add one' }],
      'X_CODE',
    );
    expect(error.code).toBe('X_CODE');
    expect(error.message).toBe('NAS settings is invalid:\n  - servers: is empty. Fix: add one');
    expect(formatIssue({ path: '', message: 'must be a mapping', fix: 'write key: value pairs' })).toBe(
      '(document): must be a mapping. Fix: write key: value pairs',
    );
  });
});
