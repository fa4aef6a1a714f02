import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { demoTenantFixture, embeddedDefaultConfig } from '../../../scenarios/embedded/defaults.ts';
import {
  normaliseServerConfig,
  serverConfigJsonSchema,
  serverConfigSchema,
} from '../../../reference/config/server-config.ts';
import { isPlainObject } from '../../../runtime/validation/index.ts';

const examplePath = fileURLToPath(new URL('../../../examples/radmfa.yaml', import.meta.url));

function example(): Record<string, unknown> {
  const parsed: unknown = parseYaml(readFileSync(examplePath, 'utf8'));
  if (!isPlainObject(parsed)) throw new Error('examples/radmfa.yaml is not a mapping');
  return { ...parsed };
}

describe('server config JSON Schema', () => {
  it('accepts examples/radmfa.yaml, the README example, as it is written', () => {
    const parsed = serverConfigSchema.safeParse(example());
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('names every top-level key the example uses, and the required ones', () => {
    const schema = serverConfigJsonSchema();
    expect(schema).toMatchObject({
      title: 'radmfa server configuration',
      type: 'object',
      additionalProperties: false,
      required: expect.arrayContaining(['clients', 'directory']) as unknown,
    });
    const properties = Object.keys(schema.properties as Record<string, unknown>);
    expect(properties).toEqual(expect.arrayContaining(Object.keys(example())));
    // Structure an editor can check: enums, ranges, nested unknown keys.
    const text = JSON.stringify(schema);
    expect(text).toContain('"fail-closed"');
    expect(text).toContain('"maximum":65535');
  });

  it('rejects an unknown top-level key in the schema and in normaliseServerConfig alike', () => {
    const withTypo = { ...example(), listn: { authPort: 1812 } };
    const parsed = serverConfigSchema.safeParse(withTypo);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', keys: ['listn'] }),
    ]);
    const result = normaliseServerConfig({ ...embeddedDefaultConfig(), listn: {} });
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: 'listn',
        message: 'is not a known setting',
        fix: expect.stringMatching(
          /^did you mean listen\? Otherwise remove it or use one of: listen, /,
        ) as unknown,
      },
    ]);
  });

  it('a wrong type nested in the example is refused by both, at the same path', () => {
    const broken = example();
    broken.mfa = {
      ...(broken.mfa as Record<string, unknown>),
      embedded: { tenant: demoTenantFixture },
      approvalTimeoutMs: 'slow',
    };
    expect(serverConfigSchema.safeParse(broken).error?.issues[0]?.path).toEqual(['mfa', 'approvalTimeoutMs']);
    const result = normaliseServerConfig({ ...embeddedDefaultConfig(), mfa: broken.mfa });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['mfa.approvalTimeoutMs']);
  });
});
