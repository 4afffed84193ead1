// Every manifest users install is accepted by kube-apiserver: crds/ and
// deploy/ applied for real, and the namespaced install, each component and
// each example as a strict server-side dry run (CRDs we do not ship get
// stand-ins from stand-in-crds/). kustomize is kubectl's own, as
// `kubectl apply -k` runs it. The container environment each build gives the
// operator is checked against src/config/ (loadConfig), and the alert rules
// against the metrics the operator exports.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { createTestNamespace } from '../../support/kube.ts';
import {
  DEPLOY_DIR,
  OPERATOR_NAMESPACE,
  containerEnvironment,
  findObject,
  installDeploy,
  kubectlOk,
  kustomize,
  kustomizeComposition,
  mountedSecretReader,
  parseManifests,
  removeScratch,
  runKubectl,
  type KubectlResult,
  type ManifestObject,
} from './support.ts';

const STAND_IN_CRDS = new URL('./stand-in-crds/', import.meta.url).pathname;
const EXAMPLES_DIR = join(DEPLOY_DIR, 'examples');
const CREDENTIALS_SECRET = 'apig-cert-operator-credentials';
const POD = { name: 'apig-cert-operator-7d9f8-x2x4z', namespace: OPERATOR_NAMESPACE };
const PROJECT_ID = '0123456789abcdef0123456789abcdef';

let namespace: string;
let applied: KubectlResult;

beforeAll(async () => {
  applied = installDeploy();
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', STAND_IN_CRDS]);
  kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
    'crd/certificates.cert-manager.io',
  ]);
  namespace = await createTestNamespace('install-manifests');
});

afterAll(removeScratch);

/** A strict server-side dry run of YAML text; kubectl's result, whatever it is. */
function dryRun(yaml: string): KubectlResult {
  return runKubectl(['apply', '--dry-run=server', '--server-side', '-f', '-'], yaml);
}

function expectAccepted(result: KubectlResult): void {
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

/** The operator's configuration as a pod of this build would load it. */
function podConfig(objects: ManifestObject[], secret: Record<string, string>) {
  const env = containerEnvironment(objects, POD);
  return loadConfig(
    { ...env, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID },
    mountedSecretReader(objects, CREDENTIALS_SECRET, secret),
  );
}

const AKSK = { HUAWEICLOUD_SDK_AK: 'AKEXAMPLE0123456789', HUAWEICLOUD_SDK_SK: 'sk-example\n' };

describe('deploy/, the cluster-wide install', () => {
  const objects = () => parseManifests(kustomize(DEPLOY_DIR));

  it('builds with kubectl kustomize into the objects of an install, namespaced ones in apig-cert-operator', () => {
    const built = objects();
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/apig-cert-operator',
        'ClusterRoleBinding/apig-cert-operator',
        'ConfigMap/apig-cert-operator-config',
        'Deployment/apig-cert-operator',
        'Namespace/apig-cert-operator',
        'PodDisruptionBudget/apig-cert-operator',
        'Role/apig-cert-operator-leader-election',
        'RoleBinding/apig-cert-operator-leader-election',
        'Service/apig-cert-operator-metrics',
        'ServiceAccount/apig-cert-operator',
      ].sort(),
    );
    const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'];
    for (const object of built) {
      expect(object.metadata.namespace).toBe(
        clusterScoped.includes(object.kind) ? undefined : OPERATOR_NAMESPACE,
      );
      expect(object.metadata.labels?.['app.kubernetes.io/name']).toBe('apig-cert-operator');
    }
  });

  it('is accepted by kube-apiserver as applied for real (with crds/), without a warning', () => {
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('deployment.apps/apig-cert-operator serverside-applied');
    expect(
      kubectlOk(['get', 'deployment', '-n', OPERATOR_NAMESPACE, 'apig-cert-operator', '-o', 'name'])
        .stdout,
    ).toBe('deployment.apps/apig-cert-operator\n');
  });

  it('runs pods the namespace admits under the restricted Pod Security Standard', () => {
    const deployment = findObject<{ spec: { template: { metadata: unknown; spec: unknown } } }>(
      objects(),
      'Deployment',
    );
    const labels = kubectlOk([
      'get',
      'namespace',
      OPERATOR_NAMESPACE,
      '-o',
      'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}',
    ]).stdout;
    expect(labels).toBe('restricted');
    // A Deployment only draws warnings; a Pod is refused outright.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-security-check', namespace: OPERATOR_NAMESPACE },
      spec: deployment.spec.template.spec,
    };
    expectAccepted(runKubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod)));
    const privileged = structuredClone(pod) as typeof pod & {
      spec: { containers: { securityContext: Record<string, unknown> }[] };
    };
    privileged.spec.containers[0]!.securityContext.allowPrivilegeEscalation = true;
    const refused = runKubectl(
      ['create', '--dry-run=server', '-f', '-'],
      JSON.stringify(privileged),
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it('gives the operator an environment config.ts accepts: AK/SK from the mounted Secret', () => {
    const built = objects();
    const config = podConfig(built, AKSK);
    expect(config.apig.credentials).toEqual({
      kind: 'aksk',
      accessKey: 'AKEXAMPLE0123456789',
      secretKey: 'sk-example',
    });
    expect(config.apig).toMatchObject({
      endpoint: 'https://apig.cn-north-4.myhuaweicloud.com',
      service: 'apig',
      projectId: PROJECT_ID,
    });
    expect(config.watchNamespaces).toEqual([]);
    expect(config.leaderElection).toMatchObject({
      enabled: true,
      namespace: OPERATOR_NAMESPACE,
      leaseName: 'apig-cert-operator-leader',
      identity: POD.name,
    });
    expect(config.http.port).toBe(8080);
  });

  it('ships a project ID placeholder that stops the operator until it is replaced', () => {
    const built = objects();
    const env = containerEnvironment(built, POD);
    const load = () => loadConfig(env, mountedSecretReader(built, CREDENTIALS_SECRET, AKSK));
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^HUAWEICLOUD_SDK_PROJECT_ID: "<project-id>" is not a project ID/);
  });

  it('stops the operator with a message naming the file when the Secret lacks a key', () => {
    const built = objects();
    const env = { ...containerEnvironment(built, POD), HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID };
    const reader = mountedSecretReader(built, CREDENTIALS_SECRET, {
      HUAWEICLOUD_SDK_AK: 'AKEXAMPLE0123456789',
    });
    expect(() => loadConfig(env, reader)).toThrow(
      /^HUAWEICLOUD_SDK_SK_FILE: cannot read ".*\/HUAWEICLOUD_SDK_SK" \(ENOENT\)/,
    );
  });
});

