// protocol/ldap against an independent encoder: the requests byte for byte as ldapts writes them,
// responses built with ldapts's BerWriter decoded back to what went in, RFC 4511 vectors, and
// malformed input ending in one of the closed failure codes (never another exception).
import fc from 'fast-check';
import { Attribute, BerWriter, BindRequest, FilterParser, SearchRequest, UnbindRequest } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  LdapDecodeError,
  ldapDecodeFailureReasons,
  type LdapDecodeFailureCode,
} from '../../../protocol/ldap/ber.ts';
import {
  LdapMessageFramer,
  MAX_MESSAGE_OCTETS,
  SearchRequestTemplate,
  decodeLdapMessage,
  encodeSimpleBindRequest,
  encodeUnbindRequest,
  messageEnd,
  nextMessageId,
  tryDecodeLdapMessage,
  type LdapResponse,
} from '../../../protocol/ldap/messages.ts';
import { escapeFilterValue, userSearchEncoder } from '../../../reference/directory/ldap-directory.ts';
import { loginAttributeLists } from '../../../reference/directory/login-attributes.ts';
import { serverConfigDefaults } from '../../../reference/config/server-config.ts';
import { ldaptsMessage } from '../../support/ldapts-message.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decodeAll(bytes: Buffer): LdapResponse {
  const end = messageEnd(bytes, 0, bytes.length);
  if (end === undefined) throw new Error('incomplete');
  expect(end).toBe(bytes.length);
  return decodeLdapMessage(bytes, 0, end);
}

function ldaptsResult(w: BerWriter, code: number, matched = '', diagnostic = ''): void {
  w.writeEnumeration(code);
  w.writeString(matched);
  w.writeString(diagnostic);
}

const SEARCH_SPEC = { scope: 2, derefAliases: 0, sizeLimit: 2, timeLimit: 10, typesOnly: false } as const;

function ldaptsSearch(messageId: number, baseDn: string, filter: string, attributes: string[] = []): Buffer {
  return Buffer.from(
    new SearchRequest({
      messageId,
      baseDN: baseDn,
      scope: 'sub',
      filter: FilterParser.parseString(filter),
      sizeLimit: 2,
      timeLimit: 10,
      attributes,
    }).write(),
  );
}

const PLACEHOLDER = 'placeholder-5d1c';

function template(baseDn: string, filter: string, attributes: string[] = []): SearchRequestTemplate {
  const w = new BerWriter();
  FilterParser.parseString(filter.replaceAll('{user}', PLACEHOLDER)).write(w);
  return new SearchRequestTemplate({
    baseDn,
    ...SEARCH_SPEC,
    filter: Buffer.from(w.buffer),
    placeholder: Buffer.from(PLACEHOLDER),
    attributes,
  });
}

const FILTERS = [
  '(&(objectClass=user)(sAMAccountName={user}))',
  '(|(sAMAccountName={user})(userPrincipalName={user}))',
  '(uid={user})',
  '(&(objectClass=person)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(cn={user}*))',
  '(mail=*{user}*)',
];

