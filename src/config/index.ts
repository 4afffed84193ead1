// Every environment variable the operator reads is read and validated here,
// once, at start. A bad setting stops the operator with one line naming the
// variable; secret values never appear in that line.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { ApigClientOptions, ApigService } from '../apig/client.ts';
import type { Logger } from '../log.ts';
import { caBundle } from './ca.ts';
import { CREDENTIAL_VARIABLES, credentials } from './credentials.ts';
import { Environment, fail, quote, type ReadTextFile } from './env.ts';
import {
  CONTROL_CHARACTER,
  parseBoolean,
  parseDurationSetting,
  parseInteger,
  parseNamespace,
  parsePositiveNumber,
  parseUrl,
} from './parsers.ts';
import type {
  ApigSettings,
  HttpSettings,
  LeaderElectionSettings,
  OperatorConfig,
} from './types.ts';

export { ConfigError, type ReadTextFile } from './env.ts';
export { describeConfig } from './describe.ts';
export type {
  ApigSettings,
  HttpSettings,
  LeaderElectionSettings,
  OperatorConfig,
} from './types.ts';

export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
export const DEFAULT_LEADER_ELECTION_ID = 'apig-cert-operator-leader';
/**
 * Workers reconciling at once: enough for 50 PUTs/s with 200 ms of APIG
 * latency while the API server is busy (README, Performance: 16 reached
 * 1.18-1.32 x N/R there, 32 reached 1.09-1.13 x, as with 1 ms of latency).
 */
export const DEFAULT_RECONCILE_CONCURRENCY = 32;

