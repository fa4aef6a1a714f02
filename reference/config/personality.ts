// Server personalities as data: one row per RADIUS server the reference server can stand in for,
// each value with where it comes from. "assumed" marks a value no document we have states; the
// README prints this table, and every value can be overridden by the setting named in PRESET_KEYS.
import type { DuplicateProfileName } from '../duplicates/index.ts';

export type PersonalityName = 'nps' | 'freeradius' | 'duo';

export const personalityNames: readonly PersonalityName[] = ['nps', 'freeradius', 'duo'];

export const DEFAULT_PERSONALITY: PersonalityName = 'nps';

/**
 * When a reply carries Message-Authenticator: `always` (Blast-RADIUS guidance, RFC 3579 3.2 for
 * EAP), `when-requested` (only if the request carried one or EAP-Message), `with-eap` (only with
 * EAP-Message, where RFC 3579 3.2 requires it).
 */
export type ReplyMessageAuthenticator = 'always' | 'when-requested' | 'with-eap';

export const replyMessageAuthenticatorModes: readonly ReplyMessageAuthenticator[] = [
  'always',
  'when-requested',
  'with-eap',
];

/** What a server does with Status-Server (RFC 5997): answer it, or drop it as an unknown code. */
export type StatusServerMode = 'answer' | 'ignore';

export const statusServerModes: readonly StatusServerMode[] = ['answer', 'ignore'];

/** The values a personality presets; each has its own setting in the configuration file. */
export interface PersonalityValues {
  readonly duplicateProfile: DuplicateProfileName;
  readonly duplicateWindowMs: number;
  /** After an OTP challenge (SMS, app code, token), the Accept carries no policy attributes. */
  readonly dropPolicyAttributesAfterChallenge: boolean;
  readonly rejectDelayMs: number;
  readonly statusServer: StatusServerMode;
  readonly replyMessageAuthenticator: ReplyMessageAuthenticator;
  /** Reply-Message of a code challenge; `{prompt}` is the MFA service's wording, `{user}` the User-Name. */
  readonly codePrompt: string;
  /** Reply-Message added to an Access-Reject (never with EAP-Message); null: none. */
  readonly rejectMessage: string | null;
}

export type PresetField = keyof PersonalityValues;

/** Where each preset value is set in the configuration file (the override). */
export const PRESET_KEYS: Readonly<Record<PresetField, string>> = {
  duplicateProfile: 'duplicates.profile',
  duplicateWindowMs: 'duplicates.windowMs',
  // Under nps, npsCompat.crpUsernameStuffing: true sets it to false (the seed's workaround).
  dropPolicyAttributesAfterChallenge: 'npsCompat.dropPolicyAttributesAfterChallenge',
  rejectDelayMs: 'rejectDelayMs',
  statusServer: 'statusServer',
  replyMessageAuthenticator: 'replies.messageAuthenticator',
  codePrompt: 'replies.codePrompt',
  rejectMessage: 'replies.rejectMessage',
};

export const presetFields = Object.keys(PRESET_KEYS) as readonly PresetField[];

export interface Personality {
  readonly name: PersonalityName;
  readonly description: string;
  readonly values: PersonalityValues;
  /** Where each value comes from; "assumed: ..." when no document states it. */
  readonly sources: Readonly<Record<PresetField, string>>;
}

const SEED = 'seed (NPS extension for Entra MFA)';
const RADIUSD_CONF = 'FreeRADIUS 3.2 radiusd.conf (packaged default)';
const DUO_REFERENCE = 'Duo Authentication Proxy reference (duo.com/docs/authproxy-reference)';

