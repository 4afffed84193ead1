// Proof that the harness is a real control plane: storage, CRDs through
// kubectl, and RBAC enforced for a ServiceAccount token from the TokenRequest API.
import {
  ApiException,
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import {
  createTestNamespace,
  installCrds,
  kubectl,
  kubeVersion,
  testKubeConfig,
} from '../support/kube.ts';

const kubeConfig = testKubeConfig();
const core = kubeConfig.makeApiClient(CoreV1Api);
let namespace: string;

beforeAll(async () => {
  namespace = await createTestNamespace('harness');
});

/** A KubeConfig that authenticates with a ServiceAccount token instead of the admin token. */
async function serviceAccountKubeConfig(name: string): Promise<KubeConfig> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const tokenRequest = await kubeConfig
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
  const token = tokenRequest.status!.token;
  const cluster = kubeConfig.getCurrentCluster()!;
  const restricted = new KubeConfig();
  restricted.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  });
  return restricted;
}

describe('test control plane', () => {
  it('is a kube-apiserver of the pinned release, as kubectl reports too', () => {
    expect(kubeVersion()).toMatch(/^v1\.\d+\.\d+/);
    const version = JSON.parse(kubectl('version', '-o', 'json')) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(kubeVersion());
    expect(version.clientVersion.gitVersion).toBe(kubeVersion());
  });

  it('stores and returns a TLS Secret', async () => {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'tls-demo' },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': Buffer.from('crt').toString('base64'),
          'tls.key': Buffer.from('key').toString('base64'),
        },
      },
    });
    const read = await core.readNamespacedSecret({ name: 'tls-demo', namespace });
    expect(read.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(read.data!['tls.crt']!, 'base64').toString()).toBe('crt');
  });

  it('installs the CRDs from crds/ with kubectl and serves the new kinds', () => {
    installCrds();
    const resources = kubectl('api-resources', '--api-group=apig.certsync.io', '-o', 'name');
    expect(resources.trim().split('\n').sort()).toEqual([
      'apigcertificates.apig.certsync.io',
      'apigproviders.apig.certsync.io',
      'clusterapigproviders.apig.certsync.io',
    ]);
  });

  it('enforces RBAC: a token without permissions is refused until a Role grants them', async () => {
    const restricted = (await serviceAccountKubeConfig('nobody')).makeApiClient(CoreV1Api);
    const refused = await restricted.listNamespacedSecret({ namespace }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(403);

    const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'read-secrets' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'nobody-reads-secrets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace }],
      },
    });
    const allowed = await restricted.listNamespacedSecret({ namespace });
    expect(allowed.items.map((s) => s.metadata?.name)).toContain('tls-demo');
    // Still nothing beyond what was granted.
    const stillRefused = await restricted
      .deleteNamespacedSecret({ name: 'tls-demo', namespace })
      .catch((e: unknown) => e);
    expect((stillRefused as ApiException<unknown>).code).toBe(403);
  });

  it('validates tokens: TokenReview accepts the ServiceAccount token it issued', async () => {
    const saConfig = await serviceAccountKubeConfig('reviewed');
    const token = saConfig.getCurrentUser()!.token!;
    const review = await kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({
      body: { spec: { token } },
    });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${namespace}:reviewed`);
  });
});
