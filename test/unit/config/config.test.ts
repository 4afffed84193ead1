import { hostname } from 'node:os';
import {
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  describeConfig,
  loadConfig,
} from '../../../src/config/index.ts';
import type { OperatorConfig } from '../../../src/config/index.ts';
import { parseDuration } from '../../../src/config/parsers.ts';
import { transportTimeouts } from '../../../src/apig/http.ts';
import { createCA } from '../../support/certs.ts';
import { configErrorOf, fakeFiles } from './fake-files.ts';

// Every secret below contains SECRET: no message or summary may contain it.
const AK = 'AKSECRETACCESSKEY001';
const SK = 'SK-SECRET-4c2f9e0d7b';
const SECURITY_TOKEN = 'STS-SECRET-3f1a2b';
const PASSWORD = 'PW-SECRET-8a1b c9'; // a space is legal in a password
const TOKEN = 'TOKEN-SECRET-77de01';

const ENDPOINT = 'https://apig.cn-north-4.myhuaweicloud.com';
const PROJECT = '05041fffa40025702f6dc009cc6f8f33';

const BASE: NodeJS.ProcessEnv = {
  APIG_ENDPOINT: ENDPOINT,
  HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
  HUAWEICLOUD_SDK_AK: AK,
  HUAWEICLOUD_SDK_SK: SK,
};

const NO_AKSK: NodeJS.ProcessEnv = { HUAWEICLOUD_SDK_AK: undefined, HUAWEICLOUD_SDK_SK: undefined };

const IAM: NodeJS.ProcessEnv = {
  ...NO_AKSK,
  HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.myhuaweicloud.com',
  HUAWEICLOUD_USERNAME: 'cert-operator',
  HUAWEICLOUD_PASSWORD: PASSWORD,
  HUAWEICLOUD_DOMAIN_NAME: 'acme-account',
  HUAWEICLOUD_PROJECT_NAME: 'cn-north-4',
};

function load(overrides: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  return loadConfig({ ...BASE, ...overrides }, fakeFiles(files));
}

function configError(overrides: NodeJS.ProcessEnv, files: Record<string, string> = {}) {
  return configErrorOf(() => load(overrides, files));
}

