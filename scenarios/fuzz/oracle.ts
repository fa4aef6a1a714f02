// What a fuzz run holds the server to, judged from the bytes alone: the datagram as it was sent and
// the reply as the server sent it. The framing and authenticator checks here are written apart from
// protocol/ (a walk over the octets and node:crypto), so a codec bug cannot hide itself by agreeing
// with its own oracle; only the password algorithms (CHAP, MS-CHAPv2), tested against their RFC
// vectors, are shared.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { generateNtResponse, ntPasswordHash } from '../../protocol/auth/index.ts';

export const violationKinds = [
  'accepted-wrong-credentials',
  'answered-bad-message-authenticator',
  'answered-two-message-authenticators',
  'answered-forged-accounting',
  'answered-unsigned-status-server',
  'answered-unsigned-eap',
  'answered-malformed',
  'answered-non-client',
  'reply-not-matching-a-request',
  'reply-message-authenticator-not-first',
  'server-error',
  'stopped-answering',
] as const;
export type ViolationKind = (typeof violationKinds)[number];

export const violationReasons: Readonly<Record<ViolationKind, string>> = {
  'accepted-wrong-credentials': 'Access-Accept to a request without a valid password for a known user',
  'answered-bad-message-authenticator': 'answered a request whose Message-Authenticator does not verify',
  'answered-two-message-authenticators': 'answered a request with more than one Message-Authenticator',
  'answered-forged-accounting': 'answered an Accounting-Request whose Request Authenticator does not verify',
  'answered-unsigned-status-server': 'answered a Status-Server without Message-Authenticator (RFC 5997 3)',
  'answered-unsigned-eap': 'answered EAP-Message without Message-Authenticator (RFC 3579 3.3)',
  'answered-malformed': 'answered a datagram whose Length or attribute framing is invalid',
  'answered-non-client': 'answered a datagram from an address no client entry covers',
  'reply-not-matching-a-request': 'sent a reply whose Response Authenticator matches no request sent',
  'reply-message-authenticator-not-first':
    'an Access reply without a valid Message-Authenticator as its first attribute',
  'server-error': 'the server reported an internal error or threw while handling a datagram',
  'stopped-answering': 'a valid login after a batch got no Access-Accept',
};

export interface Account {
  readonly names: readonly string[];
  readonly password: string;
}

interface Attribute {
  readonly type: number;
  readonly offset: number;
  readonly value: Buffer;
}

type Framing =
  { readonly ok: true; readonly length: number; readonly attributes: Attribute[] } | { readonly ok: false };

const HEADER = 20;
const MAX_PACKET = 4096;
const MESSAGE_AUTHENTICATOR = 80;

