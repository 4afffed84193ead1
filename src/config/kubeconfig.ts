// Where the operator finds its Kubernetes API server: client-node's own search
// (KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount), with a bad
// or missing file reported as a ConfigError naming KUBECONFIG instead of a
// stack trace. The reason never quotes the file: a kubeconfig holds tokens.
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
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
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    const context = kubeConfig.getCurrentContext();
    throw new ConfigError(
      `${source}: no cluster for the current context ${context ? JSON.stringify(context) : '(none set)'}`,
      ['KUBECONFIG'],
    );
  }
  if (!path && isNothingFound(cluster)) {
    throw new ConfigError(
      'no kubeconfig found: set KUBECONFIG, write ~/.kube/config, or run in a Pod with a ServiceAccount token',
      ['KUBECONFIG'],
    );
  }
  // client-node refuses every request to such a server: say so once, at start.
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new ConfigError(
      `${source}: cluster ${JSON.stringify(cluster.name)} has a plain-HTTP server (${cluster.server}), which the Kubernetes client refuses unless insecure-skip-tls-verify is set`,
      ['KUBECONFIG'],
    );
  }
  return kubeConfig;
}

/** What `loadFromDefault` falls back to when it finds no file and no ServiceAccount. */
function isNothingFound(cluster: Cluster): boolean {
  return cluster.name === 'cluster' && cluster.server === 'http://localhost:8080';
}

/** A file-system code (ENOENT, EACCES, EISDIR) as it is; anything else is the file's content. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `${code} reading the file`;
  return 'not a valid kubeconfig (YAML with clusters, users and contexts)';
}
