// The Helm chart (deploy/helm/apig-cert-operator) cannot drift from deploy/:
// its default render is, object by object, what `kubectl kustomize deploy/`
// builds (less the Namespace, which Helm does not own, see below), and each
// documented switch renders what the matching kustomize component or
// deploy/namespaced builds. Each README combination is accepted by the real
// kube-apiserver (strict server-side dry run); `helm lint --strict` passes;
// a wrong value is refused by the schema with a message naming it; the
// README's values table lists exactly the schema's values.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import { createCA } from '../../support/certs.ts';
import { createTestNamespace } from '../../support/kube.ts';
import {
  CRDS_DIR,
  OPERATOR_NAMESPACE,
  REPO_DIR,
  containerEnvironment,
  findObject,
  kubectlOk,
  kustomizeComposition,
  mountedSecretReader,
  parseManifests,
  removeScratch,
  runKubectl,
  type Composition,
  type ManifestObject,
} from '../install/support.ts';
import { CHART_DIR, helmOk, removeHelmHome, template } from './helm.ts';

const STAND_IN_CRDS = join(REPO_DIR, 'test/integration/install/stand-in-crds');
const PROJECT_ID = '0123456789abcdef0123456789abcdef';

/** Each switch of the chart and the deploy/ build it must equal. */
const EQUIVALENTS: { name: string; values: Record<string, unknown>; kustomize: Composition }[] = [
  { name: 'defaults', values: {}, kustomize: { resources: [''] } },
  {
    name: 'auth.method=iamPassword',
    values: { 'auth.method': 'iamPassword' },
    kustomize: { resources: [''], components: ['iam-password'] },
  },
  {
    name: 'auth.method=securityToken',
    values: { 'auth.method': 'securityToken' },
    kustomize: { resources: [''], components: ['security-token'] },
  },
  {
    name: 'ROMA Connect',
    values: {
      'config.apigService': 'roma',
      'config.apigEndpoint': 'https://roma.cn-north-4.myhuaweicloud.com',
    },
    kustomize: { resources: [''], components: ['roma-connect'] },
  },
  {
    name: 'prometheus',
    values: { 'prometheus.serviceMonitor.enabled': true, 'prometheus.rules.enabled': true },
    kustomize: { resources: [''], components: ['prometheus'] },
  },
  {
    name: 'networkPolicy.enabled',
    values: { 'networkPolicy.enabled': true },
    kustomize: { resources: [''], components: ['network-policy'] },
  },
  { name: 'namespaced', values: { namespaced: true }, kustomize: { resources: ['namespaced'] } },
];

/**
 * Every value of the README's values table, set at once; keyless, which
 * excludes credentials.create, is a combination of its own.
 */
const EVERYTHING: Record<string, unknown> = {
  fullnameOverride: 'apig-everything',
  'image.repository': 'registry.example.com/platform/apig-cert-operator',
  'image.tag': '0.1.0',
  'image.digest': `sha256:${'a'.repeat(64)}`,
  'image.pullPolicy': 'Always',
  'image.pullSecrets': ['registry-credentials'],
  replicas: 3,
  'leaderElection.id': 'apig-everything-leader',
  'config.projectId': PROJECT_ID,
  'config.logLevel': 'debug',
  'config.watchNamespaces': ['web', 'shop'],
  'config.watchClusterProviders': true,
  'config.clusterResourceNamespace': 'platform',
  'config.resyncPeriod': '2h',
  'config.watchInactivityTimeout': '3m',
  'config.apigTimeout': '20s',
  'config.apigRateLimit': 2.5,
  'config.apigRateBurst': 10,
  'config.reconcileConcurrency': 8,
  'config.driftCheckInterval': '30m',
  'config.dryRun': true,
  rollOnConfigChange: true,
  'apigCA.secretName': 'apig-everything-ca',
  'apigCA.key': 'bundle.pem',
  'credentials.secretName': 'apig-everything-credentials',
  'credentials.create': true,
  'credentials.data': { HUAWEICLOUD_SDK_AK: 'AKEXAMPLE', HUAWEICLOUD_SDK_SK: 'sk-example' },
  resources: { requests: { cpu: '100m', memory: '160Mi' }, limits: { memory: '320Mi' } },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] },
        ],
      },
    },
  },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'apig-cert-operator' } },
    },
  ],
  priorityClassName: 'system-cluster-critical',
  'podDisruptionBudget.minAvailable': '50%',
  'serviceAccount.annotations': { 'example.com/owner': 'platform' },
  commonLabels: { team: 'platform' },
  commonAnnotations: { 'example.com/contact': 'platform@example.com' },
  podLabels: { tier: 'operators' },
  podAnnotations: { 'example.com/scrape': 'true' },
  'prometheus.serviceMonitor.enabled': true,
  'prometheus.serviceMonitor.interval': '30s',
  'prometheus.serviceMonitor.labels': { release: 'kube-prometheus-stack' },
  'prometheus.rules.enabled': true,
  'prometheus.rules.labels': { release: 'kube-prometheus-stack' },
  'networkPolicy.enabled': true,
  extraEnv: [{ name: 'TZ', value: 'UTC' }],
  extraVolumes: [{ name: 'scratch', emptyDir: { sizeLimit: '16Mi' } }],
  extraVolumeMounts: [{ name: 'scratch', mountPath: '/var/tmp/scratch' }],
};