/** RFC 2865 3 and 5: Length within 20..4096 and the datagram, attributes of Length >= 2 ending on it. */
export function frame(bytes: Buffer): Framing {
  if (bytes.length < HEADER) return { ok: false };
  const length = bytes.readUInt16BE(2);
  if (length < HEADER || length > MAX_PACKET || length > bytes.length) return { ok: false };
  const attributes: Attribute[] = [];
  let at = HEADER;
  while (at < length) {
    if (at + 2 > length) return { ok: false };
    const size = bytes[at + 1] ?? 0;
    if (size < 2 || at + size > length) return { ok: false };
    attributes.push({ type: bytes[at] ?? 0, offset: at, value: bytes.subarray(at + 2, at + size) });
    at += size;
  }
  return { ok: true, length, attributes };
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();

function macVerifies(packet: Buffer, offset: number, secret: string, authenticator: Buffer): boolean {
  const copy = Buffer.from(packet);
  authenticator.copy(copy, 4);
  copy.fill(0, offset + 2, offset + 18);
  const mac = createHmac('md5', secret).update(copy).digest();
  const sent = packet.subarray(offset + 2, offset + 18);
  return sent.length === 16 && timingSafeEqual(mac, sent);
}

/** RFC 2866 3: MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret). */
function accountingAuthenticatorVerifies(packet: Buffer, secret: string): boolean {
  const zeroed = Buffer.from(packet);
  zeroed.fill(0, 4, 20);
  return md5(zeroed, Buffer.from(secret)).equals(packet.subarray(4, 20));
}

/** RFC 2865 3: MD5(Code+Identifier+Length+RequestAuth+Attributes+Secret). */
export function responseMatches(reply: Buffer, request: Buffer, secret: string): boolean {
  if (reply.length < HEADER || request.length < HEADER) return false;
  const length = Math.min(reply.readUInt16BE(2), reply.length);
  const body = Buffer.from(reply.subarray(0, length));
  request.copy(body, 4, 4, 20);
  return md5(body, Buffer.from(secret)).equals(reply.subarray(4, 20));
}

function revealPap(hidden: Buffer, secret: string, authenticator: Buffer): Buffer | undefined {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return undefined;
  const out = Buffer.alloc(hidden.length);
  let previous = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const key = md5(Buffer.from(secret), previous);
    for (let j = 0; j < 16; j++) out[i + j] = (hidden[i + j] ?? 0) ^ (key[j] ?? 0);
    previous = hidden.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

function vendorAttribute(attrs: readonly Attribute[], vendor: number, type: number): Buffer | undefined {
  for (const a of attrs) {
    if (a.type !== 26 || a.value.length < 6 || a.value.readUInt32BE(0) !== vendor) continue;
    for (let at = 4; at + 2 <= a.value.length;) {
      const size = a.value[at + 1] ?? 0;
      if (size < 2 || at + size > a.value.length) break;
      if (a.value[at] === type) return a.value.subarray(at + 2, at + size);
      at += size;
    }
  }
  return undefined;
}

const MICROSOFT = 311;

/** True when some credential in the request is the account's password (PAP, CHAP or MS-CHAPv2). */
function credentialsValid(
  packet: Buffer,
  attrs: readonly Attribute[],
  secret: string,
  account: Account,
): boolean {
  const first = (type: number): Buffer | undefined => attrs.find((a) => a.type === type)?.value;
  const userName = first(1)?.toString('utf8');
  if (userName === undefined) return false;
  const bare = userName.includes('\\') ? userName.slice(userName.indexOf('\\') + 1) : userName;
  if (!account.names.includes(bare.toLowerCase())) return false;
  const password = Buffer.from(account.password, 'utf8');
  const authenticator = packet.subarray(4, 20);
  const hidden = first(2);
  if (hidden !== undefined && revealPap(hidden, secret, authenticator)?.equals(password) === true)
    return true;
  const chap = first(3);
  if (chap?.length === 17) {
    const challenge = first(60) ?? authenticator;
    if (md5(chap.subarray(0, 1), password, challenge).equals(chap.subarray(1))) return true;
  }
  const msChallenge = vendorAttribute(attrs, MICROSOFT, 11);
  const ms2 = vendorAttribute(attrs, MICROSOFT, 25);
  if (msChallenge?.length === 16 && ms2?.length === 50) {
    const expected = generateNtResponse(
      msChallenge,
      ms2.subarray(2, 18),
      userName,
      ntPasswordHash(account.password),
    );
    if (expected.equals(ms2.subarray(26, 50))) return true;
  }
  return false;
}

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCESS_CHALLENGE = 11;
const ACCOUNTING_REQUEST = 4;
const STATUS_SERVER = 12;

/**
 * The violations in one answered request: `request` as sent, `reply` as the server sent it (already
 * matched by Response Authenticator). An empty list means the answer was allowed.
 */
export function judgeAnswer(
  request: Buffer,
  reply: Buffer,
  secret: string,
  account: Account,
): ViolationKind[] {
  const framing = frame(request);
  if (!framing.ok) return ['answered-malformed'];
  const packet = request.subarray(0, framing.length);
  const code = packet[0];
  const found: ViolationKind[] = [];
  const macs = framing.attributes.filter((a) => a.type === MESSAGE_AUTHENTICATOR);
  if (macs.length > 1) found.push('answered-two-message-authenticators');
  const computed = code === ACCOUNTING_REQUEST;
  const macAuthenticator = computed ? Buffer.alloc(16) : packet.subarray(4, 20);
  for (const mac of macs) {
    if (mac.value.length !== 16 || !macVerifies(packet, mac.offset, secret, macAuthenticator))
      found.push('answered-bad-message-authenticator');
  }
  if (computed && !accountingAuthenticatorVerifies(packet, secret)) found.push('answered-forged-accounting');
  if (code === STATUS_SERVER && macs.length === 0) found.push('answered-unsigned-status-server');
  if (framing.attributes.some((a) => a.type === 79) && macs.length === 0) found.push('answered-unsigned-eap');
  if (code === ACCESS_REQUEST && reply[0] === ACCESS_ACCEPT) {
    if (framing.attributes.some((a) => a.type === 79)) found.push('accepted-wrong-credentials');
    else if (!credentialsValid(packet, framing.attributes, secret, account))
      found.push('accepted-wrong-credentials');
  }
  if (reply[0] === ACCESS_ACCEPT || reply[0] === ACCESS_REJECT || reply[0] === ACCESS_CHALLENGE) {
    const replyFraming = frame(reply);
    const firstAttr = replyFraming.ok ? replyFraming.attributes[0] : undefined;
    if (
      firstAttr?.type !== MESSAGE_AUTHENTICATOR ||
      !macVerifies(
        reply.subarray(0, replyFraming.ok ? replyFraming.length : 0),
        firstAttr.offset,
        secret,
        packet.subarray(4, 20),
      )
    )
      found.push('reply-message-authenticator-not-first');
  }
  return [...new Set(found)];
}
