// `radmfa cert new|list|rollover`: what AzureMfaNpsExtnConfigSetup.ps1 does for the NPS extension
// (the seed: "Creates a self-signed certificate. Associates the public key of the certificate to the
// service principal on Microsoft Entra ID. Stores the certificate in the local machine certificate
// store."), with a directory of PEM files as the store and the mock's tenant file as Entra.
//
// Registration edits the tenant file (a KeyCredential entry with the certificate's PEM and dates)
// rather than calling a running mock: the file is what the embedded mock and `radmfa serve` load, it
// survives restarts, and it works with no mock running. A running mock sees it on its next start.

import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isSeq, parseDocument, type Document, YAMLMap, YAMLSeq, Scalar } from 'yaml';
import {
  createNpsCertificate,
  NPS_CERTIFICATE_VALIDITY_DAYS,
  certificateInfo,
  pemBlocks,
  type CertificateKeyType,
} from '../runtime/certificates.ts';
import {
  CERTIFICATE_EXPIRY_WARNING_MS,
  certificateState,
  loadCertificateDir,
  matchesCriteria,
  selectCertificate,
  type ClientCertificate,
} from '../reference/mfa/client-certificates.ts';
import { defineCommand, type CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

const ACTIONS = ['new', 'list', 'rollover'] as const;
type Action = (typeof ACTIONS)[number];

const DAY_MS = 86_400_000;

export interface CertArgs {
  readonly action: Action;
  readonly dir: string;
  readonly tenantId?: string;
  readonly tenantFile?: string;
  readonly identifier?: string;
  readonly days: number;
  readonly keyType: CertificateKeyType;
}

// ---------------------------------------------------------------- the tenant file

interface TenantFile {
  readonly path: string;
  readonly document: Document;
  readonly tenantId: string | undefined;
}

function readTenantFile(path: string): TenantFile {
  const document = parseDocument(readFileSync(path, 'utf8'));
  if (document.errors.length > 0)
    throw new Error(`${path} is not valid YAML: ${document.errors[0]?.message ?? ''}`);
  const id: unknown = document.getIn(['tenant', 'id']);
  return { path, document, tenantId: typeof id === 'string' ? id : undefined };
}

function certificateList(file: TenantFile): YAMLSeq {
  const existing: unknown = file.document.getIn(['tenant', 'certificates']);
  if (isSeq(existing)) return existing;
  const seq = new YAMLSeq();
  file.document.setIn(['tenant', 'certificates'], seq);
  return seq;
}

/** The thumbprint of a tenant-file entry (inline PEM or file: relative to the tenant file). */
function entryThumbprint(entry: unknown, file: TenantFile): string | undefined {
  if (!isMap(entry)) return undefined;
  const inline = entry.get('certificate');
  const path = entry.get('file');
  try {
    const pem =
      typeof inline === 'string'
        ? inline
        : typeof path === 'string'
          ? readFileSync(resolve(dirname(file.path), path), 'utf8')
          : undefined;
    const block = pem === undefined ? undefined : pemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
    return block === undefined ? undefined : certificateInfo(new X509Certificate(block.pem)).thumbprint;
  } catch {
    return undefined;
  }
}

function registeredThumbprints(file: TenantFile): Set<string> {
  const thumbprints = certificateList(file).items.map((entry) => entryThumbprint(entry, file));
  return new Set(thumbprints.filter((t): t is string => t !== undefined));
}

/** Adds the certificate as a KeyCredential: its PEM (public part only) and its dates. */
function register(
  file: TenantFile,
  certificatePem: string,
  info: ClientCertificate | ReturnType<typeof certificateInfo>,
): void {
  const entry = new YAMLMap();
  const pem = new Scalar(certificatePem.trim() + '\n');
  pem.type = Scalar.BLOCK_LITERAL;
  entry.set('certificate', pem);
  entry.set('startDate', new Date(info.notBefore).toISOString());
  entry.set('endDate', new Date(info.notAfter).toISOString());
  entry.set('description', `radmfa cert, thumbprint ${info.thumbprint}`);
  certificateList(file).items.push(entry);
}

function unregister(file: TenantFile, thumbprints: ReadonlySet<string>): number {
  const list = certificateList(file);
  const before = list.items.length;
  list.items = list.items.filter((entry) => {
    const thumbprint = entryThumbprint(entry, file);
    return thumbprint === undefined || !thumbprints.has(thumbprint);
  });
  return before - list.items.length;
}

function save(file: TenantFile): void {
  writeFileSync(file.path, file.document.toString());
}

// ---------------------------------------------------------------- actions

function line(
  certificate: ClientCertificate,
  now: number,
  registered: Set<string> | undefined,
  inUse: boolean,
): string {
  const state = certificateState(certificate, now);
  const left = Math.ceil((certificate.notAfter - now) / DAY_MS);
  const status =
    state === 'valid'
      ? certificate.notAfter - now <= CERTIFICATE_EXPIRY_WARNING_MS
        ? `valid, EXPIRES IN ${left} DAY(S)`
        : `valid, ${left} days left`
      : state;
  const registration =
    registered === undefined
      ? ''
      : registered.has(certificate.thumbprint)
        ? '  registered'
        : '  NOT REGISTERED';
  return (
    `${certificate.thumbprint}  ${certificate.subject}  ` +
    `${new Date(certificate.notBefore).toISOString()} .. ${new Date(certificate.notAfter).toISOString()}  ` +
    `${status}${registration}${inUse ? '  <- in use' : ''}\n`
  );
}

function list(args: CertArgs, io: CommandIo, now: number): number {
  const { certificates, problems } = loadCertificateDir(args.dir);
  for (const p of problems) io.err(`radmfa cert: ${p.file}: ${p.message}\n`);
  const tenant = args.tenantFile !== undefined ? readTenantFile(args.tenantFile) : undefined;
  const registered = tenant !== undefined ? registeredThumbprints(tenant) : undefined;
  const tenantId = args.tenantId ?? tenant?.tenantId;
  const selection =
    tenantId !== undefined || args.identifier !== undefined
      ? selectCertificate(certificates, {
          tenantId: tenantId ?? '',
          now,
          ...(args.identifier !== undefined ? { identifier: args.identifier } : {}),
        })
      : undefined;
  const inUse = selection?.kind === 'selected' ? selection.certificate.thumbprint : undefined;
  if (certificates.length === 0) io.out(`no certificates in ${args.dir}\n`);
  for (const c of certificates) io.out(line(c, now, registered, c.thumbprint === inUse));
  if (selection?.kind === 'none')
    io.err(`radmfa cert: no usable certificate (${selection.reason}); run radmfa cert rollover\n`);
  return problems.length > 0 || selection?.kind === 'none' ? ExitCode.Failure : ExitCode.Ok;
}

/** Writes a new certificate (and key, mode 0600) to the directory and registers it. */
async function create(
  args: CertArgs,
  io: CommandIo,
  now: number,
  tenant: TenantFile | undefined,
  tenantId: string,
): Promise<string> {
  const generated = await createNpsCertificate(tenantId, now, {
    validityDays: args.days,
    keyType: args.keyType,
  });
  mkdirSync(args.dir, { recursive: true });
  const file = join(args.dir, `${generated.info.thumbprint}.pem`);
  writeFileSync(file, `${generated.certificatePem.trim()}\n${generated.privateKeyPem.trim()}\n`, {
    mode: 0o600,
  });
  io.out(
    `created ${file}: ${generated.info.thumbprint} ${generated.info.subject}, valid until ` +
      `${new Date(generated.info.notAfter).toISOString()}\n`,
  );
  if (tenant !== undefined) {
    register(tenant, generated.certificatePem, generated.info);
    io.out(`registered ${generated.info.thumbprint} with tenant ${tenantId} in ${tenant.path}\n`);
  }
  return generated.info.thumbprint;
}

async function newOrRollover(args: CertArgs, io: CommandIo, now: number): Promise<number> {
  const tenant = args.tenantFile !== undefined ? readTenantFile(args.tenantFile) : undefined;
  const tenantId = args.tenantId ?? tenant?.tenantId;
  if (tenantId === undefined) {
    io.err('radmfa cert: give --tenant-id, or a --tenant-file with tenant.id\n');
    return ExitCode.InvalidConfig;
  }
  if (tenant?.tenantId !== undefined && tenant.tenantId !== tenantId) {
    io.err(`radmfa cert: --tenant-id ${tenantId} is not the tenant file's id (${tenant.tenantId})\n`);
    return ExitCode.InvalidConfig;
  }
  await create(args, io, now, tenant, tenantId);
  if (args.action === 'rollover') {
    // The seed: "If your previous computer certificate has expired, and a new certificate has been
    // generated, you should delete any expired certificates." Ones still valid stay (rolling update).
    const expired = loadCertificateDir(args.dir).certificates.filter(
      (c) => matchesCriteria(c, { tenantId, now }) && certificateState(c, now) === 'expired',
    );
    for (const c of expired) {
      if (existsSync(c.source)) unlinkSync(c.source);
      const keyFile = c.source.replace(/\.[^.]+$/, '.key');
      if (keyFile !== c.source && existsSync(keyFile)) unlinkSync(keyFile);
      io.out(`deleted expired ${c.thumbprint} (${c.source})\n`);
    }
    if (tenant !== undefined && expired.length > 0) {
      const removed = unregister(tenant, new Set(expired.map((c) => c.thumbprint)));
      io.out(`unregistered ${removed} expired certificate(s) from ${tenant.path}\n`);
    }
  }
  if (tenant !== undefined) save(tenant);
  return ExitCode.Ok;
}

export async function runCert(args: CertArgs, io: CommandIo, now = Date.now()): Promise<number> {
  try {
    return args.action === 'list' ? list(args, io, now) : await newOrRollover(args, io, now);
  } catch (error) {
    io.err(`radmfa cert: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  }
}

export const certCommand = defineCommand({
  name: 'cert',
  summary: 'make, list and roll over the client certificates (the NPS setup script)',
  description: `new: makes a self-signed client certificate as AzureMfaNpsExtnConfigSetup.ps1 does (subject
CN=<tenant id>, OU=Microsoft NPS Extension, Client Authentication, valid ${NPS_CERTIFICATE_VALIDITY_DAYS / 365} years), writes
DIR/<THUMBPRINT>.pem (certificate and private key, mode 0600) and, with --tenant-file, registers it with
the mock tenant (a KeyCredential entry with the certificate and its dates).
list: prints each certificate in DIR: thumbprint, subject, dates, whether it is valid or expires within
30 days, whether the tenant file registers it, and which one the server would use.
rollover: new, then deletes the expired certificates from DIR and unregisters them from the tenant
file; certificates still valid stay, so servers using them keep working until they switch.`,
  positionals: { name: 'ACTION', help: ACTIONS.join(', ') },
  flags: {
    dir: {
      type: 'string',
      placeholder: 'DIR',
      required: true,
      help: 'the certificate directory (mfa.certificates.dir)',
    },
    tenantId: { type: 'string', placeholder: 'ID', help: "the tenant id (default: the tenant file's)" },
    tenantFile: { type: 'string', placeholder: 'FILE', help: 'the mock tenant file to register with' },
    identifier: {
      type: 'string',
      placeholder: 'THUMBPRINT',
      help: 'list: mark the certificate CLIENT_CERT_IDENTIFIER selects',
    },
    days: {
      type: 'integer',
      min: 1,
      max: 36_500,
      default: NPS_CERTIFICATE_VALIDITY_DAYS,
      help: 'validity in days',
    },
    keyType: {
      type: 'choice',
      choices: ['rsa-2048', 'ec-p256'] as const,
      default: 'rsa-2048',
      placeholder: 'TYPE',
      help: 'the key: RSA 2048 as the setup script makes, or ECDSA P-256',
    },
  },
  exits: [
    [ExitCode.Ok, 'done (list: a certificate is usable)'],
    [ExitCode.Failure, 'list: no usable certificate or an unusable file; a file could not be written'],
    [ExitCode.InvalidConfig, ''],
  ],
  prepare: ({ values, positionals, issues }): CertArgs => {
    const [action, ...rest] = positionals;
    const known = (ACTIONS as readonly string[]).includes(action ?? '');
    if (action === undefined) issues.add('ACTION', 'is missing', `give one of ${ACTIONS.join(', ')}`);
    else if (!known)
      issues.add('ACTION', `"${action}" is not an action`, `give one of ${ACTIONS.join(', ')}`);
    if (rest.length > 0) issues.add('ACTION', 'more than one action was given', 'give one action per run');
    if (values.tenantFile !== undefined && !existsSync(values.tenantFile))
      issues.add(
        '--tenant-file',
        `"${values.tenantFile}" does not exist`,
        'give the path of an MFA tenant file',
      );
    if (
      (action === 'new' || action === 'rollover') &&
      values.tenantId === undefined &&
      values.tenantFile === undefined
    )
      issues.add(
        '--tenant-id',
        `is required to ${action} a certificate`,
        'give --tenant-id ID or --tenant-file FILE',
      );
    return {
      action: known ? (action as Action) : 'list',
      dir: values.dir ?? '',
      ...(values.tenantId !== undefined ? { tenantId: values.tenantId } : {}),
      ...(values.tenantFile !== undefined ? { tenantFile: values.tenantFile } : {}),
      ...(values.identifier !== undefined ? { identifier: values.identifier } : {}),
      days: values.days ?? NPS_CERTIFICATE_VALIDITY_DAYS,
      keyType: values.keyType ?? 'rsa-2048',
    };
  },
  run: (args, io) => runCert(args, io),
});