/** Keyless: the values the schema requires for it, and no credentials Secret. */
const KEYLESS: Record<string, unknown> = {
  'auth.method': 'keyless',
  'auth.keyless.idpId': 'apig-cert-operator-idp',
  'auth.keyless.iamEndpoint': 'https://iam.cn-north-4.myhuaweicloud.com',
  'auth.keyless.audience': 'apig-cert-operator',
  'auth.keyless.expirationSeconds': 7200,
};

/** The combinations the README documents, each rendered and dry-run on the API server. */
const README_COMBINATIONS: { name: string; values: Record<string, unknown> }[] = [
  ...EQUIVALENTS,
  { name: 'every value at once', values: EVERYTHING },
  {
    name: 'one replica without leader election',
    values: { replicas: 1, 'leaderElection.enabled': false },
  },
  {
    name: 'namespaced with iamPassword and the chart-made Secret',
    values: {
      namespaced: true,
      'auth.method': 'iamPassword',
      'credentials.create': true,
      'credentials.data': {
        HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.myhuaweicloud.com',
        HUAWEICLOUD_DOMAIN_NAME: 'account',
        HUAWEICLOUD_USERNAME: 'user',
        HUAWEICLOUD_PASSWORD: 'password',
        HUAWEICLOUD_PROJECT_NAME: 'cn-north-4',
      },
    },
  },
  { name: 'PodDisruptionBudget off', values: { 'podDisruptionBudget.enabled': false } },
  { name: 'keyless', values: KEYLESS },
  { name: 'keyless, namespaced', values: { ...KEYLESS, namespaced: true } },
  { name: 'CA bundle from a ConfigMap', values: { 'apigCA.configMapName': 'private-ca' } },
  {
    name: 'drift check off, dry run',
    values: { 'config.driftCheckInterval': '0', 'config.dryRun': true },
  },
];