describe('loadConfig rejects a bad configuration with one line naming the variable', () => {
  it.each<[string, NodeJS.ProcessEnv, Record<string, string>, string[]]>([
    // [case, env overrides, files, what the message must name]
    ['APIG_ENDPOINT missing', { APIG_ENDPOINT: undefined }, {}, ['APIG_ENDPOINT', 'required']],
    ['APIG_ENDPOINT blank', { APIG_ENDPOINT: '   ' }, {}, ['APIG_ENDPOINT', 'required']],
    ['APIG_ENDPOINT not a URL', { APIG_ENDPOINT: 'apig.example.com' }, {}, ['APIG_ENDPOINT']],
    [
      'APIG_ENDPOINT ftp',
      { APIG_ENDPOINT: 'ftp://apig.example.com' },
      {},
      ['APIG_ENDPOINT', 'ftp:'],
    ],
    [
      'APIG_ENDPOINT with a password',
      { APIG_ENDPOINT: 'https://user:URL-SECRET-pw@apig.example.com' },
      {},
      ['APIG_ENDPOINT', 'password'],
    ],
    ['APIG_ENDPOINT with a query', { APIG_ENDPOINT: `${ENDPOINT}?a=1` }, {}, ['APIG_ENDPOINT']],
    ['APIG_SERVICE unknown', { APIG_SERVICE: 'apic' }, {}, ['APIG_SERVICE', '"apic"']],
    [
      'the placeholder project ID of deploy/base/config.yaml',
      { HUAWEICLOUD_SDK_PROJECT_ID: '<project-id>' },
      {},
      ['HUAWEICLOUD_SDK_PROJECT_ID', '"<project-id>"'],
    ],
    [
      'project ID with a slash',
      { HUAWEICLOUD_SDK_PROJECT_ID: 'a/b' },
      {},
      ['HUAWEICLOUD_SDK_PROJECT_ID'],
    ],
    [
      'no credentials at all',
      NO_AKSK,
      {},
      ['no APIG credentials', 'HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_PASSWORD', 'APIG_AUTH_TOKEN'],
    ],
    ['AK without SK', { HUAWEICLOUD_SDK_SK: undefined }, {}, ['HUAWEICLOUD_SDK_SK', 'incomplete']],
    ['SK without AK', { HUAWEICLOUD_SDK_AK: undefined }, {}, ['HUAWEICLOUD_SDK_AK', 'incomplete']],
    [
      'security token without AK/SK',
      { ...NO_AKSK, HUAWEICLOUD_SDK_SECURITY_TOKEN: SECURITY_TOKEN },
      {},
      ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_SECURITY_TOKEN'],
    ],
    [
      'AK/SK and a password',
      { HUAWEICLOUD_PASSWORD: PASSWORD },
      {},
      ['conflicting', 'HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_PASSWORD'],
    ],
    [
      'AK/SK and a fixed token',
      { APIG_AUTH_TOKEN: TOKEN },
      {},
      ['conflicting', 'HUAWEICLOUD_SDK_AK', 'APIG_AUTH_TOKEN'],
    ],
    [
      'IAM password and a fixed token file',
      { ...IAM, APIG_AUTH_TOKEN_FILE: '/etc/apig/token' },
      { '/etc/apig/token': TOKEN },
      ['conflicting', 'HUAWEICLOUD_PASSWORD', 'APIG_AUTH_TOKEN_FILE'],
    ],
    [
      'IAM password without the account name',
      { ...IAM, HUAWEICLOUD_DOMAIN_NAME: undefined },
      {},
      ['HUAWEICLOUD_DOMAIN_NAME', 'incomplete'],
    ],
    [
      'IAM endpoint not a URL',
      { ...IAM, HUAWEICLOUD_IAM_ENDPOINT: 'iam.myhuaweicloud.com' },
      {},
      ['HUAWEICLOUD_IAM_ENDPOINT'],
    ],
    [
      'SK and SK_FILE both set',
      { HUAWEICLOUD_SDK_SK_FILE: '/etc/apig/sk' },
      { '/etc/apig/sk': SK },
      ['HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SK_FILE'],
    ],
    [
      'SK_FILE names a missing file',
      { HUAWEICLOUD_SDK_SK: undefined, HUAWEICLOUD_SDK_SK_FILE: '/etc/apig/sk' },
      {},
      ['HUAWEICLOUD_SDK_SK_FILE', '/etc/apig/sk', 'ENOENT'],
    ],
    [
      'SK_FILE is empty',
      { HUAWEICLOUD_SDK_SK: undefined, HUAWEICLOUD_SDK_SK_FILE: '/etc/apig/sk' },
      { '/etc/apig/sk': '\n' },
      ['HUAWEICLOUD_SDK_SK_FILE', 'empty'],
    ],
    [
      'SK with a space inside',
      { HUAWEICLOUD_SDK_SK: 'SK-SECRET 4c2f' },
      {},
      ['HUAWEICLOUD_SDK_SK', 'spaces'],
    ],
    [
      'SK_FILE with two trailing newlines',
      { HUAWEICLOUD_SDK_SK: undefined, HUAWEICLOUD_SDK_SK_FILE: '/etc/apig/sk' },
      { '/etc/apig/sk': `${SK}\n\n` },
      ['HUAWEICLOUD_SDK_SK_FILE', 'line breaks'],
    ],
    [
      'token with a line break',
      { ...NO_AKSK, APIG_AUTH_TOKEN: 'TOKEN-SECRET\nx' },
      {},
      ['APIG_AUTH_TOKEN'],
    ],
    [
      'password with a line break',
      { ...IAM, HUAWEICLOUD_PASSWORD: 'PW-SECRET\nx' },
      {},
      ['HUAWEICLOUD_PASSWORD', 'line break'],
    ],
    [
      'WATCH_NAMESPACES with an upper-case name',
      { WATCH_NAMESPACES: 'default,Prod' },
      {},
      ['WATCH_NAMESPACES', '"Prod"'],
    ],
    ['WATCH_NAMESPACES with an underscore', { WATCH_NAMESPACES: 'a_b' }, {}, ['WATCH_NAMESPACES']],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, {}, ['LOG_LEVEL', '"verbose"', 'debug']],
    ['LEADER_ELECT not a boolean', { LEADER_ELECT: 'maybe' }, {}, ['LEADER_ELECT', '"maybe"']],
    [
      'LEADER_ELECT=true outside a cluster without a Lease namespace',
      { LEADER_ELECT: 'true' },
      {},
      ['LEADER_ELECTION_NAMESPACE', 'outside a cluster'],
    ],
    [
      'LEADER_ELECTION_NAMESPACE invalid',
      { LEADER_ELECTION_NAMESPACE: 'Bad_NS' },
      {},
      ['LEADER_ELECTION_NAMESPACE'],
    ],
    ['POD_NAMESPACE invalid', { POD_NAMESPACE: 'BAD' }, {}, ['POD_NAMESPACE']],
    [
      'service-account namespace file invalid',
      {},
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'Not A Namespace\n' },
      [SERVICE_ACCOUNT_NAMESPACE_FILE],
    ],
    ['LEADER_ELECTION_ID invalid', { LEADER_ELECTION_ID: 'My Lease' }, {}, ['LEADER_ELECTION_ID']],
    ['HTTP_PORT too large', { HTTP_PORT: '70000' }, {}, ['HTTP_PORT', '0 to 65535']],
    ['HTTP_PORT not a number', { HTTP_PORT: '80a' }, {}, ['HTTP_PORT']],
    ['HTTP_PORT negative', { HTTP_PORT: '-1' }, {}, ['HTTP_PORT']],
    ['HTTP_BIND_ADDRESS invalid', { HTTP_BIND_ADDRESS: 'any host!' }, {}, ['HTTP_BIND_ADDRESS']],
    ['RESYNC_PERIOD without a unit', { RESYNC_PERIOD: '10' }, {}, ['RESYNC_PERIOD', 'e.g. 10h']],
    ['RESYNC_PERIOD in days', { RESYNC_PERIOD: '1d' }, {}, ['RESYNC_PERIOD']],
    ['RESYNC_PERIOD negative', { RESYNC_PERIOD: '-1h' }, {}, ['RESYNC_PERIOD']],
    ['RESYNC_PERIOD zero', { RESYNC_PERIOD: '0s' }, {}, ['RESYNC_PERIOD', 'from 1s to 480h']],
    ['RESYNC_PERIOD beyond timers', { RESYNC_PERIOD: '1000h' }, {}, ['RESYNC_PERIOD']],
    [
      'DRIFT_CHECK_INTERVAL without a unit',
      { DRIFT_CHECK_INTERVAL: '60' },
      {},
      ['DRIFT_CHECK_INTERVAL', 'e.g. 10h'],
    ],
    [
      'DRIFT_CHECK_INTERVAL below a second',
      { DRIFT_CHECK_INTERVAL: '500ms' },
      {},
      ['DRIFT_CHECK_INTERVAL', 'from 1s'],
    ],
    ['DRY_RUN not a boolean', { DRY_RUN: 'maybe' }, {}, ['DRY_RUN', 'true or false']],
    [
      'WATCH_INACTIVITY_TIMEOUT in words',
      { WATCH_INACTIVITY_TIMEOUT: '5 minutes' },
      {},
      ['WATCH_INACTIVITY_TIMEOUT'],
    ],
    ['APIG_TIMEOUT too short', { APIG_TIMEOUT: '500ms' }, {}, ['APIG_TIMEOUT']],
    ['APIG_RATE_LIMIT zero', { APIG_RATE_LIMIT: '0' }, {}, ['APIG_RATE_LIMIT']],
    ['APIG_RATE_LIMIT a word', { APIG_RATE_LIMIT: 'fast' }, {}, ['APIG_RATE_LIMIT']],
    ['APIG_RATE_BURST zero', { APIG_RATE_BURST: '0' }, {}, ['APIG_RATE_BURST']],
    ['APIG_RATE_BURST a fraction', { APIG_RATE_BURST: '2.5' }, {}, ['APIG_RATE_BURST']],
    [
      'RECONCILE_CONCURRENCY zero',
      { RECONCILE_CONCURRENCY: '0' },
      {},
      ['RECONCILE_CONCURRENCY', '1 to 100'],
    ],
    ['APIG_CA_FILE missing', { APIG_CA_FILE: '/etc/ca.pem' }, {}, ['APIG_CA_FILE', '/etc/ca.pem']],
    [
      'APIG_CA_FILE without a certificate',
      { APIG_CA_FILE: '/etc/ca.pem' },
      { '/etc/ca.pem': 'hello\n' },
      ['APIG_CA_FILE', 'no PEM certificate'],
    ],
    [
      'APIG_CA_FILE with a broken certificate',
      { APIG_CA_FILE: '/etc/ca.pem' },
      { '/etc/ca.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
      ['APIG_CA_FILE', 'cannot be parsed'],
    ],
  ])('%s', (_case, overrides, files, named) => {
    const error = configError(overrides, files);
    expect(error.name).toBe('ConfigError');
    for (const part of named) expect(error.message).toContain(part);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).not.toContain('SECRET');
    expect(error.variables.length).toBeGreaterThan(0);
  });
});

