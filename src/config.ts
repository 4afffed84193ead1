// Every environment variable the operator reads is read and validated here,
// once, at start. A bad setting stops the operator with one line naming the
// variable; secret values never appear in that line.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { ApigClientOptions, ApigCredentials, ApigService } from './apig/client.ts';
import type { RateLimit } from './apig/index.ts';
import { checkBaseUrl } from './common/url.ts';
import type { Logger } from './log.ts';

/** A setting that stops the operator at start. The message is one line and names the variable(s). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
    this.variables = variables;
  }
}

/** `fs.readFileSync` fits; tests pass an in-memory file system. */
export type ReadTextFile = (path: string, encoding: 'utf8') => string;

/** What `createApigClient` needs, minus the logger and clock that main adds. */
export interface ApigSettings {
  readonly endpoint: string;
  readonly service: ApigService;
  /** Undefined: every ApigCertificate must set spec.projectId. */
  readonly projectId: string | undefined;
  readonly credentials: Readonly<ApigCredentials>;
  readonly rateLimit: Readonly<RateLimit>;
  /** APIG_CA_FILE, kept for describeConfig; its content is `caPem`. */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  /** APIG_TIMEOUT: bounds the wait for response headers and between body chunks. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export interface LeaderElectionSettings {
  readonly enabled: boolean;
  readonly namespace: string;
  /** LEADER_ELECTION_ID: the Lease name. */
  readonly leaseName: string;
  /** POD_NAME or the host name; main appends a random suffix (leaderIdentity). */
  readonly identity: string;
}

export interface HttpSettings {
  /** 0 picks a free port (tests running several operators). */
  readonly port: number;
  readonly host: string;
}

export interface OperatorConfig {
  readonly apig: ApigSettings;
  /** Empty: all namespaces. */
  readonly watchNamespaces: readonly string[];
  readonly logLevel: LevelWithSilent;
  readonly leaderElection: LeaderElectionSettings;
  readonly http: HttpSettings;
  readonly resyncPeriodMs: number;
  /** A watch that delivers nothing for this long is restarted (ListWatch `watchdogMs`). */
  readonly watchInactivityTimeoutMs: number;
  readonly reconcileConcurrency: number;
  /** Accepted but worth a warning in the log at start. */
  readonly warnings: readonly string[];
}

export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
export const DEFAULT_LEADER_ELECTION_NAMESPACE = 'apig-cert-operator';
export const DEFAULT_LEADER_ELECTION_ID = 'apig-cert-operator-leader';

const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** 20 days: below Node's timer limit (2^31-1 ms; longer timers fire at once). */
const MAX_DURATION_MS = 480 * 3_600_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_NAME =
  /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Keys and tokens go into HTTP headers or HMAC: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const CONTROL_CHARACTER = /\p{Cc}/u;

/** A non-secret value quoted for a message, cut short. */
function quote(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}

function fail(variable: string, problem: string): never {
  throw new ConfigError(`${variable}: ${problem}`, [variable]);
}

// ---------------------------------------------------------------- durations

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go-style duration (`10h`, `30m`, `1h30m`, `1.5s`, `250ms`, `0`) in
 * milliseconds, rounded; undefined when the text is not one. No sign: none
 * of our durations may be negative.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let totalMs = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    totalMs += Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    index = part.lastIndex;
  }
  return index > 0 && Number.isFinite(totalMs) ? Math.round(totalMs) : undefined;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

// ---------------------------------------------------------------- reading

interface SecretValue {
  value: string;
  /** The variable it came from: X or X_FILE. */
  source: string;
}

class Environment {
  readonly #env: NodeJS.ProcessEnv;
  readonly #readFile: ReadTextFile;

  constructor(env: NodeJS.ProcessEnv, readFile: ReadTextFile) {
    this.#env = env;
    this.#readFile = readFile;
  }

  /** Trimmed; blank counts as unset (Kubernetes sets blank values for absent optional keys). */
  text(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === '' ? undefined : value;
  }

  /** Read a file named by a setting; the message names `variable` and the path, never the content. */
  file(variable: string, path: string): string {
    try {
      return this.#readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
      return fail(variable, `cannot read ${quote(path)} (${code})`);
    }
  }