/** AK/SK from a chart-made Secret, for the rows about other settings. */
const AKSK_SECRET: Record<string, unknown> = {
  'config.projectId': PROJECT_ID,
  'credentials.secretName': 'apig-cert-operator-credentials',
  'credentials.create': true,
  'credentials.data': { HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK' },
};

/** Where keyless pods read their token: the projected ServiceAccount token at its mount path. */
function projectedTokenReader(
  objects: readonly ManifestObject[],
  token: string,
): (path: string) => string {
  const pod = findObject<TokenPod>(objects, 'Deployment', 'apig-cert-operator').spec.template.spec;
  const volume = pod.volumes.find((v) => v.projected?.sources.some((s) => s.serviceAccountToken));
  const source = volume?.projected?.sources.find((s) => s.serviceAccountToken)?.serviceAccountToken;
  const mount = pod.containers[0]?.volumeMounts.find((m) => m.name === volume?.name);
  if (!source || !mount) throw new Error('no projected ServiceAccount token is mounted');
  const tokenPath = `${mount.mountPath.replace(/\/$/, '')}/${source.path}`;
  return (path) => {
    if (path !== tokenPath) {
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    }
    return token;
  };
}

interface TokenPod {
  spec: {
    template: {
      spec: {
        containers: { volumeMounts: { name: string; mountPath: string }[] }[];
        volumes: {
          name: string;
          projected?: { sources: { serviceAccountToken?: { path: string } }[] };
        }[];
      };
    };
  };
}

const key = (o: ManifestObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Objects by kind/namespace/name; a duplicate is a render bug, not something to hide. */
function byKey(objects: readonly ManifestObject[]): Map<string, ManifestObject> {
  const map = new Map<string, ManifestObject>();
  for (const object of objects) {
    if (map.has(key(object))) throw new Error(`${key(object)} is rendered twice`);
    map.set(key(object), object);
  }
  return map;
}

function rendered(namespace: string, values: Record<string, unknown> = {}): string {
  const result = template(namespace, values);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return result.stdout;
}

let namespace: string;

beforeAll(async () => {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRDS_DIR]);
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', STAND_IN_CRDS]);
  kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/apigcertificates.apig.certsync.io',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
  ]);
  namespace = await createTestNamespace('helm-chart');
});

afterAll(() => {
  removeScratch();
  removeHelmHome();
});

describe('no drift from deploy/', () => {
  it.each(EQUIVALENTS)('$name renders, object by object, what kustomize builds', (c) => {
    const chart = byKey(parseManifests(rendered(OPERATOR_NAMESPACE, c.values)));
    // Helm does not own the release namespace (`--create-namespace` or an
    // existing one): the README says how to label it restricted.
    const kustomized = byKey(
      parseManifests(kustomizeComposition(c.kustomize)).filter((o) => o.kind !== 'Namespace'),
    );
    expect([...chart.keys()].sort()).toEqual([...kustomized.keys()].sort());
    for (const [name, object] of kustomized) {
      expect({ [name]: chart.get(name) }).toEqual({ [name]: object });
    }
  });

  it('ships crds/ unchanged in the chart (Helm installs it on first install and never deletes it)', () => {
    const names = readdirSync(CRDS_DIR).sort();
    expect(readdirSync(join(CHART_DIR, 'crds')).sort()).toEqual(names);
    for (const name of names) {
      expect({ [name]: readFileSync(join(CHART_DIR, 'crds', name), 'utf8') }).toEqual({
        [name]: readFileSync(join(CRDS_DIR, name), 'utf8'),
      });
    }
  });
});

