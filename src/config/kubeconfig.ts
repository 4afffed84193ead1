// Where the operator finds its Kubernetes API server: client-node's own search
// (KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount), with a bad
// or missing file reported as a ConfigError naming KUBECONFIG instead of a
// stack trace. The reason never quotes the file: a kubeconfig holds tokens.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from './env.ts';

/** Reads `process.env.KUBECONFIG`, as `loadFromDefault` itself does. */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  const path = process.env.KUBECONFIG;
  const source = path ? `KUBECONFIG (${path})` : 'the kubeconfig';
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    throw new ConfigError(`${source}: cannot be loaded: ${reasonOf(error)}`, ['KUBECONFIG']);
  }
  if (!kubeConfig.getCurrentCluster()) {
    const context = kubeConfig.getCurrentContext();
    throw new ConfigError(
      `${source}: no cluster for the current context ${context ? JSON.stringify(context) : '(none set)'}`,
      ['KUBECONFIG'],
    );
  }
  return kubeConfig;
}

/** A file-system code (ENOENT, EACCES, EISDIR) as it is; anything else is the file's content. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `${code} reading the file`;
  return 'not a valid kubeconfig (YAML with clusters, users and contexts)';
}
