// Whether the directory answers and the service account binds, the way the server's own LDAP client
// (ldapts) will: connect, bind as directory.bindDn, read the search base. Each step that fails has
// its own message and fix; the password is never part of either.
import { Client, InvalidCredentialsError, NoSuchObjectError } from 'ldapts';
import type { Clock } from '../../runtime/clock.ts';
import { withTimeout } from '../timeout.ts';
import { errnoOf } from './ports.ts';
import { fail, pass, warn, type HealthRow } from './rows.ts';

export interface DirectoryTarget {
  /** ldap:// or ldaps:// URL (the embedded stub's when the config names a fixture). */
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  readonly timeoutMs: number;
  /** The embedded stub started for the check, named as such in the message. */
  readonly embedded?: boolean;
}

/** Socket errors that mean nothing answered at that address. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

type Step = 'connect' | 'bind' | 'search';

function failure(target: DirectoryTarget, step: Step, error: Error | 'timeout'): HealthRow {
  const where = target.embedded === true ? `the embedded directory stub at ${target.url}` : target.url;
  if (error === 'timeout') {
    return fail(
      'directory',
      `${where} did not answer the ${step} within ${target.timeoutMs} ms`,
      'check that the directory is up and reachable from this machine (firewall, port 389/636), or raise directory.timeoutMs',
    );
  }
  if (error instanceof InvalidCredentialsError) {
    return fail(
      'directory',
      `${where} refused the service account ${target.bindDn}: invalid credentials`,
      'correct directory.bindDn and directory.bindPassword (the account the server searches users with); check it is not locked or expired',
    );
  }
  if (error instanceof NoSuchObjectError) {
    return fail(
      'directory',
      `the search base ${target.baseDn} does not exist in ${where}`,
      'correct directory.baseDn (e.g. DC=example,DC=com)',
    );
  }
  const errno = errnoOf(error);
  if (errno !== undefined && UNREACHABLE.has(errno)) {
    return fail(
      'directory',
      `cannot reach ${where} (${errno})`,
      'start the directory or correct directory.url; check DNS and that a firewall lets this machine reach its port (389, 636 for ldaps)',
    );
  }
  return fail(
    'directory',
    `${where}: the ${step} failed: ${error.message}`,
    step === 'search'
      ? 'give the service account read access to directory.baseDn'
      : "check directory.url (ldap:// or ldaps://, the host and port) and the directory's logs",
  );
}

/** The directory row: reachable, the service account binds, the search base can be read. */
export async function checkDirectory(target: DirectoryTarget, clock: Clock): Promise<HealthRow> {
  const client = new Client({ url: target.url, strictDN: false });
  const step = async <T>(name: Step, work: Promise<T>): Promise<HealthRow | undefined> => {
    const outcome = await withTimeout(work, target.timeoutMs, clock);
    if (outcome.kind === 'ok') return undefined;
    return failure(target, name, outcome.kind === 'timeout' ? 'timeout' : outcome.error);
  };
  try {
    const anonymous = target.bindDn === '';
    const bound = anonymous ? undefined : await step('bind', client.bind(target.bindDn, target.bindPassword));
    if (bound !== undefined) return bound;
    const searched =
      target.baseDn === ''
        ? undefined
        : await step(
            'search',
            client.search(target.baseDn, { scope: 'base', filter: '(objectClass=*)', sizeLimit: 1 }),
          );
    if (searched !== undefined) return searched;
    const where = target.embedded === true ? `embedded directory stub ${target.url}` : target.url;
    if (anonymous) {
      return warn(
        'directory',
        `${where} answers, but no service account is configured: user searches are anonymous`,
        'set directory.bindDn and directory.bindPassword to a service account (AD refuses anonymous searches)',
      );
    }
    return pass('directory', `${where}: ${target.bindDn} binds and reads ${target.baseDn || 'the root'}`);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
