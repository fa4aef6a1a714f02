// The suite files (scenarios/suites/*.yaml) are data the runner trusts: each must pass the suite
// schema, and what a case puts on top of the embedded default (server settings, tenant users and
// settings, NAS profile) must be something the server, the MFA mock and the NAS accept, or the case
// would fail for a typo instead of for the behaviour it checks.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { demoTenantFixture, embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { formatIssues, jsonSchemaOf, validate } from '../../runtime/validation/index.ts';
import { suiteFile, type SuiteCase, type SuiteFile } from '../../scenarios/suites/schema.ts';
import { parseTenant } from '../../simulators/mfa/tenant.ts';
import { resolveNasPolicy } from '../../simulators/nas/profiles.ts';

const suitesDir = resolve(import.meta.dirname, '../../scenarios/suites');
// The six suites of issue 7, and the server personalities of issue 8.
const SUITES = ['protocol', 'methods', 'dedupe', 'mfa', 'nas-timeouts', 'accounting', 'personalities'];
const DEMO_DOMAIN = 'radmfa.test';

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The runner's rule for topology.server and tenant overrides: mappings merge, other values replace. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
  return out;
}

function load(name: string): SuiteFile {
  const text = readFileSync(join(suitesDir, `${name}.yaml`), 'utf8');
  const result = validate(suiteFile, parseYaml(text));
  if (!result.ok) throw new Error(`${name}.yaml:\n${formatIssues(result.issues)}`);
  return result.value;
}

/** A case's topology and NAS with the suite defaults under them, as the runner will see them. */
function effective(suite: SuiteFile, c: SuiteCase): Pick<SuiteCase, 'topology' | 'nas'> {
  return {
    topology: merge(suite.defaults?.topology ?? {}, c.topology ?? {}) as SuiteCase['topology'],
    nas: merge(suite.defaults?.nas ?? {}, c.nas ?? {}) as SuiteCase['nas'],
  };
}

const demoTenant = parseYaml(readFileSync(demoTenantFixture, 'utf8')) as Plain;

function tenantWith(users: Record<string, Plain>, settings: Plain): unknown {
  const list = demoTenant.users as Plain[];
  for (const name of Object.keys(users)) {
    if (!list.some((u) => u.upn === `${name}@${DEMO_DOMAIN}`))
      throw new Error(`tenantUsers names ${name}, who is not in the demo tenant`);
  }
  return {
    ...demoTenant,
    settings: merge(demoTenant.settings, settings),
    users: list.map((u) => {
      const name = String(u.upn).split('@')[0] ?? '';
      const over = users[name];
      return over === undefined ? u : merge(u, over);
    }),
  };
}