describe('the namespaced install (deploy/namespaced, moved to a namespace of your own)', () => {
  const objects = () =>
    parseManifests(kustomizeComposition({ resources: ['namespaced'], namespace }));

  it('has no cluster-scoped object, and binds its Roles to the ServiceAccount in that namespace', () => {
    const built = objects();
    expect(built.map((o) => o.kind)).not.toContain('ClusterRole');
    expect(built.map((o) => o.kind)).not.toContain('ClusterRoleBinding');
    expect(built.map((o) => o.kind)).not.toContain('Namespace');
    for (const object of built) expect(object.metadata.namespace).toBe(namespace);
    const bindings = built.filter((o) => o.kind === 'RoleBinding');
    expect(bindings).toHaveLength(2);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'apig-cert-operator', namespace },
      ]);
    }
  });

  it('watches only the pod namespace, whatever the ConfigMap says', () => {
    const config = podConfig(objects(), AKSK);
    expect(config.watchNamespaces).toEqual([OPERATOR_NAMESPACE]);
    expect(config.leaderElection.namespace).toBe(OPERATOR_NAMESPACE);
  });

  it('is accepted by kube-apiserver', () => {
    expectAccepted(dryRun(kustomizeComposition({ resources: ['namespaced'], namespace })));
  });
});