const LOG_LEVELS: readonly LevelWithSilent[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_NAME =
  /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

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

/** No APIG_ENDPOINT and no credential variable: the operator serves providers only. */
function noEnvironmentApig(env: Environment): boolean {
  return (
    env.text('APIG_ENDPOINT') === undefined &&
    CREDENTIAL_VARIABLES.every((name) => env.secret(name) === undefined)
  );
}

function apigSettings(env: Environment, warnings: string[]): ApigSettings {
  const rawEndpoint = env.text('APIG_ENDPOINT');
  if (rawEndpoint === undefined) {
    fail('APIG_ENDPOINT', 'is required, e.g. https://apig.cn-north-4.myhuaweicloud.com');
  }
  const endpoint = parseUrl('APIG_ENDPOINT', rawEndpoint, warnings);
  const service = apigService(env);
  const project = projectId(env, warnings);
  const apigCredentials = credentials(env, warnings, project);
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
        rate === undefined ? 10 : parsePositiveNumber('APIG_RATE_LIMIT', rate, 10_000),
      burst: burst === undefined ? 1 : parseInteger('APIG_RATE_BURST', burst, 1, 10_000),
    },
    ...ca,
    timeoutMs,
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

/** The pod's own namespace: POD_NAMESPACE, else the ServiceAccount's file. Undefined outside a cluster. */
function podNamespace(env: Environment): string | undefined {
  const fromEnv = env.text('POD_NAMESPACE');
  if (fromEnv !== undefined) return parseNamespace('POD_NAMESPACE', fromEnv);
  const fromServiceAccount = env.optionalFile(SERVICE_ACCOUNT_NAMESPACE_FILE)?.trim();
  if (fromServiceAccount) return parseNamespace(SERVICE_ACCOUNT_NAMESPACE_FILE, fromServiceAccount);
  return undefined;
}

const OUTSIDE_A_CLUSTER =
  'outside a cluster (no ServiceAccount namespace file, no POD_NAMESPACE): leader election is off by default; run one replica, or set LEADER_ELECT=true and LEADER_ELECTION_NAMESPACE';

/**
 * In a cluster leader election is on by default and the Lease lives in the
 * pod's namespace. Outside one (`node dist/main.js` with a kubeconfig) there
 * is no namespace to assume, so it is off unless asked for, and then the
 * Lease's namespace must be named.
 */
function leaderElection(env: Environment, warnings: string[]): LeaderElectionSettings {
  const ownNamespace = podNamespace(env);
  const explicit = env.text('LEADER_ELECTION_NAMESPACE');
  const namespace =
    explicit !== undefined ? parseNamespace('LEADER_ELECTION_NAMESPACE', explicit) : ownNamespace;
  const elect = env.text('LEADER_ELECT');
  const enabled =
    elect === undefined ? ownNamespace !== undefined : parseBoolean('LEADER_ELECT', elect);
  const decidedBy =
    elect !== undefined
      ? `LEADER_ELECT=${elect}`
      : enabled
        ? 'in a cluster: on by default'
        : OUTSIDE_A_CLUSTER;
  if (elect !== undefined && !enabled) {
    warnings.push('LEADER_ELECT is false: run one replica only, or several will all write to APIG');
  }
  if (enabled && namespace === undefined) {
    fail(
      'LEADER_ELECTION_NAMESPACE',
      'must be set when LEADER_ELECT=true outside a cluster (no POD_NAMESPACE, no ServiceAccount namespace file): it names the namespace of the Lease',
    );
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
  const identity = podName ?? hostname();
  return enabled && namespace !== undefined
    ? { enabled, decidedBy, namespace, leaseName, identity }
    : { enabled: false, decidedBy, leaseName, identity };
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
  return readConfig(new Environment(env, readFile), (environment, warnings) =>
    apigSettings(environment, warnings),
  );
}

/**
 * loadConfig for the operator itself: without APIG_ENDPOINT and any
 * credential variable there is no environment APIG configuration, and only
 * ApigCertificates with spec.providerRef can be served.
 */
export function loadOperatorConfig(
  env: NodeJS.ProcessEnv,
  readFile: ReadTextFile = readFileSync,
): OperatorConfig<ApigSettings | undefined> {
  return readConfig(new Environment(env, readFile), (environment, warnings) => {
    if (!noEnvironmentApig(environment)) return apigSettings(environment, warnings);
    warnings.push(
      'no environment APIG configuration (APIG_ENDPOINT, credentials): only ApigCertificates with spec.providerRef are served',
    );
    return undefined;
  });
}

function clusterResourceNamespace(env: Environment): string | undefined {
  const explicit = env.text('CLUSTER_RESOURCE_NAMESPACE');
  if (explicit !== undefined) return parseNamespace('CLUSTER_RESOURCE_NAMESPACE', explicit);
  return podNamespace(env);
}

function watchClusterProviders(env: Environment): boolean {
  const raw = env.text('WATCH_CLUSTER_PROVIDERS');
  if (raw !== undefined) return parseBoolean('WATCH_CLUSTER_PROVIDERS', raw);
  return env.text('WATCH_NAMESPACES') === undefined;
}

function readConfig<Apig extends ApigSettings | undefined>(
  environment: Environment,
  apig: (environment: Environment, warnings: string[]) => Apig,
): OperatorConfig<Apig> {
  const warnings: string[] = [];
  const resync = environment.text('RESYNC_PERIOD');
  const inactivity = environment.text('WATCH_INACTIVITY_TIMEOUT');
  const concurrency = environment.text('RECONCILE_CONCURRENCY');
  const driftInterval = environment.text('DRIFT_CHECK_INTERVAL');
  const dryRun = environment.text('DRY_RUN');
  const config: OperatorConfig<Apig> = {
    apig: apig(environment, warnings),
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
      concurrency === undefined
        ? DEFAULT_RECONCILE_CONCURRENCY
        : parseInteger('RECONCILE_CONCURRENCY', concurrency, 1, 100),
    driftCheckIntervalMs:
      driftInterval === undefined
        ? 3_600_000
        : parseDurationSetting('DRIFT_CHECK_INTERVAL', driftInterval, 1_000, { allowZero: true }),
    dryRun: dryRun === undefined ? false : parseBoolean('DRY_RUN', dryRun),
    clusterResourceNamespace: clusterResourceNamespace(environment),
    watchClusterProviders: watchClusterProviders(environment),
    warnings,
  };
  return deepFreeze(config);
}

/** The options for createApigClient: the validated settings plus the logger. */
export function apigClientOptions(
  config: { readonly apig: ApigSettings },
  logger: Logger,
): ApigClientOptions {
  return { ...config.apig, logger };
}