  /** A file that may be absent; undefined when it cannot be read. */
  optionalFile(path: string): string | undefined {
    try {
      return this.#readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * A secret from X or from the file named by X_FILE (a mounted Secret), with
   * one trailing newline removed: `kubectl create secret --from-file` keeps it.
   */
  secret(name: string): SecretValue | undefined {
    const fileVariable = `${name}_FILE`;
    const direct = this.#env[name];
    const path = this.text(fileVariable);
    const hasDirect = direct !== undefined && direct !== '';
    if (hasDirect && path !== undefined) {
      throw new ConfigError(`${name} and ${fileVariable} are both set; set only one`, [
        name,
        fileVariable,
      ]);
    }
    if (hasDirect) return { value: withoutTrailingNewline(direct), source: name };
    if (path === undefined) return undefined;
    const value = withoutTrailingNewline(this.file(fileVariable, path));
    if (value === '') fail(fileVariable, `file ${quote(path)} is empty`);
    return { value, source: fileVariable };
  }
}

function withoutTrailingNewline(value: string): string {
  return value.replace(/\r?\n$/, '');
}

// ---------------------------------------------------------------- value parsers

function parseUrl(variable: string, raw: string, warnings: string[]): string {
  const checked = checkBaseUrl(raw);
  if (!checked.ok) {
    switch (checked.problem.reason) {
      case 'notAbsolute':
        // The value is not echoed: a malformed URL may still carry credentials.
        return fail(variable, 'is not an absolute URL (e.g. https://host)');
      case 'notHttp':
        return fail(variable, `must be an https:// URL, got ${checked.problem.protocol}//`);
      case 'credentials':
        return fail(variable, 'must not contain a user name or password');
      case 'queryOrFragment':
        return fail(variable, 'must not contain a query or fragment');
    }
  }
  if (checked.plainHttp) {
    warnings.push(
      `${variable} uses plain http: credentials and private keys travel unencrypted (acceptable only for a local simulator)`,
    );
  }
  return checked.base;
}

function parseInteger(variable: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    fail(variable, `${quote(raw)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

function parsePositiveNumber(variable: string, raw: string, max: number): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value > 0 && value <= max)) {
    fail(variable, `${quote(raw)} is not a number greater than 0 and at most ${max}`);
  }
  return value;
}

function parseBoolean(variable: string, raw: string): boolean {
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fail(variable, `${quote(raw)} is not true or false`);
}

function parseDurationSetting(variable: string, raw: string, minMs: number): number {
  const ms = parseDuration(raw);
  if (ms === undefined) {
    fail(variable, `${quote(raw)} is not a duration; use a number and a unit, e.g. 10h, 30m, 90s`);
  }
  if (ms < minMs || ms > MAX_DURATION_MS) {
    fail(variable, `${quote(raw)} must be from ${formatMs(minMs)} to ${formatMs(MAX_DURATION_MS)}`);
  }
  return ms;
}

function parseNamespace(variable: string, raw: string): string {
  if (!DNS_LABEL.test(raw)) {
    fail(
      variable,
      `${quote(raw)} is not a namespace name (lowercase letters, digits and '-', at most 63)`,
    );
  }
  return raw;
}

// ---------------------------------------------------------------- settings

function apigService(env: Environment): ApigService {
  const raw = env.text('APIG_SERVICE');
  if (raw === undefined) return 'apig';
  const value = raw.toLowerCase();
  if (value === 'apig' || value === 'roma') return value;
  return fail('APIG_SERVICE', `${quote(raw)} is not apig or roma`);
}

function projectId(env: Environment, warnings: string[]): string | undefined {
  const raw = env.text('HUAWEICLOUD_SDK_PROJECT_ID');
  if (raw === undefined) {
    warnings.push(
      'HUAWEICLOUD_SDK_PROJECT_ID is not set: every ApigCertificate must set spec.projectId',
    );
    return undefined;
  }
  if (!PROJECT_ID.test(raw)) {
    fail(
      'HUAWEICLOUD_SDK_PROJECT_ID',
      `${quote(raw)} is not a project ID (letters, digits, '-', '_')`,
    );
  }
  return raw;
}

interface CredentialMethod {
  kind: ApigCredentials['kind'];
  label: string;
  variables: readonly string[];
  required: readonly string[];
}

const CREDENTIAL_METHODS: readonly CredentialMethod[] = [
  {
    kind: 'aksk',
    label: 'AK/SK',
    variables: ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_SECURITY_TOKEN'],
    required: ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK'],
  },
  {
    kind: 'iamPassword',
    label: 'IAM password',
    variables: [
      'HUAWEICLOUD_IAM_ENDPOINT',
      'HUAWEICLOUD_USERNAME',
      'HUAWEICLOUD_PASSWORD',
      'HUAWEICLOUD_DOMAIN_NAME',
      'HUAWEICLOUD_PROJECT_NAME',
    ],
    required: [
      'HUAWEICLOUD_IAM_ENDPOINT',
      'HUAWEICLOUD_USERNAME',
      'HUAWEICLOUD_PASSWORD',
      'HUAWEICLOUD_DOMAIN_NAME',
      'HUAWEICLOUD_PROJECT_NAME',
    ],
  },
  {
    kind: 'token',
    label: 'fixed token',
    variables: ['APIG_AUTH_TOKEN'],
    required: ['APIG_AUTH_TOKEN'],
  },
];

/** Keys, secret keys and tokens: header-safe ASCII, or it is a copy-paste error. */
function keyLike(secret: SecretValue): string {
  if (!HEADER_SAFE.test(secret.value)) {
    fail(secret.source, 'contains spaces, line breaks or non-ASCII characters');
  }
  return secret.value;
}

function printable(secret: SecretValue): string {
  if (CONTROL_CHARACTER.test(secret.value)) {
    fail(secret.source, 'contains a line break or control character');
  }
  return secret.value;
}

/** User, account and project names: trimmed, not blank. */
function nameLike(secret: SecretValue): string {
  const value = printable(secret).trim();
  if (value === '') fail(secret.source, 'is blank');
  return value;
}

/** Exactly one method, complete: anything else is one error naming the variables. */
function credentials(env: Environment, warnings: string[]): ApigCredentials {
  const values = new Map<string, SecretValue>();
  for (const method of CREDENTIAL_METHODS) {
    for (const name of method.variables) {
      const value = env.secret(name);
      if (value) values.set(name, value);
    }
  }
  const configured = CREDENTIAL_METHODS.filter((m) => m.variables.some((v) => values.has(v)));
  if (configured.length === 0) {
    throw new ConfigError(
      'no APIG credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_ENDPOINT, HUAWEICLOUD_USERNAME, HUAWEICLOUD_PASSWORD, HUAWEICLOUD_DOMAIN_NAME and HUAWEICLOUD_PROJECT_NAME, or APIG_AUTH_TOKEN (each also as <name>_FILE)',
      CREDENTIAL_METHODS.flatMap((m) => m.required),
    );
  }
  if (configured.length > 1) {
    const sources = configured.map((m) => ({
      method: m,
      set: m.variables.filter((v) => values.has(v)).map((v) => values.get(v)?.source ?? v),
    }));
    throw new ConfigError(
      `conflicting APIG credentials: ${sources.map((s) => `${s.method.label} (${s.set.join(', ')})`).join(' and ')} are set; configure exactly one method`,
      sources.flatMap((s) => s.set),
    );
  }
  const method = configured[0]!;
  const missing = method.required.filter((v) => !values.has(v));
  if (missing.length > 0) {
    const present = method.variables
      .filter((v) => values.has(v))
      .map((v) => values.get(v)?.source ?? v);
    throw new ConfigError(
      `incomplete ${method.label} credentials: ${missing.map((v) => `${v} (or ${v}_FILE)`).join(', ')} not set while ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'}`,
      missing,
    );
  }
  const get = (name: string): SecretValue => values.get(name)!;
  switch (method.kind) {
    case 'aksk': {
      const token = values.get('HUAWEICLOUD_SDK_SECURITY_TOKEN');
      return {
        kind: 'aksk',
        accessKey: keyLike(get('HUAWEICLOUD_SDK_AK')),
        secretKey: keyLike(get('HUAWEICLOUD_SDK_SK')),
        ...(token ? { securityToken: keyLike(token) } : {}),
      };
    }
    case 'iamPassword': {
      const endpoint = get('HUAWEICLOUD_IAM_ENDPOINT');
      return {
        kind: 'iamPassword',
        iamEndpoint: parseUrl(endpoint.source, endpoint.value.trim(), warnings),
        username: nameLike(get('HUAWEICLOUD_USERNAME')),
        password: printable(get('HUAWEICLOUD_PASSWORD')),
        domainName: nameLike(get('HUAWEICLOUD_DOMAIN_NAME')),
        projectName: nameLike(get('HUAWEICLOUD_PROJECT_NAME')),
      };
    }
    case 'token':
      return { kind: 'token', token: keyLike(get('APIG_AUTH_TOKEN')) };
  }
}

/** APIG_CA_FILE: PEM certificates added to Node's trust store for APIG (and IAM). */
function caBundle(
  env: Environment,
  endpoint: string,
  warnings: string[],
): { caFile: string | undefined; caPem: string | undefined } {
  const caFile = env.text('APIG_CA_FILE');
  if (caFile === undefined) return { caFile, caPem: undefined };
  const caPem = env.file('APIG_CA_FILE', caFile);
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail('APIG_CA_FILE', `${quote(caFile)} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      fail('APIG_CA_FILE', `${quote(caFile)} holds a certificate that cannot be parsed`);
    }
  }
  if (endpoint.startsWith('http:')) {
    warnings.push('APIG_CA_FILE is set but APIG_ENDPOINT is plain http: the CA is not used');
  }
  return { caFile, caPem };
}

function apigSettings(env: Environment, warnings: string[]): ApigSettings {
  const rawEndpoint = env.text('APIG_ENDPOINT');
  if (rawEndpoint === undefined) {
    fail('APIG_ENDPOINT', 'is required, e.g. https://apig.cn-north-4.myhuaweicloud.com');
  }
  const endpoint = parseUrl('APIG_ENDPOINT', rawEndpoint, warnings);
  const service = apigService(env);
  const project = projectId(env, warnings);
  const apigCredentials = credentials(env, warnings);
  const ca = caBundle(env, endpoint, warnings);
  const timeout = env.text('APIG_TIMEOUT');
  const timeoutMs =
    timeout === undefined ? 30_000 : parseDurationSetting('APIG_TIMEOUT', timeout, 1_000);
  const rate = env.text('APIG_RATE_LIMIT');
  const burst = env.text('APIG_RATE_BURST');
  return {
    endpoint,
    service,
    projectId: project,
    credentials: apigCredentials,
    rateLimit: {
      requestsPerSecond:
        rate === undefined ? 5 : parsePositiveNumber('APIG_RATE_LIMIT', rate, 10_000),
      burst: burst === undefined ? 5 : parseInteger('APIG_RATE_BURST', burst, 1, 10_000),
    },
    ...ca,
    timeoutMs,
    connectTimeoutMs: Math.min(DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs),
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
  };
}

function watchNamespaces(env: Environment): string[] {
  const raw = env.text('WATCH_NAMESPACES');
  if (raw === undefined) return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) parseNamespace('WATCH_NAMESPACES', name);
  return [...new Set(names)];
}

function logLevel(env: Environment): LevelWithSilent {
  const raw = env.text('LOG_LEVEL');
  if (raw === undefined) return 'info';
  const level = LOG_LEVELS.find((l) => l === raw.toLowerCase());
  return level ?? fail('LOG_LEVEL', `${quote(raw)} is not one of ${LOG_LEVELS.join(', ')}`);
}

/** LEADER_ELECTION_NAMESPACE, else the pod's own namespace, else a fixed default. */
function leaderElectionNamespace(env: Environment): string {
  const explicit = env.text('LEADER_ELECTION_NAMESPACE');
  if (explicit !== undefined) return parseNamespace('LEADER_ELECTION_NAMESPACE', explicit);
  const podNamespace = env.text('POD_NAMESPACE');
  if (podNamespace !== undefined) return parseNamespace('POD_NAMESPACE', podNamespace);
  const fromServiceAccount = env.optionalFile(SERVICE_ACCOUNT_NAMESPACE_FILE)?.trim();
  if (fromServiceAccount) return parseNamespace(SERVICE_ACCOUNT_NAMESPACE_FILE, fromServiceAccount);
  return DEFAULT_LEADER_ELECTION_NAMESPACE;
}

function leaderElection(env: Environment, warnings: string[]): LeaderElectionSettings {
  const elect = env.text('LEADER_ELECT');
  const enabled = elect === undefined ? true : parseBoolean('LEADER_ELECT', elect);
  if (!enabled) {
    warnings.push('LEADER_ELECT is false: run one replica only, or several will all write to APIG');
  }
  const leaseName = env.text('LEADER_ELECTION_ID') ?? DEFAULT_LEADER_ELECTION_ID;
  if (leaseName.length > 253 || !DNS_SUBDOMAIN.test(leaseName)) {
    fail(
      'LEADER_ELECTION_ID',
      `${quote(leaseName)} is not a Lease name (lowercase letters, digits, '-' and '.')`,
    );
  }
  const podName = env.text('POD_NAME');
  if (podName !== undefined && CONTROL_CHARACTER.test(podName)) {
    fail('POD_NAME', 'contains a control character');
  }
  return {
    enabled,
    namespace: leaderElectionNamespace(env),
    leaseName,
    identity: podName ?? hostname(),
  };
}

function httpSettings(env: Environment): HttpSettings {
  const port = env.text('HTTP_PORT');
  const rawHost = env.text('HTTP_BIND_ADDRESS') ?? '0.0.0.0';
  // `[::]` as written in URLs; listen() wants the bare address.
  const host = /^\[.*\]$/.test(rawHost) ? rawHost.slice(1, -1) : rawHost;
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    fail('HTTP_BIND_ADDRESS', `${quote(rawHost)} is not an IP address or host name`);
  }
  return { port: port === undefined ? 8080 : parseInteger('HTTP_PORT', port, 0, 65_535), host };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads and validates the whole configuration. Throws ConfigError (one line,
 * naming the variable, no secret value) on the first bad setting.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: ReadTextFile = readFileSync,
): OperatorConfig {
  const environment = new Environment(env, readFile);
  const warnings: string[] = [];
  const resync = environment.text('RESYNC_PERIOD');
  const inactivity = environment.text('WATCH_INACTIVITY_TIMEOUT');
  const concurrency = environment.text('RECONCILE_CONCURRENCY');
  const config: OperatorConfig = {
    apig: apigSettings(environment, warnings),
    watchNamespaces: watchNamespaces(environment),
    logLevel: logLevel(environment),
    leaderElection: leaderElection(environment, warnings),
    http: httpSettings(environment),
    resyncPeriodMs:
      resync === undefined ? 10 * 3_600_000 : parseDurationSetting('RESYNC_PERIOD', resync, 1_000),
    watchInactivityTimeoutMs:
      inactivity === undefined
        ? 5 * 60_000
        : parseDurationSetting('WATCH_INACTIVITY_TIMEOUT', inactivity, 1_000),
    reconcileConcurrency:
      concurrency === undefined ? 4 : parseInteger('RECONCILE_CONCURRENCY', concurrency, 1, 100),
    warnings,
  };
  return deepFreeze(config);
}

/** The options for createApigClient: the validated settings plus the logger. */
export function apigClientOptions(config: OperatorConfig, logger: Logger): ApigClientOptions {
  return { ...config.apig, logger };
}

export const SECRET_SET = '[set]';

function describeCredentials(credentials: Readonly<ApigCredentials>): Record<string, string> {
  switch (credentials.kind) {
    case 'aksk':
      return {
        kind: 'aksk',
        accessKey: SECRET_SET,
        secretKey: SECRET_SET,
        ...(credentials.securityToken ? { securityToken: SECRET_SET } : {}),
      };
    case 'iamPassword':
      return {
        kind: 'iamPassword',
        iamEndpoint: credentials.iamEndpoint,
        username: credentials.username,
        password: SECRET_SET,
        domainName: credentials.domainName,
        projectName: credentials.projectName,
      };
    case 'token':
      return { kind: 'token', token: SECRET_SET };
  }
}

/** A summary for the start-up log line: every setting, secrets replaced by '[set]', no CA PEM. */
export function describeConfig(config: OperatorConfig): Record<string, unknown> {
  const { caPem: _caPem, credentials, ...apig } = config.apig;
  return {
    apig: { ...apig, credentials: describeCredentials(credentials) },
    watchNamespaces: config.watchNamespaces.length > 0 ? [...config.watchNamespaces] : 'all',
    logLevel: config.logLevel,
    leaderElection: { ...config.leaderElection },
    http: { ...config.http },
    resyncPeriodMs: config.resyncPeriodMs,
    watchInactivityTimeoutMs: config.watchInactivityTimeoutMs,
    reconcileConcurrency: config.reconcileConcurrency,
  };
}
