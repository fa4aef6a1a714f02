// The datagrams a fuzz run sends: well-formed requests of every kind the server serves (templates),
// damaged by the mutations a hostile or broken NAS could produce, plus structured and unstructured
// random bytes. Everything is drawn by fast-check from one seed, so a run replays exactly.
import fc from 'fast-check';
import {
  buildMsChap2Response,
  chapResponse,
  eapIdentityResponse,
  encodeChapPassword,
  generateNtResponse,
  ntPasswordHash,
} from '../../protocol/auth/index.ts';
import {
  PacketCode,
  applyMutation,
  buildRequest,
  type AttributeInput,
  type Mutation,
} from '../../protocol/index.ts';

/** The one account the fuzz target knows; every other name or password must be refused. */
export const FUZZ_USER = { name: 'alice', upn: 'alice@radmfa.test', password: 'Fuzz-Passw0rd!' } as const;

export const templateKinds = [
  'pap',
  'chap',
  'mschapv2',
  'eap-identity',
  'eap-md5',
  'status-server',
  'accounting',
] as const;
export type TemplateKind = (typeof templateKinds)[number];

export const mutationKinds = [
  'none',
  'bit-flips',
  'truncate',
  'length-lie',
  'attribute-length-lie',
  'oversized',
  'raw-attribute',
  'strip-message-authenticator',
  'duplicate-message-authenticator',
] as const;
export type MutationKind = (typeof mutationKinds)[number];

/** Where a fuzz datagram comes from: the configured NAS, or an address no client entry covers. */
export type Source = 'client' | 'stranger';

export interface TemplateChoice {
  readonly kind: TemplateKind;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly userName: string;
  readonly rightPassword: boolean;
  readonly wrongPassword: string;
  readonly signed: boolean;
  readonly proxyState: boolean;
  /** CHAP / MS-CHAPv2 ident, challenges, EAP identifiers: drawn, so the bytes replay. */
  readonly ident: number;
  readonly challenge: Buffer;
  readonly peerChallenge: Buffer;
  readonly acctStatus: number;
}

export type FuzzMutation =
  | { readonly kind: 'bit-flips'; readonly bits: readonly number[] }
  | { readonly kind: 'truncate'; readonly keep: number }
  | { readonly kind: 'length-lie'; readonly length: number }
  | { readonly kind: 'attribute-length-lie'; readonly index: number; readonly length: number }
  | { readonly kind: 'oversized'; readonly extra: Buffer; readonly lengthFollows: boolean }
  | { readonly kind: 'raw-attribute'; readonly type: number; readonly value: Buffer }
  | { readonly kind: 'strip-message-authenticator' }
  | { readonly kind: 'duplicate-message-authenticator' };

export type FuzzCase =
  | {
      readonly shape: 'template';
      readonly source: Source;
      readonly template: TemplateChoice;
      readonly mutations: readonly FuzzMutation[];
    }
  | {
      /** A plausible header (request code, Identifier, true Length) over random attributes. */
      readonly shape: 'random-attributes';
      readonly source: Source;
      readonly code: number;
      readonly identifier: number;
      readonly authenticator: Buffer;
      readonly attributes: readonly { readonly type: number; readonly value: Buffer }[];
    }
  | { readonly shape: 'random-bytes'; readonly source: Source; readonly bytes: Buffer };

const bytes = (length: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength: length, maxLength: length }).map((a) => Buffer.from(a));

const templateArbitrary: fc.Arbitrary<TemplateChoice> = fc.record({
  kind: fc.constantFrom(...templateKinds),
  identifier: fc.nat(255),
  authenticator: bytes(16),
  // Case and domain spellings the server folds to the account, and names it must not know.
  userName: fc.constantFrom(
    'alice',
    'ALICE',
    FUZZ_USER.upn,
    'RADMFA\\alice',
    'mallory',
    '',
    'alice\u0000',
    'a'.repeat(253),
  ),
  rightPassword: fc.boolean(),
  wrongPassword: fc.oneof(
    fc.constantFrom('', 'fuzz-passw0rd!', 'Fuzz-Passw0rd', 'Fuzz-Passw0rd!!', 'Fuzz-Passw0rd!\u0000'),
    fc.string({ maxLength: 130, size: 'max' }),
  ),
  signed: fc.boolean(),
  proxyState: fc.boolean(),
  ident: fc.nat(255),
  challenge: bytes(16),
  peerChallenge: bytes(16),
  acctStatus: fc.constantFrom(1, 2, 3, 7, 8),
});