describe('loadConfig defaults', () => {
  it('fills every optional setting', () => {
    const config = load();
    expect(config).toEqual<OperatorConfig>({
      apig: {
        endpoint: ENDPOINT,
        service: 'apig',
        projectId: PROJECT,
        credentials: { kind: 'aksk', accessKey: AK, secretKey: SK },
        rateLimit: { requestsPerSecond: 10, burst: 1 },
        caFile: undefined,
        caPem: undefined,
        timeoutMs: 30_000,
      },
      watchNamespaces: [],
      logLevel: 'info',
      leaderElection: {
        enabled: false,
        decidedBy: expect.stringMatching(
          /^outside a cluster .*off by default.*LEADER_ELECT=true and LEADER_ELECTION_NAMESPACE/,
        ) as string,
        leaseName: 'apig-cert-operator-leader',
        identity: hostname(),
      },
      http: { port: 8080, host: '0.0.0.0' },
      resyncPeriodMs: 10 * 3_600_000,
      watchInactivityTimeoutMs: 5 * 60_000,
      reconcileConcurrency: 32,
      driftCheckIntervalMs: 3_600_000,
      dryRun: false,
      clusterResourceNamespace: undefined,
      watchClusterProviders: true,
      warnings: [],
    });
  });

  it('in a cluster, elects a leader with the Lease in the pod namespace', () => {
    expect(
      load({}, { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'apig-cert-operator\n' }).leaderElection,
    ).toEqual({
      enabled: true,
      decidedBy: 'in a cluster: on by default',
      namespace: 'apig-cert-operator',
      leaseName: 'apig-cert-operator-leader',
      identity: hostname(),
    });
  });

  it('is frozen all the way down', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.apig.credentials)).toBe(true);
    expect(Object.isFrozen(config.watchNamespaces)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('treats blank variables as unset (Kubernetes sets them for absent optional keys)', () => {
    const config = load({ LOG_LEVEL: '', HTTP_PORT: ' ', WATCH_NAMESPACES: '', APIG_SERVICE: '' });
    expect([
      config.logLevel,
      config.http.port,
      config.watchNamespaces,
      config.apig.service,
    ]).toEqual(['info', 8080, [], 'apig']);
  });
});

