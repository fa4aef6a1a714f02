import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../cli/config-file.ts';
import { embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';

describe('documented configurations', () => {
  it('examples/radmfa.yaml (the README example) is valid and resolves its paths next to the file', () => {
    const path = fileURLToPath(new URL('../../examples/radmfa.yaml', import.meta.url));
    const file = readConfigFile(path);
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    const result = normaliseServerConfig(file.value);
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.config.directory.embeddedFixture).toMatch(/fixtures\/directory\/demo\.yaml$/);
    expect(result.config.policy.rules.map((r) => r.name)).toEqual(['vpn-admins', 'vpn-users']);
    expect(result.config.mfa.REQUIRE_USER_MATCH).toBe(true);
  });

  it('the embedded default is valid', () => {
    const result = normaliseServerConfig(embeddedDefaultConfig());
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('a file that is not YAML is reported as a config issue, not thrown', () => {
    const path = fileURLToPath(new URL('../../package.json', import.meta.url)).replace(
      /\.json$/,
      '-missing.yaml',
    );
    const file = readConfigFile(path);
    expect(file.ok).toBe(false);
    if (!file.ok) expect(file.issues[0]?.path).toBe('--config');
  });
});