describe('requests, byte for byte as ldapts encodes them', () => {
  it('simple BindRequest (RFC 4511 4.2): short, 128+ and 256+ octet DNs, UTF-8 and empty passwords', () => {
    const cases: [number, string, string][] = [
      [1, 'CN=Alice Anderson,OU=Users,DC=radmfa,DC=test', 'Passw0rd!'],
      [127, `CN=${'x'.repeat(130)},DC=test`, 'pä$$wörd'],
      [128, `CN=${'y'.repeat(300)},DC=test`, ''],
      [0x7fffffff, '', 'p'],
    ];
    for (const [id, dn, password] of cases) {
      expect(encodeSimpleBindRequest(id, dn, password).toString('hex')).toBe(
        Buffer.from(new BindRequest({ messageId: id, dn, password }).write()).toString('hex'),
      );
    }
    // RFC 4511 4.2 by hand: SEQUENCE { 1, [APPLICATION 0] { 3, "cn=a", [0] "pw" } }
    expect(encodeSimpleBindRequest(1, 'cn=a', 'pw').toString('hex')).toBe(
      '3012 020101 600d 020103 0404 636e3d61 8002 7077'.replace(/ /g, ''),
    );
  });

  it('UnbindRequest (RFC 4511 4.3)', () => {
    expect(encodeUnbindRequest(5)).toEqual(Buffer.from(new UnbindRequest({ messageId: 5 }).write()));
    expect(encodeUnbindRequest(5).toString('hex')).toBe('30050201054200');
  });

  // Not the empty value: in "(cn={user}*)" it makes the string "(cn=*)", a presence filter, where the
  // template keeps a substring filter; LdapDirectory never searches for an empty name.
  it('SearchRequest from a template equals ldapts parsing the escaped filter, for any non-empty value', () => {
    const templates = FILTERS.map((f) => [f, template('DC=radmfa,DC=test', f)] as const);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 300, size: 'max' }),
        fc.nat(templates.length - 1),
        (id, value, which) => {
          const [filter, t] = templates[which] ?? templates[0]!;
          const expected = ldaptsSearch(
            id,
            'DC=radmfa,DC=test',
            filter.replaceAll('{user}', () => escapeFilterValue(value)),
          );
          expect(t.encode(id, Buffer.from(value, 'utf8')).toString('hex')).toBe(expected.toString('hex'));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('the directory uses the template for each of these filters and a requested attribute list encodes as ldapts does', () => {
    const lists = Object.values(loginAttributeLists(serverConfigDefaults));
    for (const filter of FILTERS) {
      for (const attributes of [[], ...lists]) {
        const encode = userSearchEncoder('DC=x', filter, attributes);
        expect(encode(9, 'a*)(b')).toEqual(
          ldaptsSearch(9, 'DC=x', filter.replaceAll('{user}', escapeFilterValue('a*)(b')), [...attributes]),
        );
      }
    }
    const t = template('DC=x', '(uid={user})', ['memberOf', 'userAccountControl']);
    expect(t.encode(3, Buffer.from('bob'))).toEqual(
      ldaptsSearch(3, 'DC=x', '(uid=bob)', ['memberOf', 'userAccountControl']),
    );
    expect(t.placeholders).toBe(1);
    expect(template('DC=x', '(|(a={user})(b={user}))').placeholders).toBe(2);
  });

  it('any attribute list (none, one, hundreds of octets) is encoded as ldapts encodes it', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,40}$/);
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 12, size: 'max' }),
        fc.string({ minLength: 1 }),
        (names, value) => {
          const expected = ldaptsSearch(5, 'DC=x', `(uid=${escapeFilterValue(value)})`, names);
          expect(template('DC=x', '(uid={user})', names).encode(5, Buffer.from(value, 'utf8'))).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a User-Name full of filter syntax stays one value: the filter keeps its shape', () => {
    const t = template('DC=x', '(sAMAccountName={user})');
    const injected = t.encode(1, Buffer.from('*)(objectClass=*'));
    // [APPLICATION 3] ... equalityMatch [3] { "sAMAccountName", "*)(objectClass=*" }: one AVA, no OR/presence.
    expect(
      injected.includes(hex('a3 22 040e 73414d4163636f756e744e616d65 0410 2a29286f626a656374436c6173733d2a')),
    ).toBe(true);
    expect(injected.includes(Buffer.from([0x87]))).toBe(false); // no present filter appeared
  });

  it('message IDs run 1 .. 2^31-1 and wrap to 1, never 0 (RFC 4511 4.1.1.1)', () => {
    expect(nextMessageId(0)).toBe(1);
    expect(nextMessageId(41)).toBe(42);
    expect(nextMessageId(0x7fffffff)).toBe(1);
  });
});