describe('loadConfig accepts', () => {
  it.each<
    [string, NodeJS.ProcessEnv, Record<string, string>, (c: OperatorConfig) => unknown, unknown]
  >([
    ['ROMA Connect', { APIG_SERVICE: 'ROMA' }, {}, (c) => c.apig.service, 'roma'],
    [
      'an endpoint with a path and a trailing slash',
      { APIG_ENDPOINT: 'https://gw.example.com/prefix/' },
      {},
      (c) => c.apig.endpoint,
      'https://gw.example.com/prefix',
    ],
    [
      'a temporary key with its security token',
      { HUAWEICLOUD_SDK_SECURITY_TOKEN: SECURITY_TOKEN },
      {},
      (c) => c.apig.credentials,
      { kind: 'aksk', accessKey: AK, secretKey: SK, securityToken: SECURITY_TOKEN },
    ],
    [
      'an IAM password',
      IAM,
      {},
      (c) => c.apig.credentials,
      {
        kind: 'iamPassword',
        iamEndpoint: 'https://iam.myhuaweicloud.com',
        username: 'cert-operator',
        password: PASSWORD,
        domainName: 'acme-account',
        projectName: 'cn-north-4',
      },
    ],
    [
      'a fixed token',
      { ...NO_AKSK, APIG_AUTH_TOKEN: TOKEN },
      {},
      (c) => c.apig.credentials,
      { kind: 'token', token: TOKEN },
    ],
    [
      'AK from the environment and SK from a file, one trailing newline removed',
      { HUAWEICLOUD_SDK_SK: undefined, HUAWEICLOUD_SDK_SK_FILE: '/etc/apig/sk' },
      { '/etc/apig/sk': `${SK}\n` },
      (c) => c.apig.credentials,
      { kind: 'aksk', accessKey: AK, secretKey: SK },
    ],
    [
      'AK and SK files with CRLF endings',
      {
        HUAWEICLOUD_SDK_AK: undefined,
        HUAWEICLOUD_SDK_SK: undefined,
        HUAWEICLOUD_SDK_AK_FILE: '/s/ak',
        HUAWEICLOUD_SDK_SK_FILE: '/s/sk',
      },
      { '/s/ak': `${AK}\r\n`, '/s/sk': `${SK}\r\n` },
      (c) => c.apig.credentials,
      { kind: 'aksk', accessKey: AK, secretKey: SK },
    ],
    [
      'a blank X beside X_FILE (no conflict)',
      { ...NO_AKSK, APIG_AUTH_TOKEN: '', APIG_AUTH_TOKEN_FILE: '/s/token' },
      { '/s/token': TOKEN },
      (c) => c.apig.credentials,
      { kind: 'token', token: TOKEN },
    ],
    [
      'a password file: inner spaces kept',
      { ...IAM, HUAWEICLOUD_PASSWORD: undefined, HUAWEICLOUD_PASSWORD_FILE: '/s/pw' },
      { '/s/pw': `${PASSWORD}\n` },
      (c) => c.apig.credentials.kind === 'iamPassword' && c.apig.credentials.password,
      PASSWORD,
    ],
    [
      'namespaces trimmed, de-duplicated, empty entries dropped',
      { WATCH_NAMESPACES: ' team-a , team-b,, team-a ,' },
      {},
      (c) => c.watchNamespaces,
      ['team-a', 'team-b'],
    ],
    ['LOG_LEVEL in capitals', { LOG_LEVEL: 'DEBUG' }, {}, (c) => c.logLevel, 'debug'],
    ['LOG_LEVEL silent', { LOG_LEVEL: 'silent' }, {}, (c) => c.logLevel, 'silent'],
    [
      'LEADER_ELECTION_NAMESPACE first',
      { LEADER_ELECTION_NAMESPACE: 'ops', POD_NAMESPACE: 'pod-ns' },
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'sa-ns' },
      (c) => c.leaderElection.namespace,
      'ops',
    ],
    [
      'POD_NAMESPACE before the service-account file',
      { POD_NAMESPACE: 'pod-ns' },
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'sa-ns' },
      (c) => c.leaderElection.namespace,
      'pod-ns',
    ],
    [
      'the service-account namespace file',
      {},
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'sa-ns\n' },
      (c) => c.leaderElection.namespace,
      'sa-ns',
    ],
    [
      'lease name and identity',
      { LEADER_ELECTION_ID: 'my.lease-1', POD_NAME: 'operator-7d9f-x2' },
      {},
      (c) => [c.leaderElection.leaseName, c.leaderElection.identity],
      ['my.lease-1', 'operator-7d9f-x2'],
    ],
    ['LEADER_ELECT=0', { LEADER_ELECT: '0' }, {}, (c) => c.leaderElection.enabled, false],
    [
      'LEADER_ELECT=TRUE outside a cluster, with the Lease namespace named',
      { LEADER_ELECT: 'TRUE', LEADER_ELECTION_NAMESPACE: 'ops' },
      {},
      (c) => [c.leaderElection.enabled, c.leaderElection.namespace],
      [true, 'ops'],
    ],
    [
      'outside a cluster a Lease namespace alone does not turn election on',
      { LEADER_ELECTION_NAMESPACE: 'ops' },
      {},
      (c) => c.leaderElection.enabled,
      false,
    ],
    [
      'POD_NAMESPACE means in a cluster: election on',
      { POD_NAMESPACE: 'pod-ns' },
      {},
      (c) => [c.leaderElection.enabled, c.leaderElection.namespace],
      [true, 'pod-ns'],
    ],
    [
      'LEADER_ELECT=false in a cluster',
      { LEADER_ELECT: 'false' },
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'sa-ns' },
      (c) => c.leaderElection.enabled,
      false,
    ],
    [
      'port 0 and a bracketed IPv6 address',
      { HTTP_PORT: '0', HTTP_BIND_ADDRESS: '[::]' },
      {},
      (c) => c.http,
      { port: 0, host: '::' },
    ],
    [
      'a host name to bind',
      { HTTP_BIND_ADDRESS: 'localhost' },
      {},
      (c) => c.http.host,
      'localhost',
    ],
    [
      'Go durations',
      { RESYNC_PERIOD: '1h30m', WATCH_INACTIVITY_TIMEOUT: '90s' },
      {},
      (c) => [c.resyncPeriodMs, c.watchInactivityTimeoutMs],
      [5_400_000, 90_000],
    ],
    [
      'APIG_TIMEOUT longer than the connect timeout',
      { APIG_TIMEOUT: '45s' },
      {},
      (c) => transportTimeouts(c.apig.timeoutMs),
      { connectTimeout: 10_000, headersTimeout: 45_000, bodyTimeout: 45_000 },
    ],
    [
      'APIG_TIMEOUT shorter than the connect timeout',
      { APIG_TIMEOUT: '5s' },
      {},
      (c) => ({ timeoutMs: c.apig.timeoutMs, ...transportTimeouts(c.apig.timeoutMs) }),
      { timeoutMs: 5_000, connectTimeout: 5_000, headersTimeout: 5_000, bodyTimeout: 5_000 },
    ],
    [
      'a fractional rate and a burst',
      { APIG_RATE_LIMIT: '0.5', APIG_RATE_BURST: '2' },
      {},
      (c) => c.apig.rateLimit,
      { requestsPerSecond: 0.5, burst: 2 },
    ],
    [
      'RECONCILE_CONCURRENCY',
      { RECONCILE_CONCURRENCY: '16' },
      {},
      (c) => c.reconcileConcurrency,
      16,
    ],
    [
      'DRIFT_CHECK_INTERVAL',
      { DRIFT_CHECK_INTERVAL: '15m' },
      {},
      (c) => c.driftCheckIntervalMs,
      900_000,
    ],
    [
      'DRIFT_CHECK_INTERVAL 0 (off)',
      { DRIFT_CHECK_INTERVAL: '0' },
      {},
      (c) => c.driftCheckIntervalMs,
      0,
    ],
    [
      'DRIFT_CHECK_INTERVAL 0s (off)',
      { DRIFT_CHECK_INTERVAL: '0s' },
      {},
      (c) => c.driftCheckIntervalMs,
      0,
    ],
    ['DRY_RUN', { DRY_RUN: 'true' }, {}, (c) => c.dryRun, true],
  ])('%s', (_case, overrides, files, pick, expected) => {
    expect(pick(load(overrides, files))).toEqual(expected);
  });

  it('reads APIG_CA_FILE and keeps its PEM', async () => {
    const ca = await createCA({ commonName: 'Private APIG CA', key: { kind: 'EC' } });
    const config = load({ APIG_CA_FILE: '/etc/apig/ca.pem' }, { '/etc/apig/ca.pem': ca.certPem });
    expect(config.apig.caFile).toBe('/etc/apig/ca.pem');
    expect(config.apig.caPem).toBe(ca.certPem);
  });
});

