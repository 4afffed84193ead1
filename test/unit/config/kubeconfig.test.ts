import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../../src/config/kubeconfig.ts';

const VALID = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: secret-token-value}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`;

describe('loadKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
  const saved = process.env.KUBECONFIG;
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });

  function file(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it('loads a valid kubeconfig named by KUBECONFIG', () => {
    process.env.KUBECONFIG = file('valid.yaml', VALID);
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it.each([
    [
      'a missing file',
      () => join(dir, 'missing.yaml'),
      /KUBECONFIG \(.*missing\.yaml\): cannot be loaded: ENOENT/,
    ],
    ['a directory', () => dir, /cannot be loaded: EISDIR/],
    [
      'no current context',
      () => file('no-context.yaml', VALID.replace('current-context: ctx\n', '')),
      /no cluster for the current context \(none set\)/,
    ],
    [
      'a plain-HTTP server',
      () => file('http.yaml', VALID.replace('https://127.0.0.1:6443', 'http://127.0.0.1:8080')),
      /cluster "c" has a plain-HTTP server \(http:\/\/127\.0\.0\.1:8080\), which the Kubernetes client refuses/,
    ],
    [
      'a context naming no cluster',
      () => file('dangling.yaml', VALID.replace('cluster: c, user', 'cluster: gone, user')),
      /no cluster for the current context "ctx"/,
    ],
  ])('%s: a config error naming KUBECONFIG, without the file’s content', (_, path, message) => {
    process.env.KUBECONFIG = path();
    let thrown: unknown;
    try {
      loadKubeConfig();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ kind: 'config', variables: ['KUBECONFIG'] });
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('secret-token-value');
  });

  it('loads a plain-HTTP server marked insecure-skip-tls-verify, as client-node allows it', () => {
    process.env.KUBECONFIG = file(
      'http-insecure.yaml',
      VALID.replace(
        'server: "https://127.0.0.1:6443"',
        'server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true',
      ),
    );
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('http://127.0.0.1:8080');
  });

  it('says where it looked when there is no KUBECONFIG, no ~/.kube/config and no ServiceAccount', () => {
    const home = process.env.HOME;
    delete process.env.KUBECONFIG;
    process.env.HOME = mkdtempSync(join(dir, 'home-'));
    try {
      expect(() => loadKubeConfig()).toThrow(
        /no kubeconfig found: set KUBECONFIG, write ~\/\.kube\/config, or run in a Pod/,
      );
    } finally {
      process.env.HOME = home;
    }
  });
});
