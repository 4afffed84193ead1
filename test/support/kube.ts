// What integration tests use to reach the control plane that Jest's global
// setup started (see control-plane/global-setup.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration tests through the 'integration' Jest project`,
    );
  }
  return value;
}

/** An admin (system:masters) KubeConfig for the test control plane. */
export function testKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(required('APIG_TEST_KUBECONFIG'));
  return kubeConfig;
}

export function testKubeconfigPath(): string {
  return required('APIG_TEST_KUBECONFIG');
}

export function kubeVersion(): string {
  return required('APIG_TEST_KUBE_VERSION');
}

export function kubectlPath(): string {
  return required('APIG_TEST_KUBECTL');
}

/**
 * A fresh namespace for one test file. It is not deleted: a bare apiserver has
 * no namespace controller to finish a deletion, and the whole control plane is
 * thrown away after the run.
 */
export async function createTestNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
  await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } });
  return name;
}

/** `kubectl` against the test control plane, as admin. */
export function kubectl(...args: string[]): string {
  return execFileSync(kubectlPath(), ['--kubeconfig', testKubeconfigPath(), ...args], {
    encoding: 'utf8',
  });
}

/** Applies crds/ (idempotent, safe from several test files at once) and waits until served. */
export function installCrds(): void {
  kubectl('apply', '--server-side', '--force-conflicts', '-f', CRDS_DIR);
  kubectl(
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/apigcertificates.apig.certsync.io',
    'crd/apigproviders.apig.certsync.io',
    'crd/clusterapigproviders.apig.certsync.io',
  );
}

const CRDS_DIR = new URL('../../crds/', import.meta.url).pathname;