describe('loadConfig warnings', () => {
  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    [
      'plain http APIG',
      { APIG_ENDPOINT: 'http://127.0.0.1:8443' },
      /^APIG_ENDPOINT uses plain http/,
    ],
    [
      'plain http IAM',
      { ...IAM, HUAWEICLOUD_IAM_ENDPOINT: 'http://127.0.0.1:9000' },
      /^HUAWEICLOUD_IAM_ENDPOINT uses plain http/,
    ],
    [
      'no default project',
      { HUAWEICLOUD_SDK_PROJECT_ID: undefined },
      /HUAWEICLOUD_SDK_PROJECT_ID is not set: every ApigCertificate must set spec\.projectId/,
    ],
    ['leader election off', { LEADER_ELECT: 'false' }, /^LEADER_ELECT is false/],
  ])('%s', (_case, overrides, warning) => {
    const config = load(overrides);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(warning);
  });

  it('a missing project ID leaves projectId undefined', () => {
    expect(load({ HUAWEICLOUD_SDK_PROJECT_ID: undefined }).apig.projectId).toBeUndefined();
  });
});

describe('describeConfig', () => {
  it.each<[string, NodeJS.ProcessEnv, Record<string, string>]>([
    ['AK/SK with a security token', { HUAWEICLOUD_SDK_SECURITY_TOKEN: SECURITY_TOKEN }, {}],
    ['IAM password', IAM, {}],
    ['fixed token from a file', { ...NO_AKSK, APIG_AUTH_TOKEN_FILE: '/t' }, { '/t': TOKEN }],
  ])('replaces every secret with [set]: %s', (_case, overrides, files) => {
    const summary = JSON.stringify(describeConfig(load(overrides, files)));
    expect(summary).not.toContain('SECRET');
    expect(summary).toContain('"[set]"');
  });

  it('shows every non-secret setting and leaves out the CA PEM', async () => {
    const ca = await createCA({ commonName: 'Summary CA', key: { kind: 'EC' } });
    const summary = describeConfig(
      load({ ...IAM, APIG_CA_FILE: '/ca.pem', WATCH_NAMESPACES: 'a,b' }, { '/ca.pem': ca.certPem }),
    );
    expect(summary).toMatchObject({
      apig: {
        endpoint: ENDPOINT,
        caFile: '/ca.pem',
        credentials: {
          kind: 'iamPassword',
          username: 'cert-operator',
          password: '[set]',
          domainName: 'acme-account',
        },
      },
      watchNamespaces: ['a', 'b'],
      http: { port: 8080 },
    });
    expect(JSON.stringify(summary)).not.toContain('BEGIN CERTIFICATE');
    expect(describeConfig(load()).watchNamespaces).toBe('all');
  });
});

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['10h', 36_000_000],
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['250ms', 250],
    ['1h30m15s', 5_415_000],
    ['1500us', 2],
    ['1500\u00b5s', 2],
    ['1500\u03bcs', 2],
    ['2000000ns', 2],
    ['10', undefined],
    ['', undefined],
    ['h', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['10H', undefined],
    ['1h 30m', undefined],
  ])('%j -> %j ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});
