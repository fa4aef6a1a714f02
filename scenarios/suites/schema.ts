// The suite file format (scenarios/suites/*.yaml), as one zod schema: the loader validates with it
// (every issue at once, field + fix, exit 104) and `radmfa schema suite` publishes it as JSON Schema.
// A case is data: where it runs (targets), what it stands on (server settings, directory, tenant,
// NAS, network), what it does (steps) and what must come of it (expectations), and why.
import { OCTETS_HEX_FIX, defaultDictionary, readOctetsText } from '../../protocol/index.ts';
import { jsonSchemaOf, z } from '../../runtime/validation/index.ts';
import { loginMethods } from '../../simulators/nas/methods/types.ts';

/** "250ms", "11s", "2m", or a number of milliseconds. */
export const duration = z
  .union([
    z.number().int().min(0),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, { error: 'must be a duration such as 500ms, 11s or 2m' }),
  ])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
    const amount = Number(match?.[1] ?? 0);
    return Math.round(amount * (match?.[2] === 'm' ? 60_000 : match?.[2] === 's' ? 1_000 : 1));
  })
  .meta({ fix: 'write a duration such as 500ms, 11s or 2m, or a number of milliseconds' });

const caseTarget = z.enum(['embedded-virtual', 'embedded-udp', 'external']);

/** What a case needs from a server it did not set up (a target HOST:PORT). */
const need = z.enum([
  'pap-user',
  'chap-user',
  'mschapv2-user',
  'eap-md5-user',
  'eap-mschapv2-user',
  'wrong-password',
]);

const method = z.enum(loginMethods as [string, ...string[]]);

/** How the user answers an MFA code prompt. */
const code = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('totp'), secretBase32: z.string().min(16) }).strict(),
  z.object({ kind: z.literal('sms') }).strict(),
  z.object({ kind: z.literal('fixed'), code: z.string() }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

/**
 * An attribute to send. Exactly one source: `value`; `fromReply`, the value of the attribute of the
 * same name in the last reply an earlier step (by id) received (the State of an Access-Challenge,
 * to answer it from a packet step or to replay it); or `totpOf`, the current TOTP (RFC 6238, SHA-1,
 * 6 digits, 30 s) of a base32 secret, computed on the case's clock when the datagram is built.
 */
/**
 * An octets attribute's value that starts with 0x must be whole hex pairs (protocol's one rule,
 * readOctetsText), so that a typo in a hex dump is refused here instead of sent as text.
 */
function checkOctetsText(name: string, value: unknown, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (typeof value !== 'string') return;
  const type = defaultDictionary.byNameOrUndefined(name)?.dataType;
  if (type !== 'octets' && type !== 'vsa') return;
  const read = readOctetsText(value);
  if (read.kind !== 'bad-hex') return;
  ctx.addIssue({
    code: 'custom',
    path,
    message: `${name} is octets and ${read.reason}`,
    params: { fix: OCTETS_HEX_FIX },
  });
}

const attributeInput = z
  .object({
    name: z.string().min(1),
    value: z.union([z.string(), z.number()]).optional(),
    fromReply: z.string().min(1).optional(),
    totpOf: z.string().min(16).optional(),
  })
  .strict()
  .refine((a) => [a.value, a.fromReply, a.totpOf].filter((source) => source !== undefined).length === 1, {
    error: 'needs exactly one of value, fromReply or totpOf',
  })
  .superRefine((a, ctx) => checkOctetsText(a.name, a.value, ['value'], ctx))
  .meta({ fix: 'write { name: Attribute-Name, value: ... } (or fromReply: <step id>, or totpOf: <base32>)' });

const attributeExpect = z
  .object({
    present: z.array(z.string()).optional(),
    absent: z.array(z.string()).optional(),
    /** Exact printable values (hidden attributes cannot be compared); octets also as `0x...`. */
    equals: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .superRefine((equals, ctx) => {
        for (const [name, value] of Object.entries(equals)) checkOctetsText(name, value, [name], ctx);
      })
      .optional(),
  })
  .strict();

const latency = z.object({ minMs: duration.optional(), maxMs: duration.optional() }).strict();

const loginExpect = z
  .object({
    outcome: z.enum(['accept', 'reject', 'timeout', 'error']).optional(),
    /** Reply-Message must contain this text. */
    replyMessage: z.string().optional(),
    attributes: attributeExpect.optional(),
    transmissions: z.number().int().min(0).optional(),
    retransmissions: z.number().int().min(0).optional(),
    challenges: z.number().int().min(0).optional(),
    latency: latency.optional(),
    /**
     * Embedded targets only (ignored on external): the reason the reference server gave for its last
     * answer to this login (its `access` event: wrong-password, mfa-denied, REQUEST_MISSING_CODE...),
     * followed by the MFA service's error code when there was one, starts with this text
     * (`mfa-unavailable` and `mfa-unavailable: ServiceUnavailable` both match
     * `mfa-unavailable: ServiceUnavailable`). The event's free-text detail is never compared.
     */
    serverReason: z.string().optional(),
  })
  .strict();

const packetExpect = z
  .object({
    /** A reply code name (Access-Accept, Access-Reject, Access-Challenge, Accounting-Response) or none. */
    reply: z.string().optional(),
    /** The reply echoes Proxy-State unmodified and in order (RFC 2865 5.33). */
    proxyStateEchoed: z.boolean().optional(),
    /** The reply carries Message-Authenticator as its first attribute. */
    messageAuthenticatorFirst: z.boolean().optional(),
    attributes: attributeExpect.optional(),
    latency: latency.optional(),
    /** Embedded targets only: as a login's serverReason, for the server's answer to this packet. */
    serverReason: z.string().optional(),
  })
  .strict();

const mutation = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('truncate'), length: z.number().int().min(0) }).strict(),
  z.object({ kind: z.literal('set-length-field'), length: z.number().int().min(0).max(65_535) }).strict(),
  z.object({ kind: z.literal('append-garbage'), octets: z.number().int().min(1).max(8_192) }).strict(),
  z.object({ kind: z.literal('set-code'), code: z.number().int().min(0).max(255) }).strict(),
  z
    .object({
      kind: z.literal('set-attribute-length'),
      index: z.number().int().min(0),
      length: z.number().int().min(0).max(255),
    })
    .strict(),
  z.object({ kind: z.literal('flip-authenticator-bit') }).strict(),
  z.object({ kind: z.literal('flip-message-authenticator-bit') }).strict(),
  z.object({ kind: z.literal('strip-message-authenticator') }).strict(),
  z
    .object({
      kind: z.literal('raw-attribute'),
      type: z.number().int().min(0).max(255),
      /** The value's octets as hex pairs; `0x` in front is allowed, as octets values write it. */
      valueHex: z
        .string()
        .regex(/^(0x)?([0-9a-fA-F]{2})*$/, { error: 'must be pairs of hex digits' })
        .meta({ fix: 'write the octets as pairs of hex digits, e.g. 0102ff or 0x0102ff' }),
    })
    .strict(),
]);