describe('responses', () => {
  it('BindResponse and SearchResultDone vectors (RFC 4511 4.1.9)', () => {
    expect(decodeAll(hex('300c 020101 6107 0a0100 0400 0400'))).toEqual({
      kind: 'bind-response',
      messageId: 1,
      result: { resultCode: 0, matchedDn: '', diagnosticMessage: '' },
    });
    // 49 invalidCredentials with AD's diagnostic, and a serverSaslCreds [7] that is ignored.
    const ad = '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563';
    const bind = ldaptsMessage(2, 0x61, (w) => {
      ldaptsResult(w, 49, '', ad);
      w.writeString('creds', 0x87);
    });
    expect(decodeAll(bind)).toEqual({
      kind: 'bind-response',
      messageId: 2,
      result: { resultCode: 49, matchedDn: '', diagnosticMessage: ad },
    });
    expect(decodeAll(hex('300c 020103 6507 0a0104 0400 0400'))).toMatchObject({
      kind: 'search-done',
      messageId: 3,
      result: { resultCode: 4 },
    });
  });

  it('SearchResultEntry: any DN and attributes, as ldapts encodes them, decode back to what went in', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40, size: 'max' });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        text,
        fc.array(
          fc.record({
            type: fc.string({ minLength: 1, maxLength: 20 }),
            values: fc.array(text, { maxLength: 5 }),
          }),
          {
            maxLength: 12,
            size: 'max',
          },
        ),
        (id, dn, attributes) => {
          const bytes = ldaptsMessage(id, 0x64, (w) => {
            w.writeString(dn);
            w.startSequence();
            for (const { type, values } of attributes) new Attribute({ type, values }).write(w);
            w.endSequence();
          });
          expect(decodeAll(bytes)).toEqual({ kind: 'search-entry', messageId: id, dn, attributes });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a SearchResultReference, controls after the protocolOp, and a Notice of Disconnection', () => {
    const reference = ldaptsMessage(4, 0x73, (w) => w.writeString('ldap://other.example/DC=x'));
    expect(decodeAll(reference)).toEqual({ kind: 'search-reference', messageId: 4 });
    const withControls = Buffer.concat([
      hex('3018 020105 6507 0a0100 0400 0400'),
      hex('a00a 3008 0406 312e322e3334'),
    ]);
    expect(decodeAll(withControls)).toMatchObject({ kind: 'search-done', messageId: 5 });
    const notice = ldaptsMessage(0, 0x78, (w) => {
      ldaptsResult(w, 52, '', 'server shutting down');
      w.writeString('1.3.6.1.4.1.1466.20036', 0x8a);
    });
    expect(decodeAll(notice)).toEqual({
      kind: 'extended-response',
      messageId: 0,
      result: { resultCode: 52, matchedDn: '', diagnosticMessage: 'server shutting down' },
      responseName: '1.3.6.1.4.1.1466.20036',
    });
  });
});

