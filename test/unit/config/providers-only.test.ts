// loadOperatorConfig: with no APIG_ENDPOINT and no credential variable the
// operator serves providers only; anything half-configured is still an error.
// CLUSTER_RESOURCE_NAMESPACE and its default.
import {
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  loadConfig,
  loadOperatorConfig,
} from '../../../src/config/index.ts';
import { fakeFiles } from './fake-files.ts';

const load = (env: NodeJS.ProcessEnv, files: Record<string, string> = {}) =>
  loadOperatorConfig(env, fakeFiles(files));

describe('loadOperatorConfig', () => {
  it('without APIG_ENDPOINT and credentials has no environment APIG configuration, and says so', () => {
    const config = load({});
    expect(config.apig).toBeUndefined();
    expect(config.warnings.join('\n')).toContain('only ApigCertificates with spec.providerRef');
  });

  it.each([
    [
      'credentials without an endpoint',
      { HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: 'SK1' },
      'APIG_ENDPOINT',
    ],
    [
      'an endpoint without credentials',
      { APIG_ENDPOINT: 'https://apig.example.com' },
      'no APIG credentials',
    ],
    ['only a credential file', { HUAWEICLOUD_SDK_AK_FILE: '/run/ak' }, 'APIG_ENDPOINT'],
  ])('refuses %s', (_case, env, named) => {
    expect(() => load(env, { '/run/ak': 'AK1' })).toThrow(named);
  });

  it('reads the environment configuration as loadConfig does when it is there', () => {
    const env = { APIG_ENDPOINT: 'https://apig.example.com', APIG_AUTH_TOKEN: 'TOKEN-SECRET-1' };
    expect(load(env).apig).toEqual(loadConfig(env, fakeFiles({})).apig);
  });

  it('loadConfig still requires APIG_ENDPOINT', () => {
    expect(() => loadConfig({}, fakeFiles({}))).toThrow('APIG_ENDPOINT');
  });
});

describe('CLUSTER_RESOURCE_NAMESPACE', () => {
  it.each([
    ['outside a cluster, unset', {}, {}, undefined],
    ['set', { CLUSTER_RESOURCE_NAMESPACE: 'platform' }, {}, 'platform'],
    ['from POD_NAMESPACE', { POD_NAMESPACE: 'ops' }, {}, 'ops'],
    [
      'from the ServiceAccount namespace file',
      {},
      { [SERVICE_ACCOUNT_NAMESPACE_FILE]: 'apig-cert-operator\n' },
      'apig-cert-operator',
    ],
    [
      'set, over the pod namespace',
      { CLUSTER_RESOURCE_NAMESPACE: 'platform', POD_NAMESPACE: 'ops' },
      {},
      'platform',
    ],
  ])('%s', (_case, env, files, expected) => {
    expect(load(env, files).clusterResourceNamespace).toBe(expected);
  });

  it('refuses a value that is not a namespace name', () => {
    expect(() => load({ CLUSTER_RESOURCE_NAMESPACE: 'Not_A_Namespace' })).toThrow(
      'CLUSTER_RESOURCE_NAMESPACE',
    );
  });
});

describe('WATCH_CLUSTER_PROVIDERS', () => {
  it.each([
    ['all namespaces watched', {}, true],
    ['some namespaces watched', { WATCH_NAMESPACES: 'a,b' }, false],
    ['set true with namespaces', { WATCH_NAMESPACES: 'a', WATCH_CLUSTER_PROVIDERS: 'true' }, true],
    ['set false', { WATCH_CLUSTER_PROVIDERS: 'false' }, false],
  ])('%s', (_case, env, expected) => {
    expect(load(env).watchClusterProviders).toBe(expected);
  });

  it('refuses a value that is not a boolean', () => {
    expect(() => load({ WATCH_CLUSTER_PROVIDERS: 'maybe' })).toThrow('WATCH_CLUSTER_PROVIDERS');
  });
});