const loginStep = z
  .object({
    kind: z.literal('login'),
    /** Names the step for `retransmit.of` and reports. */
    id: z.string().optional(),
    user: z.string().min(1),
    password: z.string(),
    method: method.default('pap'),
    code: code.optional(),
    /** How the user types the code (typing time, mistakes, giving up); default: at once, correctly. */
    typing: z.record(z.string(), z.unknown()).optional(),
    /** Extra attributes on every Access-Request of this login (replace the NAS's own of the same name). */
    attributes: z.array(attributeInput).optional(),
    /** Use this shared secret instead of the target's (a wrong-secret case). */
    secret: z.string().optional(),
    /** Start the login this long after the previous step started, without waiting for it to end. */
    concurrentAfter: duration.optional(),
    expect: loginExpect.optional(),
  })
  .strict();

const accountingStep = z
  .object({
    kind: z.literal('accounting'),
    id: z.string().optional(),
    status: z.enum(['Start', 'Interim-Update', 'Stop', 'Accounting-On', 'Accounting-Off']),
    user: z.string().optional(),
    sessionId: z.string().min(1),
    attributes: z.array(attributeInput).optional(),
    secret: z.string().optional(),
    expect: z
      .object({
        answered: z.boolean().optional(),
        transmissions: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const statusServerStep = z
  .object({
    kind: z.literal('status-server'),
    id: z.string().optional(),
    port: z.enum(['auth', 'acct']).default('auth'),
    secret: z.string().optional(),
    expect: z.object({ answered: z.boolean().optional(), reply: z.string().optional() }).strict().optional(),
  })
  .strict();

/** One hand-built datagram, sent once (plus any `retransmit` steps naming it). */
const packetStep = z
  .object({
    kind: z.literal('packet'),
    id: z.string().optional(),
    code: z.enum(['Access-Request', 'Accounting-Request', 'Status-Server']).default('Access-Request'),
    port: z.enum(['auth', 'acct']).optional(),
    /** Attributes in order; User-Password given in clear is hidden with the secret. */
    attributes: z.array(attributeInput).default([]),
    messageAuthenticator: z.enum(['first', 'last', 'absent']).default('first'),
    mutations: z.array(mutation).default([]),
    /** Sign (and hide the password) with this secret instead of the target's. */
    secret: z.string().optional(),
    /** Send from an address the server has no client entry for (embedded targets: 127.0.0.2). */
    fromUnknownClient: z.boolean().default(false),
    /**
     * Send from this loopback address (embedded targets), e.g. a second NAS the case adds to
     * `topology.server.clients`. Not with fromUnknownClient.
     */
    sourceAddress: z.union([z.ipv4(), z.ipv6()]).optional(),
    /**
     * Wait this long for a reply before calling the server silent. Embedded targets end the wait
     * early when the server reports it dropped the datagram.
     */
    waitFor: duration.default(2_000),
    expect: packetExpect.optional(),
  })
  .strict();

/** Re-sends the exact datagram of an earlier login or packet step at the given offsets from its first send. */
const retransmitStep = z
  .object({
    kind: z.literal('retransmit'),
    of: z.string().min(1),
    at: z.array(duration).min(1),
    /**
     * How long after the last copy to keep collecting replies to the copies (default 2 s). On
     * embedded targets a packet step's copies stop being listened for once each got a reply or was
     * reported discarded or dropped.
     */
    waitFor: duration.optional(),
    expect: z
      .object({
        /**
         * What the server did with the copies, by name: discard (no reply to any copy; NPS), replay
         * (byte-identical replies; RFC 5080 2.2.2) or reprocess (a different reply, or a second MFA prompt).
         */
        behaviour: z.enum(['discard', 'replay', 'reprocess']).optional(),
        /** Replies that came back to the copies (the original's own reply not counted). */
        replies: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const waitStep = z.object({ kind: z.literal('wait'), for: duration }).strict();

export const step = z.discriminatedUnion('kind', [
  loginStep,
  accountingStep,
  statusServerStep,
  packetStep,
  retransmitStep,
  waitStep,
]);

/** Network impairments between NAS and server (embedded-virtual only: the in-memory transport). */
const network = z
  .object({
    loss: z.number().min(0).max(1).optional(),
    delay: duration.optional(),
    jitter: duration.optional(),
    duplicate: z.number().min(0).max(1).optional(),
  })
  .strict();

const nas = z
  .object({
    /** A vendor profile (simulators/nas/profiles.ts); default nps-recommended (60 s, 2 sends). */
    profile: z.string().optional(),
    /** Overrides of the profile's retry policy, as in `radmfa nas` profiles. */
    policy: z.record(z.string(), z.unknown()).optional(),
    /** Attributes on every Access-Request. */
    attributes: z.array(attributeInput).optional(),
    nasIdentifier: z.string().optional(),
  })
  .strict();

/** What the reference server is started with for this case (embedded targets only). */
const topology = z
  .object({
    /** Server config keys merged over the embedded default (mappings merge, other values replace). */
    server: z.record(z.string(), z.unknown()).optional(),
    /** A directory fixture file, relative to the suite file; default the demo directory. */
    directory: z.string().optional(),
    /** Tenant user overrides by user name (behaviour, methods, enrolment), merged over the demo tenant. */
    tenantUsers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    /**
     * Tenant settings merged over the demo tenant's `settings` (promptTimeout, sessionLifetime,
     * maxWrongCodes...; simulators/mfa/tenant.ts), e.g. a prompt timeout longer than a 90 s approval.
     */
    tenantSettings: z.record(z.string(), z.unknown()).optional(),
    /**
     * Faults the MFA mock injects from the case's start (FaultSettings of protocol/mfa-api.ts:
     * unreachable, serverError, latency, tokenError, drop), as PUT /_admin/faults takes them.
     */
    mfaFaults: z.record(z.string(), z.unknown()).optional(),
    network: network.optional(),
  })
  .strict();

const caseExpect = z
  .object({
    /** MFA prompts (pushes, calls, SMS) sent during the case. */
    mfaPrompts: z.number().int().min(0).optional(),
    /**
     * Duplicates the server discarded or replayed, by reason (radmfa_duplicates_total): in-flight,
     * recently-answered, recently-dropped (discards) and replayed (RFC 5080 replays). A reason not
     * named is not checked; name it with 0 to require none.
     */
    discards: z.record(z.string(), z.number().int().min(0)).optional(),
    /**
     * Packets the server dropped, by reason (radmfa_packets_dropped_total; DropReason of
     * reference/events.ts). A reason not named is not checked; name it with 0 to require none.
     */
    drops: z.record(z.string(), z.number().int().min(0)).optional(),
    /**
     * Server warnings by code (its `warning` events: mfa-fail-open, ip-whitelist-no-nas-ip...): those
     * published during the case and those the server published when it started (fail-open-configured,
     * require-user-match-false). A code not named is not checked; name it with 0 to require none.
     */
    warnings: z.record(z.string(), z.number().int().min(0)).optional(),
    /** Accounting records stored during the case. */
    accountingRecords: z.number().int().min(0).optional(),
  })
  .strict();

export const suiteCase = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be lower-case words joined by hyphens' }),
    title: z.string().min(1),
    /** The RFC section or seed passage the case checks. */
    why: z.string().min(1),
    /** Where it can run, best first; default [embedded-virtual, embedded-udp]. */
    targets: z.array(caseTarget).min(1).optional(),
    /** What an external server must provide for this case. */
    needs: z.array(need).optional(),
    topology: topology.optional(),
    nas: nas.optional(),
    steps: z.array(step).min(1),
    expect: caseExpect.optional(),
    /** Places the case in a matrix in reports (nas-timeouts: profile x MFA time). */
    matrix: z.object({ name: z.string(), row: z.string(), column: z.string() }).strict().optional(),
  })
  .strict();

export const suiteFile = z
  .object({
    suite: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string().min(1),
    /** Merged under every case (topology and nas). */
    defaults: z
      .object({
        topology: topology.optional(),
        nas: nas.optional(),
        /**
         * What `${user}` and `${password}` stand for in steps (login user/password, attribute
         * values) on embedded targets; on an external target the run's --user/--password replace
         * them, so a case that needs a user (`needs: [pap-user]`) runs against any server.
         */
        credentials: z
          .object({ user: z.string().min(1), password: z.string() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    cases: z.array(suiteCase).min(1),
  })
  .strict()
  .superRefine((suite, ctx) => {
    const seen = new Map<string, number>();
    suite.cases.forEach((c, index) => {
      const first = seen.get(c.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cases', index, 'id'],
          message: `repeats the id of cases[${first}]`,
          params: { fix: 'give every case its own id' },
        });
      } else {
        seen.set(c.id, index);
      }
      const stepIds = new Set<string>();
      c.steps.forEach((s, stepIndex) => {
        if (s.kind === 'retransmit' && !stepIds.has(s.of)) {
          ctx.addIssue({
            code: 'custom',
            path: ['cases', index, 'steps', stepIndex, 'of'],
            message: `names no earlier login or packet step ("${s.of}")`,
            params: { fix: 'give an earlier login or packet step this id' },
          });
        }
        if (s.kind === 'login' || s.kind === 'packet') {
          (s.attributes ?? []).forEach((a, attributeIndex) => {
            if (a.fromReply !== undefined && !stepIds.has(a.fromReply)) {
              ctx.addIssue({
                code: 'custom',
                path: ['cases', index, 'steps', stepIndex, 'attributes', attributeIndex, 'fromReply'],
                message: `names no earlier login or packet step ("${a.fromReply}")`,
                params: { fix: 'give an earlier login or packet step this id' },
              });
            }
          });
          if (s.id !== undefined) stepIds.add(s.id);
        }
      });
    });
  });

export type SuiteFile = z.output<typeof suiteFile>;
export type SuiteCase = z.output<typeof suiteCase>;
export type Step = z.output<typeof step>;
export type LoginStep = z.output<typeof loginStep>;
export type PacketStep = z.output<typeof packetStep>;
export type RetransmitStep = z.output<typeof retransmitStep>;
export type AccountingStep = z.output<typeof accountingStep>;
/** An attribute as a suite writes it: one of value, fromReply or totpOf. */
export type SuiteAttribute = z.output<typeof attributeInput>;
export type Credentials = NonNullable<NonNullable<SuiteFile['defaults']>['credentials']>;

/** JSON Schema (draft 2020-12) of a suite file, for editors and `radmfa schema suite`. */
export function suiteFileJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(suiteFile, 'radmfa suite file');
}