describe('malformed input: closed failure codes', () => {
  const cases: [string, string, LdapDecodeFailureCode][] = [
    ['not a SEQUENCE', '310c 020101 6107 0a0100 0400 0400', 'unexpected-tag'],
    ['indefinite length', '3080 020101 6107 0a0100 0400 0400 0000', 'indefinite-length'],
    ['five length octets', '3085 0000000001 00', 'length-too-long'],
    ['messageID of no octets', '300b 0200 6107 0a0100 0400 0400', 'bad-integer'],
    ['messageID of five octets', '3010 02050000000001 6107 0a0100 0400 0400', 'bad-integer'],
    ['negative messageID', '300c 0201ff 6107 0a0100 0400 0400', 'bad-integer'],
    ['inner length past its container', '300c 020101 6107 0a0100 0409 0400', 'overrun'],
    ['result code missing', '3007 020101 6102 0400', 'unexpected-tag'],
    ['protocolOp missing', '3003 020101', 'truncated'],
    ['a ModifyResponse (never asked for)', '300c 020101 6707 0a0100 0400 0400', 'unsupported-operation'],
    [
      'attribute values not a SET',
      '3018 020101 6413 0401 61 300e 300c 0401 78 3007 0401 31 0402 3232',
      'unexpected-tag',
    ],
  ];
  for (const [title, bytes, code] of cases) {
    it(`${title}: ${code}`, () => {
      const data = hex(bytes);
      const result = (() => {
        try {
          const end = messageEnd(data, 0, data.length) ?? data.length;
          return tryDecodeLdapMessage(data, 0, Math.min(end, data.length));
        } catch (error) {
          if (error instanceof LdapDecodeError)
            return { ok: false as const, code: error.code, message: error.message };
          throw error;
        }
      })();
      expect(result).toMatchObject({ ok: false, code });
      if (!result.ok) expect(result.message.startsWith(ldapDecodeFailureReasons[code])).toBe(true);
    });
  }

  it('a length beyond the largest accepted message: message-too-long, before any of it is buffered', () => {
    const header = Buffer.from([0x30, 0x84, 0, 0, 0, 0]);
    header.writeUInt32BE(MAX_MESSAGE_OCTETS + 1, 2);
    expect(() => messageEnd(header, 0, header.length)).toThrow(
      expect.objectContaining({ code: 'message-too-long' }),
    );
  });

  it('any bytes: decoding ends in a response or a closed code, never another error (property)', () => {
    const codes = new Set(Object.keys(ldapDecodeFailureReasons));
    // Mutations of valid messages reach deeper than random bytes, so both are drawn.
    const valid = [
      hex('300c 020101 6107 0a0100 0400 0400'),
      ldaptsMessage(7, 0x64, (w) => {
        w.writeString('CN=a,DC=x');
        w.startSequence();
        new Attribute({ type: 'memberOf', values: ['CN=g,DC=x', 'CN=h,DC=x'] }).write(w);
        w.endSequence();
      }),
    ];
    const mutated = fc
      .tuple(
        fc.nat(valid.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([which, edits, cut]) => {
        const bytes = Buffer.from(valid[which] ?? valid[0]!);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return bytes.subarray(0, 1 + (cut % bytes.length));
      });
    const random = fc.uint8Array({ maxLength: 80, size: 'max' }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(mutated, random), (bytes) => {
        const framer = new LdapMessageFramer();
        try {
          framer.push(bytes, () => undefined);
        } catch (error) {
          expect(error).toBeInstanceOf(LdapDecodeError);
          expect(codes.has((error as LdapDecodeError).code)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('LdapMessageFramer', () => {
  it('the same responses in the same order however the stream is cut (property)', () => {
    const stream = Buffer.concat([
      ldaptsMessage(1, 0x64, (w) => {
        w.writeString(`CN=${'z'.repeat(200)},DC=x`);
        w.startSequence();
        new Attribute({ type: 'description', values: ['d'.repeat(300)] }).write(w);
        w.endSequence();
      }),
      hex('300c 020101 6507 0a0100 0400 0400'),
      hex('300c 020102 6107 0a0131 0400 0400'),
    ]);
    const whole: LdapResponse[] = [];
    new LdapMessageFramer().push(stream, (r) => whole.push(r));
    expect(whole.map((r) => r.kind)).toEqual(['search-entry', 'search-done', 'bind-response']);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12, size: 'max' }),
        (cuts) => {
          const framer = new LdapMessageFramer();
          const got: LdapResponse[] = [];
          let from = 0;
          for (const at of [...cuts].sort((a, b) => a - b)) {
            framer.push(stream.subarray(from, at), (r) => got.push(r));
            from = at;
          }
          framer.push(stream.subarray(from), (r) => got.push(r));
          expect(got).toEqual(whole);
          expect(framer.pendingOctets).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
