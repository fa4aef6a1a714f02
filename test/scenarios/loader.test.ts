import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuiteFile, loadSuites, suitePath } from '../../scenarios/suites/loader.ts';
import { loadYaml, withSuiteFiles } from './support.ts';

const BAD_SHAPE = `
suite: Not-Lower
description: shape errors
cases:
  - id: a
    title: A
    steps:
      - { kind: login, user: alice, password: x, method: carrier-pigeon }
      - { kind: retransmit, of: nowhere, at: [1s] }
  - id: a
    title: duplicate id
    why: x
    steps: []
`;

const BAD_SEMANTICS = `
suite: semantics
description: semantic errors
defaults:
  nas: { profile: cisco-asa }
cases:
  - id: b
    title: B
    why: RFC 2865 3
    topology:
      server: { duplicates: { profile: bogus } }
      tenantUsers: { alice: { behaviour: { prompt: { outcome: maybe } } } }
      directory: no-such-fixture.yaml
    nas: { profile: not-a-vendor }
    steps:
      - { kind: login, user: alice, password: x, typing: { wrongCodeProbability: 2 } }
`;

describe('suite loader', () => {
  it('reports every issue of two bad files at once, each prefixed with its file', () => {
    withSuiteFiles({ 'shape.yaml': BAD_SHAPE, 'semantics.yaml': BAD_SEMANTICS }, (files) => {
      const result = loadSuites(files);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const paths = result.issues.map((i) => i.path);
      const shape = (p: string): string => `${path.relative(process.cwd(), files[0] ?? '')}:${p}`;
      const sem = (p: string): string => `${path.relative(process.cwd(), files[1] ?? '')}:${p}`;
      expect(paths).toEqual(
        expect.arrayContaining([
          shape('suite'),
          shape('cases[0].why'),
          shape('cases[0].steps[0].method'),
          shape('cases[1].steps'),
          sem('cases[0].nas.profile'),
          sem('cases[0].topology.server.duplicates.profile'),
          sem('cases[0].topology.tenantUsers.alice.behaviour.prompt.outcome'),
          sem('cases[0].topology.directory'),
          sem('cases[0].steps[0].typing.wrongCodeProbability'),
        ]),
      );
      expect(result.issues.every((i) => i.fix.length > 0)).toBe(true);
    });
  });

  it('merges the suite defaults under every case', () => {
    const suite = loadYaml(`
suite: merged
description: defaults
defaults:
  nas: { profile: cisco-asa, nasIdentifier: vpn-1 }
  topology: { server: { duplicates: { profile: rfc5080 } } }
cases:
  - id: c
    title: C
    why: x
    nas: { nasIdentifier: vpn-2 }
    steps: [{ kind: wait, for: 1s }]
`);
    const [c] = suite.cases;
    expect(c?.nas).toEqual({ profile: 'cisco-asa', nasIdentifier: 'vpn-2' });
    expect((c?.resolved.serverConfig.duplicates as { profile?: string }).profile).toBe('rfc5080');
  });

  it('reads a bare suite name from scenarios/suites', () => {
    expect(suitePath('dedupe')).toMatch(/scenarios[\\/]suites[\\/]dedupe\.yaml$/);
    const missing = loadSuiteFile(suitePath('no-such-suite'));
    expect(missing.ok).toBe(false);
  });
});
