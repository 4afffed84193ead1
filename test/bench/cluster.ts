// The control plane the benchmark runs against: the one `npm run dev:cluster`
// keeps up, or a private one kept by the control-plane daemon (which removes
// itself when this process goes away, even after SIGKILL: its stdin closes).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { isKubeApiError, KubeClient } from '../../src/kube/kube-client.ts';
import { SECRETS, collectionPath, objectPath } from '../../src/kube/resources.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
  type ApigCertificateSpec,
} from '../../src/api/v1alpha1.ts';
import type { ControlPlaneInfo } from '../support/control-plane/control-plane.ts';
import { runningDevCluster } from '../support/control-plane/dev-cluster.ts';

const run = promisify(execFile);
const EVENTS = { group: '', version: 'v1', plural: 'events' };
const DAEMON = new URL('../support/control-plane/daemon.ts', import.meta.url).pathname;
const CRDS = new URL('../../crds/', import.meta.url).pathname;

export interface BenchCluster {
  info: ControlPlaneInfo;
  /** True when `npm run dev:cluster` was reused rather than started here. */
  reused: boolean;
  /** Admin access with one pooled connection set (client-node's API classes open one per call). */
  kube: KubeClient;
  stop(): Promise<void>;
}

async function startPrivateControlPlane(): Promise<{
  info: ControlPlaneInfo;
  daemon: ChildProcess;
}> {
  const daemon = spawn(process.execPath, [DAEMON, '--json'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const info = await new Promise<ControlPlaneInfo>((resolve, reject) => {
    const lines = createInterface({ input: daemon.stdout });
    lines.once('line', (line) => {
      lines.close();
      try {
        resolve(JSON.parse(line) as ControlPlaneInfo);
      } catch (error) {
        reject(new Error(`control-plane daemon said: ${line}`, { cause: error }));
      }
    });
    daemon.once('exit', (code) =>
      reject(new Error(`control-plane daemon exited (${code}) before the control plane was up`)),
    );
  });
  daemon.removeAllListeners('exit');
  daemon.stdout.destroy();
  return { info, daemon };
}

export async function acquireCluster(): Promise<BenchCluster> {
  const dev = runningDevCluster();
  let info: ControlPlaneInfo;
  let daemon: ChildProcess | undefined;
  if (dev) {
    info = dev;
  } else {
    ({ info, daemon } = await startPrivateControlPlane());
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(info.kubeconfig);
  const kube = new KubeClient(kubeConfig);
  await run(info.kubectl, [
    '--kubeconfig',
    info.kubeconfig,
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    CRDS,
  ]);
  await run(info.kubectl, [
    '--kubeconfig',
    info.kubeconfig,
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/apigcertificates.apig.certsync.io',
  ]);
  return {
    info,
    reused: daemon === undefined,
    kube,
    async stop() {
      await kube.close();
      if (!daemon || daemon.exitCode !== null) return;
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    },
  };
}

export async function createNamespace(kube: KubeClient, name: string): Promise<void> {
  await kube.json({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
}

export interface SecretBody {
  name: string;
  type: string;
  data: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function secretObject(namespace: string, secret: SecretBody): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secret.name,
      namespace,
      labels: secret.labels,
      annotations: secret.annotations,
    },
    type: secret.type,
    data: secret.data,
  };
}

export async function createSecret(
  kube: KubeClient,
  namespace: string,
  secret: SecretBody,
): Promise<void> {
  await kube.json({
    method: 'POST',
    path: collectionPath(SECRETS, namespace),
    body: secretObject(namespace, secret),
  });
}

/** An unconditional replace (no resourceVersion), as a renewal rewrites the whole Secret. */
export async function replaceSecret(
  kube: KubeClient,
  namespace: string,
  secret: SecretBody,
): Promise<void> {
  await kube.json({
    method: 'PUT',
    path: objectPath(SECRETS, namespace, secret.name),
    body: secretObject(namespace, secret),
  });
}

export async function createApigCertificate(
  kube: KubeClient,
  namespace: string,
  name: string,
  spec: ApigCertificateSpec,
): Promise<void> {
  await kube.json({
    method: 'POST',
    path: collectionPath(APIG_CERTIFICATE_RESOURCE, namespace),
    body: {
      apiVersion: API_VERSION,
      kind: APIG_CERTIFICATE_KIND,
      metadata: { name, namespace },
      spec,
    },
  });
}

/** Deletes every Secret in `namespace` matching `labelSelector` in one call. */
export async function deleteSecrets(
  kube: KubeClient,
  namespace: string,
  labelSelector: string,
): Promise<void> {
  await kube.json({
    method: 'DELETE',
    path: collectionPath(SECRETS, namespace),
    query: { labelSelector },
  });
}

/**
 * Removes what a fleet left behind (a bare apiserver has no namespace
 * controller, so the namespace itself stays, empty).
 */
export async function emptyNamespace(kube: KubeClient, namespace: string): Promise<void> {
  for (const resource of [APIG_CERTIFICATE_RESOURCE, SECRETS, EVENTS]) {
    try {
      await kube.json({ method: 'DELETE', path: collectionPath(resource, namespace) });
    } catch (error) {
      if (!isKubeApiError(error, 404)) throw error;
    }
  }
}
