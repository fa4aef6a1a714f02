// Octets values written as text follow one rule on every path (protocol/values.ts readOctetsText):
// `0x` and hex pairs are those octets, other text is UTF-8, and `0x` followed by anything else is an
// error. Suite files are checked when they load; what a case sends and expects uses the same rule.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AttributeValueError,
  decodePacket,
  defaultDictionary,
  encodeAttributes,
  readOctetsText,
} from '../../protocol/index.ts';
import { AttributeInputError, resolveAttribute } from '../../scenarios/engine/attributes.ts';
import { runConformance } from '../../scenarios/engine/index.ts';
import { judgeStep } from '../../scenarios/engine/judge.ts';
import { buildPacket } from '../../scenarios/engine/packets.ts';
import { loadSuites } from '../../scenarios/suites/loader.ts';
import { loadYaml, withSuiteFiles } from './support.ts';

const EAP_IDENTITY_ALICE = '0x0200000a01616c696365';

describe('octets written as text', () => {
  it('reads 0x and hex pairs as octets, other text as text, and names what is wrong with bad hex', () => {
    expect(readOctetsText('0x0201')).toEqual({ kind: 'hex', bytes: Buffer.from([2, 1]) });
    expect(readOctetsText('0x')).toEqual({ kind: 'hex', bytes: Buffer.alloc(0) });
    expect(readOctetsText('vpn-admins')).toEqual({ kind: 'text' });
    const reasonOf = (text: string): string | undefined => {
      const read = readOctetsText(text);
      return read.kind === 'bad-hex' ? read.reason : undefined;
    };
    expect(reasonOf('0x020')).toMatch(/3 hex digits/);
    expect(reasonOf('0x02zz')).toMatch(/"z" after 0x/);
  });

  it('encodes an octets attribute given as 0x... as its bytes, and refuses bad hex (nas --attr, policy replies)', () => {
    const [eap] = encodeAttributes([{ name: 'EAP-Message', value: EAP_IDENTITY_ALICE }]);
    expect(eap?.value).toEqual(Buffer.from(EAP_IDENTITY_ALICE.slice(2), 'hex'));
    const [text] = encodeAttributes([{ name: 'Class', value: 'vpn-admins' }]);
    expect(text?.value.toString('utf8')).toBe('vpn-admins');
    // A string attribute keeps 0x as text: only octets are written in hex.
    const [message] = encodeAttributes([{ name: 'Reply-Message', value: '0x41' }]);
    expect(message?.value.toString('utf8')).toBe('0x41');
    expect(() => encodeAttributes([{ name: 'Class', value: '0x123' }])).toThrow(AttributeValueError);
    expect(() => encodeAttributes([{ name: 'Class', value: '0x123' }])).toThrow(/Class: .*not whole octets/);
  });

  it('a packet step sends the EAP-Message octets on the wire, not the characters "0x..."', () => {
    const context = { credentials: undefined, now: () => 0, replyOf: () => undefined };
    const attributes = [
      resolveAttribute({ name: 'User-Name', value: 'alice' }, context),
      resolveAttribute({ name: 'EAP-Message', value: EAP_IDENTITY_ALICE }, context),
    ];
    const step = loadYaml(`
suite: wire
description: one packet
cases:
  - { id: p, title: P, why: RFC 3579 3.1, steps: [{ kind: packet }] }
`).cases[0]?.steps[0];
    if (step?.kind !== 'packet') throw new Error('no packet step');
    const built = buildPacket({ ...step, attributes }, 'testing123', 7, (n) => Buffer.alloc(n, 1));
    const decoded = decodePacket(built.bytes);
    if (!decoded.ok) throw new Error('the built packet does not decode');
    const eapType = defaultDictionary.byNameOrUndefined('EAP-Message')?.type;
    const eap = decoded.value.attributes.find((a) => a.type === eapType);
    expect(eap?.value.toString('hex')).toBe(EAP_IDENTITY_ALICE.slice(2));
  });

  it('a case built in code with bad hex fails naming the attribute before anything is sent', () => {
    const context = { credentials: undefined, now: () => 0, replyOf: () => undefined };
    expect(() => resolveAttribute({ name: 'EAP-Message', value: '0x02000' }, context)).toThrow(
      AttributeInputError,
    );
    expect(() => resolveAttribute({ name: 'EAP-Message', value: '0x02000' }, context)).toThrow(
      /^EAP-Message: /,
    );
  });

  it('the loader refuses odd-length and non-hex octets values, every one at once, with the fix', () => {
    const suite = `
suite: hex
description: bad octets
cases:
  - id: bad
    title: bad hex everywhere
    why: RFC 3579 3.1
    steps:
      - kind: packet
        attributes:
          - { name: User-Name, value: alice }
          - { name: EAP-Message, value: '0x0200000a01616c69636' }
          - { name: Class, value: '0xnothex' }
          - { name: Reply-Message, value: '0xfine-as-text' }
        expect: { attributes: { equals: { Class: '0x4' } } }
      - kind: packet
        mutations: [{ kind: raw-attribute, type: 25, valueHex: 'abc' }]
`;
    withSuiteFiles({ 'hex.yaml': suite }, ([file]) => {
      const result = loadSuites([file ?? '']);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const shown = path.relative(process.cwd(), file ?? '');
      const byPath = new Map(result.issues.map((i) => [i.path.replace(`${shown}:`, ''), i]));
      expect([...byPath.keys()].sort()).toEqual(
        [
          'cases[0].steps[0].attributes[1].value',
          'cases[0].steps[0].attributes[2].value',
          'cases[0].steps[0].expect.attributes.equals.Class',
          'cases[0].steps[1].mutations[0].valueHex',
        ].sort(),
      );
      expect(byPath.get('cases[0].steps[0].attributes[1].value')?.message).toMatch(
        /EAP-Message is octets and 0x is followed by 19 hex digits/,
      );
      expect(byPath.get('cases[0].steps[0].attributes[2].value')?.message).toMatch(/"n" after 0x/);
      for (const issue of result.issues) expect(issue.fix).toMatch(/hex digits/);
    });
  });

  it('an equals expectation in 0x... matches an octets reply attribute by its bytes, even a printable one', () => {
    const step = loadYaml(`
suite: eq
description: equals by bytes
cases:
  - id: eq
    title: Class by its bytes
    why: RFC 2865 5.25
    steps:
      - { kind: packet, attributes: [{ name: User-Name, value: alice }], expect: { attributes: { equals: { Class: '0x56504E2D61646D696E73' } } } }
`).cases[0]?.steps[0];
    if (step === undefined) throw new Error('no step');
    const seen = (value: string) =>
      ({
        kind: 'packet',
        replyCode: 'Access-Accept',
        verified: true,
        proxyStateEchoed: true,
        messageAuthenticatorFirst: true,
        attributes: [{ name: 'Class', value, aliases: [], hex: `0x${Buffer.from(value).toString('hex')}` }],
        latencyMs: 1,
        serverObserved: false,
      }) as unknown as Parameters<typeof judgeStep>[2];
    expect(judgeStep(step, 0, seen('VPN-admins'))).toEqual([]);
    expect(judgeStep(step, 0, seen('vpn-admins')).map((f) => f.expectation)).toEqual([
      'steps[0].expect.attributes.equals.Class',
    ]);
  });

  it('the protocol suite sends an EAP-Response/Identity the reference server answers with a challenge', async () => {
    const loaded = loadSuites(['protocol']);
    if (!loaded.ok) throw new Error('the protocol suite does not load');
    const result = await runConformance({
      suites: loaded.value,
      target: 'embedded-virtual',
      seed: 1,
      grep: 'reply-message-authenticator-first',
    });
    const [c] = result.suites[0]?.cases ?? [];
    expect(c?.status).toBe('passed');
    expect(c?.steps[2]?.replyCode).toBe('Access-Challenge');
  });
});