describe('helm lint --strict', () => {
  it.each([
    { name: 'defaults', args: [] as string[] },
    {
      name: 'namespaced, prometheus, network policy',
      args: [
        '--set',
        'namespaced=true,prometheus.serviceMonitor.enabled=true,prometheus.rules.enabled=true,networkPolicy.enabled=true',
      ],
    },
    {
      name: 'keyless, CA bundle, roll on config change',
      args: [
        '--set',
        'auth.method=keyless,auth.keyless.idpId=idp,auth.keyless.audience=client,auth.keyless.iamEndpoint=https://iam.cn-north-4.myhuaweicloud.com,apigCA.configMapName=private-ca,rollOnConfigChange=true',
      ],
    },
  ])('passes with $name', ({ args }) => {
    const result = helmOk(['lint', '--strict', CHART_DIR, ...args]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('every README combination is accepted by kube-apiserver', () => {
  it.each(README_COMBINATIONS)('$name: helm template | kubectl apply --dry-run=server', (c) => {
    const yaml = rendered(namespace, c.values);
    expect(parseManifests(yaml).length).toBeGreaterThan(5);
    const result = runKubectl(['apply', '--dry-run=server', '--server-side', '-f', '-'], yaml);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('deployment.apps/');
  });

  it('every value at once reaches the objects it is for', () => {
    const objects = byKey(parseManifests(rendered(namespace, EVERYTHING)));
    const deployment = objects.get(`Deployment/${namespace}/apig-everything`) as unknown as {
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: { image: string; env: { name: string; value?: string }[] }[];
            imagePullSecrets: { name: string }[];
            volumes: { secret: { secretName: string } }[];
          };
        };
      };
    };
    expect(deployment.spec.replicas).toBe(3);
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0]!.image).toBe(
      `registry.example.com/platform/apig-cert-operator:0.1.0@sha256:${'a'.repeat(64)}`,
    );
    expect(pod.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(pod.volumes[0]!.secret.secretName).toBe('apig-everything-credentials');
    expect(pod.containers[0]!.env).toContainEqual({
      name: 'LEADER_ELECTION_ID',
      value: 'apig-everything-leader',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      team: 'platform',
      tier: 'operators',
    });
    const config = objects.get(`ConfigMap/${namespace}/apig-everything-config`)!.data;
    expect(config).toEqual({
      DRIFT_CHECK_INTERVAL: '30m',
      DRY_RUN: 'true',
      APIG_ENDPOINT: 'https://apig.cn-north-4.myhuaweicloud.com',
      APIG_SERVICE: 'apig',
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID,
      LOG_LEVEL: 'debug',
      WATCH_NAMESPACES: 'web,shop',
      WATCH_CLUSTER_PROVIDERS: 'true',
      CLUSTER_RESOURCE_NAMESPACE: 'platform',
      RESYNC_PERIOD: '2h',
      WATCH_INACTIVITY_TIMEOUT: '3m',
      APIG_TIMEOUT: '20s',
      APIG_RATE_LIMIT: '2.5',
      APIG_RATE_BURST: '10',
      RECONCILE_CONCURRENCY: '8',
    });
    const leaderRole = objects.get(
      `Role/${namespace}/apig-everything-leader-election`,
    ) as unknown as { rules: { resourceNames?: string[] }[] };
    expect(leaderRole.rules[1]!.resourceNames).toEqual(['apig-everything-leader']);
    for (const object of objects.values()) {
      expect(object.metadata.labels?.team).toBe('platform');
    }
  });
});

describe('the environment the chart gives the operator', () => {
  /**
   * loadConfig as a pod of this render would run it, with the chart-made
   * Secret (or, keyless, the projected token) and the CA Secret mounted.
   */
  function podConfig(
    values: Record<string, unknown>,
    { caPem, idToken }: { caPem?: string; idToken?: string } = {},
  ) {
    // containerEnvironment looks the Deployment up by deploy/'s name.
    const objects = parseManifests(
      rendered(namespace, { ...values, fullnameOverride: 'apig-cert-operator' }),
    );
    const secret = values['credentials.data'] as Record<string, string>;
    const env = containerEnvironment(objects, { name: 'apig-cert-operator-x', namespace });
    const credentials =
      idToken === undefined
        ? mountedSecretReader(objects, values['credentials.secretName'] as string, secret)
        : projectedTokenReader(objects, idToken);
    // apigCA mounts its key as ca.crt.
    const ca =
      caPem === undefined
        ? undefined
        : mountedSecretReader(objects, values['apigCA.secretName'] as string, { 'ca.crt': caPem });
    return loadConfig(env, (path) =>
      ca && path === env.APIG_CA_FILE ? ca(path) : credentials(path),
    );
  }

  it('every value at once: loadConfig accepts each setting as set', async () => {
    const ca = await createCA({ commonName: 'Private APIG CA', key: { kind: 'EC' } });
    const config = podConfig(EVERYTHING, { caPem: ca.certPem });
    expect(config.apig).toMatchObject({
      projectId: PROJECT_ID,
      caPem: ca.certPem,
      rateLimit: { requestsPerSecond: 2.5, burst: 10 },
      timeoutMs: 20_000,
      credentials: { kind: 'aksk', accessKey: 'AKEXAMPLE', secretKey: 'sk-example' },
    });
    expect(config).toMatchObject({
      watchNamespaces: ['web', 'shop'],
      watchClusterProviders: true,
      clusterResourceNamespace: 'platform',
      logLevel: 'debug',
      resyncPeriodMs: 2 * 3_600_000,
      watchInactivityTimeoutMs: 3 * 60_000,
      reconcileConcurrency: 8,
      leaderElection: { enabled: true, leaseName: 'apig-everything-leader', namespace },
    });
  });

  it.each([
    {
      method: 'securityToken',
      data: {
        HUAWEICLOUD_SDK_AK: 'AK',
        HUAWEICLOUD_SDK_SK: 'SK',
        HUAWEICLOUD_SDK_SECURITY_TOKEN: 'T',
      },
      expected: { kind: 'aksk', securityToken: 'T' },
    },
    {
      method: 'iamPassword',
      data: {
        HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.myhuaweicloud.com',
        HUAWEICLOUD_DOMAIN_NAME: 'account',
        HUAWEICLOUD_USERNAME: 'user',
        HUAWEICLOUD_PASSWORD: 'password',
        HUAWEICLOUD_PROJECT_NAME: 'cn-north-4',
      },
      expected: { kind: 'iamPassword', username: 'user' },
    },
  ])('auth.method=$method reads its keys from the mounted Secret', ({ method, data, expected }) => {
    const config = podConfig({
      'auth.method': method,
      'config.projectId': PROJECT_ID,
      'credentials.secretName': 'apig-cert-operator-credentials',
      'credentials.create': true,
      'credentials.data': data,
    });
    expect(config.apig.credentials).toMatchObject(expected);
  });

  it('auth.method=keyless: the operator reads the projected ServiceAccount token where it is mounted', async () => {
    const idToken = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';
    const config = podConfig({ ...KEYLESS, 'config.projectId': PROJECT_ID }, { idToken });
    const credentials = config.apig.credentials;
    expect(credentials).toMatchObject({
      kind: 'workloadIdentity',
      iamEndpoint: 'https://iam.cn-north-4.myhuaweicloud.com',
      idpId: 'apig-cert-operator-idp',
      projectId: PROJECT_ID,
    });
    if (credentials.kind !== 'workloadIdentity') throw new Error('not keyless');
    // Read again at each exchange: the kubelet renews the file in place.
    await expect(credentials.idToken()).resolves.toBe(idToken);
  });

  it('namespaced: the operator watches the release namespace only', () => {
    const config = podConfig({
      ...AKSK_SECRET,
      namespaced: true,
      'config.watchNamespaces': ['ignored'],
    });
    expect(config.watchNamespaces).toEqual([namespace]);
  });

  it.each([
    { name: 'defaults (every namespace)', values: {}, watched: true },
    { name: 'namespaced', values: { namespaced: true }, watched: false },
    {
      name: 'config.watchNamespaces set',
      values: { 'config.watchNamespaces': ['web'] },
      watched: false,
    },
    {
      name: 'config.watchClusterProviders=false',
      values: { 'config.watchClusterProviders': false },
      watched: false,
    },
  ])(
    '$name: ClusterApigProviders watched: $watched; their Secrets read in the release namespace',
    ({ values, watched }) => {
      const config = podConfig({ ...AKSK_SECRET, ...values });
      expect(config.watchClusterProviders).toBe(watched);
      expect(config.clusterResourceNamespace).toBe(namespace);
    },
  );
});

describe('values.schema.json refuses a wrong value, naming it', () => {
  it.each([
    { values: { 'image.pullPolicy': 'Sometimes' }, names: '/image/pullPolicy' },
    { values: { 'config.apigService': 'apic' }, names: '/config/apigService' },
    { values: { 'config.logLevel': 'verbose' }, names: '/config/logLevel' },
    { values: { 'config.resyncPeriod': '10 hours' }, names: '/config/resyncPeriod' },
    { values: { 'config.apigRateLimit': 0 }, names: '/config/apigRateLimit' },
    { values: { 'config.reconcileConcurrency': 500 }, names: '/config/reconcileConcurrency' },
    { values: { 'auth.method': 'oidc' }, names: '/auth/method' },
    { values: { 'auth.method': 'keyless' }, names: '/auth/keyless/idpId' },
    {
      values: {
        'auth.method': 'keyless',
        'auth.keyless.idpId': 'idp',
        'auth.keyless.iamEndpoint': 'https://iam.cn-north-4.myhuaweicloud.com',
        'auth.keyless.audience': 'client',
        'credentials.create': true,
        'credentials.data': { HUAWEICLOUD_SDK_AK: 'AK' },
      },
      names: '/credentials/create',
    },
    { values: { 'auth.keyless.expirationSeconds': 60 }, names: '/auth/keyless/expirationSeconds' },
    {
      values: { 'auth.keyless.iamEndpoint': 'iam.example.com' },
      names: '/auth/keyless/iamEndpoint',
    },
    {
      values: { 'apigCA.configMapName': 'ca', 'apigCA.secretName': 'ca' },
      names: '/apigCA/secretName',
    },
    { values: { 'apigCA.key': 'ca/crt' }, names: '/apigCA/key' },
    { values: { 'config.driftCheckInterval': '1 hour' }, names: '/config/driftCheckInterval' },
    { values: { 'config.dryRun': 'yes' }, names: '/config/dryRun' },
    {
      values: { 'config.watchClusterProviders': 'yes' },
      names: '/config/watchClusterProviders',
    },
    {
      values: { namespaced: true, 'config.watchClusterProviders': true },
      names: '/config/watchClusterProviders',
    },
    {
      values: { 'config.clusterResourceNamespace': 'Platform_Ops' },
      names: '/config/clusterResourceNamespace',
    },
    { values: { rollOnConfigChange: 'true' }, names: '/rollOnConfigChange' },
    { values: { extraEnv: [{ value: 'x' }] }, names: '/extraEnv/0' },
    { values: { extraVolumes: [{ emptyDir: {} }] }, names: '/extraVolumes/0' },
    {
      values: { extraVolumeMounts: [{ name: 'x', mountPath: 'tmp' }] },
      names: '/extraVolumeMounts/0/mountPath',
    },
    { values: { 'image.digest': 'sha256:short' }, names: '/image/digest' },
    { values: { replicaCount: 2 }, names: 'replicaCount' },
    { values: { replicas: 2, 'leaderElection.enabled': false }, names: '/replicas' },
  ])('$names', ({ values, names }) => {
    const result = template(namespace, values);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(names);
  });

  // Server-side apply would refuse the duplicate too, without naming the value.
  it.each([
    {
      values: {
        extraEnv: [
          { name: 'TZ', value: 'UTC' },
          { name: 'HTTP_PORT', value: '9090' },
        ],
      },
      names: 'extraEnv[1].name "HTTP_PORT" is set by the chart already',
    },
    {
      values: { 'apigCA.configMapName': 'ca', extraEnv: [{ name: 'APIG_CA_FILE', value: '/x' }] },
      names: 'extraEnv[0].name "APIG_CA_FILE" is set by the chart already',
    },
    {
      values: { extraVolumes: [{ name: 'credentials', emptyDir: {} }] },
      names: 'extraVolumes[0].name "credentials" is set by the chart already',
    },
    {
      values: {
        extraVolumeMounts: [{ name: 'x', mountPath: '/etc/apig-cert-operator/credentials' }],
      },
      names:
        'extraVolumeMounts[0].mountPath "/etc/apig-cert-operator/credentials" is set by the chart already',
    },
  ])("an extra entry that collides with the chart's is refused: $names", ({ values, names }) => {
    const result = template(namespace, values);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(names);
  });

  it('a chart-made Secret without data is refused by name', () => {
    const result = template(namespace, { 'credentials.create': true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('credentials.create is true but credentials.data is empty');
  });
});

/** Dotted paths of the schema's leaves: what the README's table must list. */
function schemaLeaves(schema: Record<string, unknown>, prefix = ''): string[] {
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!properties) return [prefix];
  return Object.entries(properties).flatMap(([name, child]) =>
    schemaLeaves(child, prefix ? `${prefix}.${name}` : name),
  );
}

describe("README's Helm values table", () => {
  it('lists exactly the values of values.schema.json', () => {
    const schema = JSON.parse(
      readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    const readme = readFileSync(join(REPO_DIR, 'README.md'), 'utf8');
    const section = readme.split('\n### Helm values\n')[1]?.split('\n#')[0];
    if (!section) throw new Error('README.md has no "### Helm values" section');
    const documented = [...section.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(schemaLeaves(schema).sort());
  });
});