describe('components', () => {
  const build = (component: string) =>
    kustomizeComposition({ resources: [''], components: [component] });

  it.each(['prometheus', 'network-policy', 'iam-password', 'security-token', 'roma-connect'])(
    '%s is accepted by kube-apiserver on top of deploy/',
    (component) => {
      expectAccepted(dryRun(build(component)));
    },
  );

  it('iam-password: the operator authenticates with the IAM password from the Secret', () => {
    const config = podConfig(parseManifests(build('iam-password')), {
      HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.myhuaweicloud.com',
      HUAWEICLOUD_DOMAIN_NAME: 'example-account',
      HUAWEICLOUD_USERNAME: 'apig-sync',
      HUAWEICLOUD_PASSWORD: 'correct horse battery staple',
      HUAWEICLOUD_PROJECT_NAME: 'cn-north-4',
    });
    expect(config.apig.credentials).toEqual({
      kind: 'iamPassword',
      iamEndpoint: 'https://iam.myhuaweicloud.com',
      domainName: 'example-account',
      username: 'apig-sync',
      password: 'correct horse battery staple',
      projectName: 'cn-north-4',
    });
  });

  it('security-token: temporary AK/SK with their security token', () => {
    const config = podConfig(parseManifests(build('security-token')), {
      ...AKSK,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'token-example',
    });
    expect(config.apig.credentials).toMatchObject({ kind: 'aksk', securityToken: 'token-example' });
  });

  it('roma-connect: the ROMA Connect service and endpoint', () => {
    const config = podConfig(parseManifests(build('roma-connect')), AKSK);
    expect(config.apig).toMatchObject({
      service: 'roma',
      endpoint: 'https://roma.cn-north-4.myhuaweicloud.com',
    });
  });

  it('network-policy: selects the operator pods and admits the port the probes use', () => {
    const built = parseManifests(build('network-policy'));
    const policy = findObject<{
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { ports: { port: string | number }[] }[];
      };
    }>(built, 'NetworkPolicy');
    const deployment = findObject<{
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { ports: { name: string }[] }[] };
        };
      };
    }>(built, 'Deployment');
    expect(deployment.spec.template.metadata.labels).toMatchObject(
      policy.spec.podSelector.matchLabels,
    );
    const ports = deployment.spec.template.spec.containers[0]!.ports.map((p) => p.name);
    expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual(
      expect.arrayContaining(ports),
    );
  });

  describe('prometheus', () => {
    interface Rule {
      alert: string;
      expr: string;
      for: string;
    }
    const built = () => parseManifests(build('prometheus'));
    const rules = () =>
      findObject<{ spec: { groups: { rules: Rule[] }[] } }>(
        built(),
        'PrometheusRule',
      ).spec.groups.flatMap((group) => group.rules);
    const rule = (alert: string): Rule => {
      const found = rules().find((r) => r.alert === alert);
      if (!found) throw new Error(`no alert ${alert}`);
      return found;
    };

    /** Metric names the operator exports, as rendered by its own registry. */
    async function exportedMetrics(): Promise<{ names: Set<string>; text: string }> {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.setResourceState('shop', 'shop', {
        certificateId: 'cert-shop',
        ready: true,
        notAfter: new Date(),
      });
      await metrics.timeApigCall('updateCertificate', () => Promise.resolve());
      const text = await metrics.render();
      return { names: new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!)), text };
    }

    it('the ServiceMonitor scrapes the metrics Service by its labels and port name', () => {
      const objects = built();
      const monitor = findObject<{
        spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
      }>(objects, 'ServiceMonitor');
      const service = findObject<ManifestObject & { spec: { ports: { name: string }[] } }>(
        objects,
        'Service',
        'apig-cert-operator-metrics',
      );
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(service.spec.ports.map((p) => p.name)).toEqual(
        monitor.spec.endpoints.map((e) => e.port),
      );
    });

    it('alerts use only metrics the operator exports', async () => {
      const { names } = await exportedMetrics();
      const referenced = rules().flatMap((r) =>
        [...r.expr.matchAll(/\bapig_[a-z0-9_]+/g)].map((m) => m[0]),
      );
      expect(referenced.length).toBeGreaterThan(0);
      for (const metric of referenced) expect(names).toContain(metric);
    });

    it.each([
      ['ApigCertificateExpiringSoon', 'apig_certificate_not_after_seconds', '14 * 24 * 3600'],
      ['ApigCertificateNotReady', 'apig_certificate_ready', '== 0'],
      ['ApigCallsFailing', 'apig_cert_operator_apig_requests_total', 'outcome!="ok"'],
      ['ApigCertOperatorNoLeader', 'apig_cert_operator_leader', '< 1'],
    ])('%s is on %s (%s)', (alert, metric, condition) => {
      expect(rule(alert).expr).toContain(metric);
      expect(rule(alert).expr).toContain(condition);
    });

    it('fires not-Ready after 30 minutes, and "ok" is the outcome of a successful APIG call', async () => {
      expect(rule('ApigCertificateNotReady').for).toBe('30m');
      const { text } = await exportedMetrics();
      expect(text).toContain(
        'apig_cert_operator_apig_requests_total{operation="updateCertificate",outcome="ok",provider="environment"} 1',
      );
    });
  });
});

describe('deploy/examples', () => {
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'));

  it('has the examples users look for', () => {
    expect(files.sort()).toEqual([
      'cert-manager-certificate.yaml',
      'cluster-provider.yaml',
      'instance-certificate.yaml',
      'keyless-provider.yaml',
      'roma-connect.yaml',
      'sm2-certificate.yaml',
      'tenant-provider.yaml',
      'trusted-root-ca.yaml',
    ]);
  });

  it.each(files)('%s is accepted by kube-apiserver', (file) => {
    const path = join(EXAMPLES_DIR, file);
    expectAccepted(
      runKubectl(['apply', '--dry-run=server', '--server-side', '-n', namespace, '-f', path]),
    );
  });
});
