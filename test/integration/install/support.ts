// Shared by the install tests: kubectl with stdin and stderr, kustomize
// builds of deploy/ (with components, or moved to another namespace), the
// rendered objects, ServiceAccount kubeconfigs from the TokenRequest API, and
// the RBAC rules a build grants.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CoreV1Api, loadAllYaml } from '@kubernetes/client-node';
import { kubectlPath, testKubeConfig, testKubeconfigPath } from '../../support/kube.ts';

export const REPO_DIR = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '');
export const DEPLOY_DIR = join(REPO_DIR, 'deploy');
export const CRDS_DIR = join(REPO_DIR, 'crds');
/** The namespace deploy/ installs into. */
export const OPERATOR_NAMESPACE = 'apig-cert-operator';
export const SERVICE_ACCOUNT = 'apig-cert-operator';
export const LEASE_NAME = 'apig-cert-operator-leader';

/** Kustomizations and kubeconfigs one test file writes; see removeScratch. */
const scratch = mkdtempSync(join(tmpdir(), 'apig-install-'));

/** Call in afterAll: removes what this test file wrote. */
export function removeScratch(): void {
  rmSync(scratch, { recursive: true, force: true });
}

export interface KubectlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** kubectl as admin against the test control plane; never throws. */
export function runKubectl(args: readonly string[], input?: string): KubectlResult {
  const result = spawnSync(kubectlPath(), ['--kubeconfig', testKubeconfigPath(), ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** kubectl as admin; throws with kubectl's own stderr when it fails. */
export function kubectlOk(args: readonly string[], input?: string): KubectlResult {
  const result = runKubectl(args, input);
  if (result.status !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return result;
}

/** `kubectl kustomize DIR`: kubectl's built-in kustomize, as `kubectl apply -k` runs it. */
export function kustomize(dir: string): string {
  return kubectlOk(['kustomize', dir]).stdout;
}

export interface Composition {
  /** Folders under deploy/, e.g. '' (deploy/ itself) or 'namespaced'. */
  resources: string[];
  /** Folders under deploy/components/. */
  components?: string[];
  /** Moves everything, RoleBinding subjects included, as deploy/namespaced documents. */
  namespace?: string;
}

/**
 * Builds a kustomization of the user's own that composes deploy/ folders and
 * components, the way the comments in deploy/ tell users to.
 */
export function kustomizeComposition(composition: Composition): string {
  const dir = mkdtempSync(join(scratch, 'kustomization-'));
  // kustomize takes only relative paths to other kustomizations.
  const path = (folder: string): string => relative(dir, join(DEPLOY_DIR, folder)) || '.';
  const lines = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    ...composition.resources.map((folder) => `  - ${path(folder)}`),
  ];
  if (composition.components?.length) {
    lines.push('components:');
    lines.push(...composition.components.map((name) => `  - ${path(`components/${name}`)}`));
  }
  if (composition.namespace !== undefined) {
    lines.push(
      'transformers:',
      '  - |-',
      '    apiVersion: builtin',
      '    kind: NamespaceTransformer',
      '    metadata:',
      '      name: namespace',
      `      namespace: ${composition.namespace}`,
      '    setRoleBindingSubjects: allServiceAccounts',
    );
  }
  writeFileSync(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
  return kustomize(dir);
}

/** A rendered object, loosely typed: tests read the fields they check. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function parseManifests(yaml: string): ManifestObject[] {
  return (loadAllYaml(yaml) as (ManifestObject | null)[]).filter(
    (object): object is ManifestObject => object !== null,
  );
}

export function findObject<T = ManifestObject>(
  objects: readonly ManifestObject[],
  kind: string,
  name?: string,
): T {
  const found = objects.find(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the build`);
  return found as T;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** One permission: `verb group/resource[/subresource]`, e.g. `patch apig.certsync.io/apigcertificates/status`. */
export function permission(verb: string, group: string, resource: string): string {
  return `${verb} ${group}/${resource}`;
}

/** Every permission the ClusterRoles and Roles of a build grant, with the names they are limited to. */
export function grantedPermissions(
  objects: readonly ManifestObject[],
): Map<string, { kind: string; namespace?: string; resourceNames?: string[] }> {
  const granted = new Map<string, { kind: string; namespace?: string; resourceNames?: string[] }>();
  for (const object of objects) {
    if (object.kind !== 'ClusterRole' && object.kind !== 'Role') continue;
    for (const rule of (object.rules as PolicyRule[] | undefined) ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) {
            granted.set(permission(verb, group, resource), {
              kind: object.kind,
              namespace: object.metadata.namespace,
              resourceNames: rule.resourceNames,
            });
          }
        }
      }
    }
  }
  return granted;
}

/** Applies crds/ and deploy/ for real (server-side, so concurrent test files do not collide). */
export function installDeploy(): KubectlResult {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRDS_DIR]);
  let last: Error | undefined;
  // Two files creating the same Namespace at once: one may see AlreadyExists.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return kubectlOk(['apply', '--server-side', '--force-conflicts', '-k', DEPLOY_DIR]);
    } catch (error) {
      last = error as Error;
    }
  }
  throw last ?? new Error('unreachable');
}