describe('suite files', () => {
  it('lists exactly the six suites of issue 7 and the personalities suite', () => {
    const files = readdirSync(suitesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect(files).toEqual([...SUITES].sort());
  });

  const suites = SUITES.map((name) => ({ name, file: load(name) }));

  it.each(SUITES)('%s.yaml validates against the suite schema and names itself', (name) => {
    expect(load(name).suite).toBe(name);
  });

  it('holds at least 60 cases in all, with ids unique per suite and a why for each', () => {
    const total = suites.reduce((sum, s) => sum + s.file.cases.length, 0);
    expect(total).toBeGreaterThanOrEqual(60);
    for (const { name, file } of suites) {
      const ids = file.cases.map((c) => c.id);
      expect(new Set(ids).size, `${name}: repeated ids`).toBe(ids.length);
      for (const c of file.cases) expect(c.why.trim(), `${name}/${c.id}`).not.toBe('');
    }
  });

  it('gives every matrix cell one case', () => {
    for (const { name, file } of suites) {
      const cells = file.cases.flatMap((c) =>
        c.matrix ? [`${c.matrix.name}|${c.matrix.row}|${c.matrix.column}`] : [],
      );
      expect(new Set(cells).size, name).toBe(cells.length);
    }
    const timeouts = suites.find((s) => s.name === 'nas-timeouts')?.file.cases ?? [];
    expect(timeouts.every((c) => c.matrix?.name === 'nas-timeouts')).toBe(true);
    expect(new Set(timeouts.map((c) => c.matrix?.column))).toEqual(
      new Set(['2s', '10s', '30s', '45s', '60s', '90s']),
    );
  });

  it('lets only cases a foreign server can answer run on an external target', () => {
    for (const { name, file } of suites) {
      for (const c of file.cases) {
        if (!(c.targets ?? []).includes('external')) continue;
        const { topology } = effective(file, c);
        // An external server is not started by radmfa: a case that changes the server cannot run there.
        expect(c.topology, `${name}/${c.id}`).toBeUndefined();
        expect(
          topology?.tenantUsers ?? topology?.mfaFaults ?? topology?.network,
          `${name}/${c.id}`,
        ).toBeUndefined();
        for (const step of c.steps) {
          if (step.kind === 'retransmit') continue;
          if (step.kind === 'packet') expect(step.sourceAddress, `${name}/${c.id}`).toBeUndefined();
        }
      }
    }
  });

  it('puts on the embedded default only server settings the reference server accepts', () => {
    for (const { name, file } of suites) {
      for (const c of file.cases) {
        const server = effective(file, c).topology?.server ?? {};
        const result = normaliseServerConfig(merge(embeddedDefaultConfig(), server));
        expect(result.ok ? [] : result.issues, `${name}/${c.id}`).toEqual([]);
      }
    }
  });

  it('puts on the demo tenant only users and settings the MFA mock accepts', () => {
    for (const { name, file } of suites) {
      for (const c of file.cases) {
        const topology = effective(file, c).topology ?? {};
        const tenant = tenantWith(topology.tenantUsers ?? {}, topology.tenantSettings ?? {});
        const result = parseTenant(tenant, { baseDir: dirname(demoTenantFixture) });
        expect(result.ok ? [] : result.issues, `${name}/${c.id}`).toEqual([]);
      }
    }
  });

  it('names NAS profiles and policies the simulated NAS accepts', () => {
    for (const { name, file } of suites) {
      for (const c of file.cases) {
        const nas = effective(file, c).nas ?? {};
        const result = resolveNasPolicy(nas.profile ?? 'nps-recommended', nas.policy);
        expect(result.ok ? [] : result.issues, `${name}/${c.id}`).toEqual([]);
      }
    }
  });
});

describe('the suite schema', () => {
  const minimal = {
    suite: 'demo',
    description: 'x',
    cases: [{ id: 'a', title: 't', why: 'RFC 2865 3', steps: [{ kind: 'wait', for: '1s' }] }],
  };

  it('refuses a case without a why, a repeated id and a retransmit of no earlier step, all at once', () => {
    const result = validate(suiteFile, {
      ...minimal,
      cases: [
        { id: 'a', title: 't', why: '', steps: [{ kind: 'wait', for: '1s' }] },
        { id: 'a', title: 't', why: 'w', steps: [{ kind: 'retransmit', of: 'nothing', at: ['1s'] }] },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual(
      ['cases[0].why', 'cases[1].id', 'cases[1].steps[0].of'].sort(),
    );
  });

  it('takes an attribute from exactly one source, and fromReply only from an earlier step', () => {
    const packet = (attributes: unknown[]): unknown => ({
      ...minimal,
      cases: [
        {
          id: 'a',
          title: 't',
          why: 'w',
          steps: [
            { kind: 'login', id: 'l', user: 'bob', password: 'p' },
            { kind: 'packet', attributes },
          ],
        },
      ],
    });
    expect(validate(suiteFile, packet([{ name: 'State', fromReply: 'l' }])).ok).toBe(true);
    expect(validate(suiteFile, packet([{ name: 'User-Password', totpOf: 'JBSWY3DPEHPK3PXP' }])).ok).toBe(
      true,
    );
    const both = validate(suiteFile, packet([{ name: 'State', value: 'x', fromReply: 'l' }]));
    expect(both.ok).toBe(false);
    const none = validate(suiteFile, packet([{ name: 'State' }]));
    expect(none.ok).toBe(false);
    const later = validate(suiteFile, packet([{ name: 'State', fromReply: 'z' }]));
    expect(later.ok ? [] : later.issues.map((i) => i.path)).toEqual([
      'cases[0].steps[1].attributes[0].fromReply',
    ]);
  });

  it('still publishes as JSON Schema, with the fields the suites use', () => {
    const text = JSON.stringify(jsonSchemaOf(suiteFile, 'radmfa suite'));
    for (const field of [
      'fromReply',
      'totpOf',
      'sourceAddress',
      'tenantSettings',
      'mfaFaults',
      'serverReason',
      'warnings',
      'credentials',
    ])
      expect(text, field).toContain(`"${field}"`);
  });
});
