// What the chart's settings beyond deploy/ render, read as the kubelet and
// the operator would read them: keyless authentication (a projected
// ServiceAccount token, no credentials Secret), the APIG_CA_FILE bundle from
// a ConfigMap or a Secret key, the extraEnv/extraVolumes escape hatches, and
// the pods rolling on a changed ConfigMap when rollOnConfigChange is on. The
// server dry run of each is in chart.test.ts.
import { loadConfig } from '../../../src/config/index.ts';
import { createCA } from '../../support/certs.ts';
import {
  OPERATOR_NAMESPACE,
  containerEnvironment,
  findObject,
  mountedSecretReader,
  parseManifests,
  type ManifestObject,
} from '../install/support.ts';
import { removeHelmHome, template } from './helm.ts';

const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const AKSK = { HUAWEICLOUD_SDK_AK: 'AKEXAMPLE', HUAWEICLOUD_SDK_SK: 'sk-example' };
const CHART_SECRET = {
  'config.projectId': PROJECT_ID,
  'credentials.create': true,
  'credentials.data': AKSK,
};

interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  projected?: {
    sources: {
      serviceAccountToken?: { audience: string; expirationSeconds: number; path: string };
    }[];
  };
}
interface PodTemplate {
  metadata: { annotations?: Record<string, string> };
  spec: {
    containers: {
      env: { name: string; value?: string }[];
      volumeMounts: { name: string; mountPath: string }[];
    }[];
    volumes: Volume[];
  };
}

afterAll(removeHelmHome);

function render(values: Record<string, unknown>): ManifestObject[] {
  const result = template(OPERATOR_NAMESPACE, values);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

function podTemplate(objects: readonly ManifestObject[]): PodTemplate {
  return findObject<{ spec: { template: PodTemplate } }>(objects, 'Deployment').spec.template;
}

/** The path the kubelet gives a volume's file (mountPath/path of the item or projection). */
function mountedPath(pod: PodTemplate, volume: Volume, file: string): string {
  const mount = pod.spec.containers[0]!.volumeMounts.find((m) => m.name === volume.name);
  if (!mount) throw new Error(`volume ${volume.name} is not mounted`);
  return `${mount.mountPath}/${file}`;
}

/** The environment of the operator container, as containerEnvironment models the kubelet. */
function environment(objects: readonly ManifestObject[]): Record<string, string> {
  return containerEnvironment(objects, {
    name: 'apig-cert-operator-x',
    namespace: OPERATOR_NAMESPACE,
  });
}

describe('auth.method=keyless', () => {
  const KEYLESS = {
    'config.projectId': PROJECT_ID,
    'auth.method': 'keyless',
    'auth.keyless.idpId': 'apig-cert-operator-idp',
    'auth.keyless.iamEndpoint': 'https://iam.cn-north-4.myhuaweicloud.com',
    'auth.keyless.audience': 'apig-idp-client',
    'auth.keyless.expirationSeconds': 7200,
  };

  it('mounts a projected ServiceAccount token and names it, IAM and the IdP in the environment', () => {
    const objects = render(KEYLESS);
    const pod = podTemplate(objects);
    const tokenVolume = pod.spec.volumes.find((v) => v.projected);
    expect(tokenVolume?.projected?.sources).toEqual([
      {
        serviceAccountToken: {
          audience: 'apig-idp-client',
          expirationSeconds: 7200,
          path: 'token',
        },
      },
    ]);
    expect(environment(objects)).toMatchObject({
      HUAWEICLOUD_SDK_IDP_ID: 'apig-cert-operator-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: mountedPath(pod, tokenVolume!, 'token'),
      HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.cn-north-4.myhuaweicloud.com',
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT_ID,
    });
  });

  it('needs no credentials Secret: none mounted, none read, none made', () => {
    const objects = render(KEYLESS);
    const pod = podTemplate(objects);
    expect(pod.spec.volumes.filter((v) => v.secret)).toEqual([]);
    expect(Object.keys(environment(objects)).filter((name) => name.endsWith('_FILE'))).toEqual([
      'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
    ]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('apigCA: the APIG_CA_FILE bundle', () => {
  it.each([
    { source: 'Secret', values: { 'apigCA.secretName': 'private-ca' } },
    {
      source: 'ConfigMap',
      values: { 'apigCA.configMapName': 'private-ca', 'apigCA.key': 'bundle.pem' },
    },
  ])('from a $source key: loadConfig reads the PEM at the path the chart mounts', async (c) => {
    const ca = await createCA({ commonName: 'Private APIG CA', key: { kind: 'EC' } });
    const objects = render({ ...CHART_SECRET, ...c.values });
    const pod = podTemplate(objects);
    const caVolume = pod.spec.volumes.find(
      (v) => v.secret?.secretName === 'private-ca' || v.configMap?.name === 'private-ca',
    )!;
    const items = (caVolume.secret ?? caVolume.configMap)!.items!;
    expect(items.map((i) => i.key)).toEqual([c.values['apigCA.key'] ?? 'ca.crt']);
    const caPath = mountedPath(pod, caVolume, items[0]!.path);
    const secretFiles = mountedSecretReader(objects, 'apig-cert-operator-credentials', AKSK);
    const config = loadConfig(environment(objects), (path) =>
      path === caPath ? ca.certPem : secretFiles(path),
    );
    expect(config.apig).toMatchObject({ caFile: caPath, caPem: ca.certPem });
  });

  it('unset: no APIG_CA_FILE, no CA volume', () => {
    const objects = render(CHART_SECRET);
    expect(environment(objects)).not.toHaveProperty('APIG_CA_FILE');
    expect(podTemplate(objects).spec.volumes.map((v) => v.name)).toEqual(['credentials']);
  });
});

describe('extraEnv, extraVolumes, extraVolumeMounts', () => {
  it('reach the pod as written, and an extraEnv entry wins over the ConfigMap setting', () => {
    const objects = render({
      ...CHART_SECRET,
      'config.logLevel': 'info',
      extraEnv: [
        { name: 'LOG_LEVEL', value: 'warn' },
        { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/extra/ca.pem' },
      ],
      extraVolumes: [{ name: 'extra', configMap: { name: 'extra-ca' } }],
      extraVolumeMounts: [{ name: 'extra', mountPath: '/etc/extra', readOnly: true }],
    });
    const pod = podTemplate(objects);
    expect(pod.spec.volumes).toContainEqual({ name: 'extra', configMap: { name: 'extra-ca' } });
    expect(pod.spec.containers[0]!.volumeMounts).toContainEqual({
      name: 'extra',
      mountPath: '/etc/extra',
      readOnly: true,
    });
    const env = environment(objects);
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/etc/extra/ca.pem');
    const config = loadConfig(
      env,
      mountedSecretReader(objects, 'apig-cert-operator-credentials', AKSK),
    );
    expect(config.logLevel).toBe('warn');
  });
});

describe('rollOnConfigChange', () => {
  const checksum = (values: Record<string, unknown>) =>
    podTemplate(render(values)).metadata.annotations?.['checksum/config'];

  it('off (the default): no checksum, whatever the settings', () => {
    expect(checksum({ 'config.logLevel': 'debug' })).toBeUndefined();
  });

  it('on: the same settings keep the checksum, a changed setting changes it', () => {
    const on = { rollOnConfigChange: true, 'config.projectId': PROJECT_ID };
    const first = checksum(on);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(on)).toBe(first);
    expect(checksum({ ...on, 'config.driftCheckInterval': '15m' })).not.toBe(first);
    expect(checksum({ ...on, 'config.apigRateLimit': 2 })).not.toBe(first);
  });
});