const mutationArbitrary: fc.Arbitrary<FuzzMutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('bit-flips'),
      bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate'), keep: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('length-lie'),
      length: fc.oneof(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 4090, max: 4100 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('attribute-length-lie'),
      index: fc.nat(12),
      length: fc.oneof(fc.constantFrom(0, 1, 2, 3, 255), fc.nat(255)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('oversized'),
      extra: fc.uint8Array({ minLength: 1, maxLength: 5000, size: 'max' }).map((a) => Buffer.from(a)),
      lengthFollows: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('raw-attribute'),
      type: fc.nat(255),
      value: fc.uint8Array({ maxLength: 260, size: 'max' }).map((a) => Buffer.from(a)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'strip-message-authenticator' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'duplicate-message-authenticator' as const }) },
);

const sourceArbitrary: fc.Arbitrary<Source> = fc.oneof(
  { weight: 9, arbitrary: fc.constant('client' as const) },
  { weight: 1, arbitrary: fc.constant('stranger' as const) },
);

/** One fuzz datagram's recipe. `size: 'max'` on the byte arrays: without it fast-check keeps them short. */
export const fuzzCaseArbitrary: fc.Arbitrary<FuzzCase> = fc.oneof(
  {
    weight: 16,
    arbitrary: fc.record({
      shape: fc.constant('template' as const),
      source: sourceArbitrary,
      template: templateArbitrary,
      mutations: fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 5, arbitrary: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      shape: fc.constant('random-attributes' as const),
      source: sourceArbitrary,
      code: fc.constantFrom(
        PacketCode.AccessRequest,
        PacketCode.AccountingRequest,
        PacketCode.StatusServer,
        2,
        3,
        11,
        40,
        255,
      ),
      identifier: fc.nat(255),
      authenticator: bytes(16),
      attributes: fc.array(
        fc.record({
          type: fc.oneof(fc.constantFrom(1, 2, 3, 24, 26, 33, 79, 80), fc.nat(255)),
          value: fc.uint8Array({ maxLength: 253, size: 'max' }).map((a) => Buffer.from(a)),
        }),
        { maxLength: 24, size: 'max' },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      shape: fc.constant('random-bytes' as const),
      source: sourceArbitrary,
      bytes: fc.uint8Array({ maxLength: 4200, size: 'max' }).map((a) => Buffer.from(a)),
    }),
  },
);

function credentialAttributes(t: TemplateChoice, password: string): AttributeInput[] {
  switch (t.kind) {
    case 'pap':
      // Octets, not text: a text value starting with 0x would be read as hex by the codec.
      return [{ name: 'User-Password', value: Buffer.from(password, 'utf8') }];
    case 'chap':
      return [
        {
          name: 'CHAP-Password',
          value: encodeChapPassword(t.ident, chapResponse(t.ident, password, t.challenge)),
        },
        { name: 'CHAP-Challenge', value: t.challenge },
      ];
    case 'mschapv2': {
      const name = t.userName.includes('\\') ? (t.userName.split('\\').pop() ?? '') : t.userName;
      const ntResponse = generateNtResponse(t.challenge, t.peerChallenge, name, ntPasswordHash(password));
      return [
        { name: 'MS-CHAP-Challenge', value: t.challenge },
        {
          name: 'MS-CHAP2-Response',
          value: buildMsChap2Response({ ident: t.ident, peerChallenge: t.peerChallenge, ntResponse }),
        },
      ];
    }
    case 'eap-identity':
      return [{ name: 'EAP-Message', value: eapIdentityResponse(t.ident, t.userName) }];
    case 'eap-md5':
      // An EAP-MD5 Response out of any conversation (no State): the server must not accept it.
      return [
        { name: 'EAP-Message', value: Buffer.concat([Buffer.from([2, t.ident, 0, 22, 4, 16]), t.challenge]) },
        { name: 'State', value: t.peerChallenge },
      ];
    default:
      return [];
  }
}

const MAX_STRING = 253;

/** The template's well-formed bytes (before any mutation). */
export function templateBytes(t: TemplateChoice, secret: string): Buffer {
  const userName = t.userName.slice(0, MAX_STRING);
  const proxy: AttributeInput[] = t.proxyState ? [{ name: 'Proxy-State', value: t.peerChallenge }] : [];
  const user: AttributeInput[] = userName === '' ? [] : [{ name: 'User-Name', value: userName }];
  const nas: AttributeInput[] = [
    { name: 'NAS-IP-Address', value: '127.0.0.1' },
    { name: 'NAS-Port-Type', value: 'Virtual' },
  ];
  const password = t.rightPassword ? FUZZ_USER.password : t.wrongPassword;
  const common = { identifier: t.identifier, authenticator: t.authenticator, secret };
  switch (t.kind) {
    case 'status-server':
      return buildRequest({
        ...common,
        code: PacketCode.StatusServer,
        attributes: proxy,
        messageAuthenticator: t.signed,
      }).bytes;
    case 'accounting':
      return buildRequest({
        ...common,
        code: PacketCode.AccountingRequest,
        attributes: [
          { name: 'Acct-Status-Type', value: t.acctStatus },
          { name: 'Acct-Session-Id', value: t.challenge.toString('hex') },
          ...user,
          ...nas,
          ...proxy,
        ],
        messageAuthenticator: t.signed,
      }).bytes;
    default: {
      const eap = t.kind === 'eap-identity' || t.kind === 'eap-md5';
      // Passwords the codec refuses (over 128 octets) fall back to a wrong short one.
      const usable = Buffer.byteLength(password) <= 128 ? password : 'x';
      return buildRequest({
        ...common,
        code: PacketCode.AccessRequest,
        attributes: [...user, ...credentialAttributes(t, usable), ...nas, ...proxy],
        messageAuthenticator: t.signed || eap,
      }).bytes;
    }
  }
}

function messageAuthenticatorCopy(packet: Buffer): Buffer {
  // The codec's own mutation finds the attribute; a second copy appended makes two of them.
  const stripped = applyMutation(packet, { kind: 'strip-message-authenticator' });
  if (stripped.length === packet.length) return packet;
  const attr = Buffer.alloc(18);
  attr[0] = 80;
  attr[1] = 18;
  const out = Buffer.concat([packet, attr]);
  out.writeUInt16BE(out.length & 0xffff, 2);
  return out;
}

export function applyFuzzMutation(packet: Buffer, m: FuzzMutation): Buffer {
  switch (m.kind) {
    case 'bit-flips': {
      const out = Buffer.from(packet);
      if (out.length === 0) return out;
      for (const bit of m.bits) {
        const at = Math.floor(bit / 8) % out.length;
        out[at] = (out[at] ?? 0) ^ (1 << (bit % 8));
      }
      return out;
    }
    case 'truncate':
      return Buffer.from(packet.subarray(0, packet.length === 0 ? 0 : m.keep % packet.length));
    case 'length-lie':
      return applyMutation(packet, { kind: 'set-length-field', length: m.length });
    case 'attribute-length-lie':
      return applyMutation(packet, { kind: 'set-attribute-length', index: m.index, length: m.length });
    case 'oversized': {
      const out = Buffer.concat([packet, m.extra]);
      if (m.lengthFollows && out.length >= 4) out.writeUInt16BE(Math.min(out.length, 65535), 2);
      return out;
    }
    case 'raw-attribute':
      return applyMutation(packet, {
        kind: 'raw-attribute',
        type: m.type,
        value: m.value,
      } satisfies Mutation);
    case 'strip-message-authenticator':
      return applyMutation(packet, { kind: 'strip-message-authenticator' });
    case 'duplicate-message-authenticator':
      return messageAuthenticatorCopy(packet);
  }
}

function randomAttributesBytes(c: Extract<FuzzCase, { shape: 'random-attributes' }>): Buffer {
  const attrs = c.attributes.map((a) => Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value]));
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(4);
  header[0] = c.code;
  header[1] = c.identifier;
  header.writeUInt16BE(Math.min(20 + body.length, 65535), 2);
  return Buffer.concat([header, c.authenticator, body]);
}

/** The datagram a case stands for, signed with `secret` where its template is signed. */
export function datagramOf(c: FuzzCase, secret: string): Buffer {
  switch (c.shape) {
    case 'template':
      return c.mutations.reduce(applyFuzzMutation, templateBytes(c.template, secret));
    case 'random-attributes':
      return randomAttributesBytes(c);
    case 'random-bytes':
      return c.bytes;
  }
}

/** A short label for the examples ("pap/bit-flips+truncate", "random-bytes"). */
export function caseLabel(c: FuzzCase): string {
  if (c.shape !== 'template') return c.shape;
  const mutation = c.mutations.length === 0 ? 'none' : c.mutations.map((m) => m.kind).join('+');
  return `${c.template.kind}/${mutation}`;
}

/** What a case covers, one key per dimension ("template:pap", "mutation:truncate", "shape:random-bytes"). */
export function coverageKeys(c: FuzzCase): string[] {
  if (c.shape !== 'template') return [`shape:${c.shape}`];
  const mutations: readonly string[] = c.mutations.length === 0 ? ['none'] : c.mutations.map((m) => m.kind);
  return [`template:${c.template.kind}`, ...new Set(mutations.map((m) => `mutation:${m}`))];
}