export const personalities: Readonly<Record<PersonalityName, Personality>> = {
  nps: {
    name: 'nps',
    description: 'Windows NPS with the Entra MFA extension, as the seed document describes it',
    values: {
      duplicateProfile: 'nps',
      duplicateWindowMs: 10_000,
      dropPolicyAttributesAfterChallenge: true,
      rejectDelayMs: 0,
      statusServer: 'answer',
      replyMessageAuthenticator: 'always',
      codePrompt: '{prompt}',
      rejectMessage: null,
    },
    sources: {
      duplicateProfile: `${SEED}: duplicates are discarded while the MFA request is in progress, not answered`,
      duplicateWindowMs: `${SEED}: "continues to filter and discard duplicate requests for up to 10 seconds after a successful response"`,
      dropPolicyAttributesAfterChallenge: `${SEED}: after a code entered in the VPN client "any RADIUS attributes that are configured in the Network Access Policy are not forwarded"; the CrpUsernameStuffing workaround forwards them`,
      rejectDelayMs: 'assumed: neither the seed nor the NPS documentation we have names a reject delay',
      statusServer:
        'assumed: the seed does not say whether NPS answers Status-Server (RFC 5997); radmfa answers',
      replyMessageAuthenticator:
        'assumed: NPS after the July 2024 update (KB5040268, CVE-2024-3596) signs its replies; the KB documents the request side (requireMsgAuth, off by default)',
      codePrompt:
        "assumed: the seed does not quote the extension's challenge text; the MFA service's wording is sent",
      rejectMessage: 'assumed: the seed documents no Reply-Message on Access-Reject',
    },
  },
  freeradius: {
    name: 'freeradius',
    description: 'FreeRADIUS 3.2 with its packaged configuration',
    values: {
      duplicateProfile: 'rfc5080',
      duplicateWindowMs: 5_000,
      dropPolicyAttributesAfterChallenge: false,
      rejectDelayMs: 1_000,
      statusServer: 'answer',
      replyMessageAuthenticator: 'with-eap',
      codePrompt: '{prompt}',
      rejectMessage: null,
    },
    sources: {
      duplicateProfile: `${RADIUSD_CONF}, cleanup_delay: for a re-sent request "the server will respond quickly with the cached reply"`,
      duplicateWindowMs: `${RADIUSD_CONF}: cleanup_delay = 5`,
      dropPolicyAttributesAfterChallenge:
        'assumed: the reply list built for the request is sent with the Accept whether or not a challenge came before',
      rejectDelayMs: `${RADIUSD_CONF}: security.reject_delay = 1`,
      statusServer: `${RADIUSD_CONF}: security.status_server = yes`,
      replyMessageAuthenticator:
        'observed with FreeRADIUS 3.2.1 (installed here): PAP Accept, Reject and Status-Server replies carry no Message-Authenticator, even when the request has one; EAP replies carry it (RFC 3579 3.2). Later 3.2 releases changed this after CVE-2024-3596 (not checked here)',
      codePrompt:
        'assumed: FreeRADIUS sends whatever Reply-Message the policy sets; radmfa keeps the MFA service wording',
      rejectMessage:
        'FreeRADIUS 3.2 sites-available/default: Post-Auth-Type REJECT adds no Reply-Message (and removes one next to EAP-Message)',
    },
  },
  duo: {
    name: 'duo',
    description: 'Duo Authentication Proxy (radius_server_auto)',
    values: {
      duplicateProfile: 'duo',
      duplicateWindowMs: 30_000,
      dropPolicyAttributesAfterChallenge: false,
      rejectDelayMs: 0,
      statusServer: 'ignore',
      replyMessageAuthenticator: 'always',
      codePrompt: 'Duo two-factor login for {user}\n\nEnter a passcode',
      rejectMessage: null,
    },
    sources: {
      duplicateProfile:
        'reference/duplicates/profiles.ts duo profile: replay, keyed also on User-Name and User-Password (assumed: not confirmed in a Duo document here)',
      duplicateWindowMs:
        'assumed: the duo duplicate profile default (30 s), not confirmed in a Duo document here',
      dropPolicyAttributesAfterChallenge: `assumed: in the ${DUO_REFERENCE}, radius_client pass_through_all decides which attributes every Accept forwards; nothing there ties it to a challenge`,
      rejectDelayMs: `assumed: ${DUO_REFERENCE} names no reject delay`,
      statusServer: `assumed: ${DUO_REFERENCE} documents no Status-Server support; radmfa drops it`,
      replyMessageAuthenticator:
        'assumed: Authentication Proxy 6.4.0 (July 2024, CVE-2024-3596) adds Message-Authenticator to its responses; not confirmed here',
      codePrompt:
        'guide.duo.com/challenge-mode: the challenge text begins "Duo two-factor login for <user>" then "Enter a passcode ..."; the factor menu is left out because radmfa only takes a code',
      rejectMessage: `assumed: ${DUO_REFERENCE} names no fixed reject text`,
    },
  },
};

export function isPersonalityName(value: unknown): value is PersonalityName {
  return typeof value === 'string' && (personalityNames as readonly string[]).includes(value);
}

/** Placeholders a codePrompt template may use. */
export const CODE_PROMPT_PLACEHOLDERS = ['prompt', 'user'] as const;

/** The Reply-Message of a code challenge from the template, the service's prompt and the User-Name. */
export function renderCodePrompt(template: string, values: { prompt: string; user: string }): string {
  return template.replace(/\{(prompt|user)\}/g, (_all, name: 'prompt' | 'user') => values[name]);
}

/** One line per preset value, for `--describe` and the README: value, setting, source. */
export function describePersonality(name: PersonalityName): string[] {
  const { values, sources, description } = personalities[name];
  return [
    `${name}: ${description}`,
    ...presetFields.map(
      (field) => `  ${PRESET_KEYS[field]} = ${JSON.stringify(values[field])} (${sources[field]})`,
    ),
  ];
}

const cell = (value: PersonalityValues[PresetField]): string =>
  `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``;

/**
 * The preset table as Markdown, as the README prints it (a test keeps the two equal): one row per
 * setting, one column per personality, then the source of every value.
 */
export function personalityTableMarkdown(): string {
  const header = `| Setting (overrides the preset) | ${personalityNames.map((n) => `\`${n}\``).join(' | ')} |`;
  const rule = `| --- | ${personalityNames.map(() => '---').join(' | ')} |`;
  const rows = presetFields.map(
    (field) =>
      `| \`${PRESET_KEYS[field]}\` | ${personalityNames
        .map((name) => cell(personalities[name].values[field]))
        .join(' | ')} |`,
  );
  const sources = personalityNames.flatMap((name) => [
    '',
    `Sources, \`${name}\` (${personalities[name].description}):`,
    '',
    ...presetFields.map((field) => `- \`${PRESET_KEYS[field]}\`: ${personalities[name].sources[field]}`),
  ]);
  return [header, rule, ...rows, ...sources].join('\n');
}
