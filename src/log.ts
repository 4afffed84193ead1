import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values are secret wherever they appear in a logged object.
 * Nothing should log these in the first place; redaction is the safety net.
 */
const SECRET_KEYS = [
  'privateKey',
  'private_key',
  'privateKeySign',
  'private_key_sign',
  'keyPem',
  'password',
  'sk',
  'secretKey',
  'secret_key',
  'securityToken',
  'security_token',
  'token',
  'idToken',
  'id_token',
  'authorization',
  'Authorization',
  'proxy-authorization',
  'Proxy-Authorization',
  'x-auth-token',
  'X-Auth-Token',
  'x-subject-token',
  'X-Subject-Token',
  'x-security-token',
  'X-Security-Token',
  'cookie',
  'set-cookie',
  'tls.key',
] as const;

/** How deep below the top level a secret key is still found (`*.*.*.key`). */
const MAX_WILDCARD_DEPTH = 4;

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

function join(prefix: string, key: string): string {
  const path = keyPath(key);
  if (prefix === '') return path;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function secretPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= MAX_WILDCARD_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, () => '*').join('.');
    for (const key of SECRET_KEYS) paths.push(join(prefix, key));
    // `tls.key` also appears nested as { tls: { key } } (e.g. a decoded Secret).
    paths.push(join(join(prefix, 'tls'), 'key'));
    // Every value of a logged `headers` object: header sets carry credentials.
    paths.push(`${join(prefix, 'headers')}.*`);
  }
  return paths;
}

export const REDACTED = '[REDACTED]';

/** The redact paths, exported so tests can prove what is covered. */
export const REDACT_PATHS: readonly string[] = secretPaths();

export interface CreateLoggerOptions {
  /** pino level; main passes LOG_LEVEL. Default `info`. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

/** The operator's only logger factory: JSON lines with secrets redacted. */
export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
