import { pino } from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

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

/** How deep below the top level a secret is still found (`a.b.c.d.privateKey`). */
const MAX_DEPTH = 4;

const SECRET_KEY_SET: ReadonlySet<string> = new Set(SECRET_KEYS);

export const REDACTED = '[REDACTED]';

/** Whether the value under `key`, inside an object under `parentKey`, is secret. */
function isSecret(parentKey: string | undefined, key: string): boolean {
  return (
    SECRET_KEY_SET.has(key) ||
    // Every value of a `headers` object: header sets carry credentials.
    parentKey === 'headers' ||
    // `tls.key` also appears nested as { tls: { key } } (e.g. a decoded Secret).
    (parentKey === 'tls' && key === 'key')
  );
}

/** What JSON.stringify serializes by its own rule, not as the object's own properties. */
function serializesItself(value: object): boolean {
  return ArrayBuffer.isView(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * `value` with every secret (SECRET_KEYS at any depth up to MAX_DEPTH below the
 * top, every header value, `tls.key`) replaced by REDACTED. Copies only what
 * it changes: a line without secrets costs one walk and no allocation. pino's
 * own `redact` with the same paths as wildcards (`*.*.password`...) cost
 * 330-490 us per line and 40-60 us per child logger, most of the log's CPU
 * in a mass rotation; this walk costs a few microseconds.
 */
export function redactSecrets<T>(value: T, parentKey?: string, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (serializesItself(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const redacted = redactSecrets(item, parentKey, depth + 1);
      if (redacted === item) return;
      copy ??= [...(value as unknown[])];
      copy[index] = redacted;
    });
    return (copy ?? value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const redacted = isSecret(parentKey, key) ? REDACTED : redactSecrets(item, key, depth + 1);
    if (redacted === item) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    copy[key] = redacted;
  }
  return (copy ?? value) as T;
}

export interface CreateLoggerOptions {
  /** pino level; main passes LOG_LEVEL. Default `info`. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

/**
 * The operator's only logger factory: JSON lines with secrets redacted in
 * what a line logs (`err` once pino has serialized it). A child's bindings
 * are not passed through formatters (pino calls them for the root's only),
 * so pino's own `redact` covers them, with top-level paths: those cost about
 * 1 us per child, the wildcard paths that reached deeper 40-60 us.
 */
export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    redact: { paths: [...SECRET_KEYS, 'headers', 'tls'].map(topLevelPath), censor: REDACTED },
    formatters: {
      log: (object) => {
        if (!('err' in object)) return redactSecrets(object);
        const { err, ...rest } = object;
        return { ...redactSecrets(rest), err };
      },
    },
    serializers: {
      err: (error: unknown) => redactSecrets(pino.stdSerializers.err(error as Error)),
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

function topLevelPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}