/**
 * A kubeconfig file that authenticates as a ServiceAccount, with a token
 * from the TokenRequest API: the operator run with it has exactly the RBAC
 * bound to that ServiceAccount. `server` replaces the API server's address
 * (a proxy in front of it).
 */
export async function serviceAccountKubeconfig(
  namespace: string,
  name: string,
  server?: string,
): Promise<string> {
  const admin = testKubeConfig();
  const tokenRequest = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tokenRequest.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no cluster');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        // client-node refuses plain http unless told it is intended.
        cluster: server
          ? { server, 'insecure-skip-tls-verify': true }
          : { server: cluster.server, 'certificate-authority-data': cluster.caData },
      },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'test', user: name } }],
    'current-context': name,
  };
  const dir = mkdtempSync(join(scratch, 'kubeconfig-'));
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

interface Deployment {
  spec: {
    template: {
      spec: {
        containers: Container[];
        volumes?: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
}

function operatorContainer(objects: readonly ManifestObject[]): {
  deployment: Deployment;
  container: Container;
} {
  const deployment = findObject<Deployment>(objects, 'Deployment', 'apig-cert-operator');
  const container = deployment.spec.template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return { deployment, container };
}

/**
 * The environment the kubelet would give the operator container of a build:
 * the ConfigMaps of envFrom, then each env entry in order (env wins), with
 * `$(VAR)` references to earlier variables expanded and the downward API
 * fields metadata.name and metadata.namespace filled in.
 */
export function containerEnvironment(
  objects: readonly ManifestObject[],
  pod: { name: string; namespace: string },
): Record<string, string> {
  const { container } = operatorContainer(objects);
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name === undefined) throw new Error('only configMapRef sources are modelled');
    const configMap = findObject(objects, 'ConfigMap', name);
    Object.assign(env, (configMap.data as Record<string, string> | undefined) ?? {});
  }
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
  };
  for (const variable of container.env ?? []) {
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath !== undefined) {
      const value = fields[fieldPath];
      if (value === undefined) throw new Error(`field ${fieldPath} is not modelled`);
      env[variable.name] = value;
    } else {
      env[variable.name] = (variable.value ?? '').replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (reference, name: string) => env[name] ?? reference,
      );
    }
  }
  return env;
}

/**
 * A file reader that sees the credentials Secret as the kubelet mounts it in
 * the operator container (every key a file, no items list); every other path
 * is missing. For `loadConfig(env, readFile)`.
 */
export function mountedSecretReader(
  objects: readonly ManifestObject[],
  secretName: string,
  data: Record<string, string>,
): (path: string) => string {
  const { deployment, container } = operatorContainer(objects);
  const volume = deployment.spec.template.spec.volumes?.find(
    (v) => v.secret?.secretName === secretName,
  );
  const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
  if (!volume || !mount) throw new Error(`Secret ${secretName} is not mounted`);
  return (path) => {
    const prefix = `${mount.mountPath.replace(/\/$/, '')}/`;
    const key = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const content = key === undefined ? undefined : data[key];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    }
    return content;
  };
}
