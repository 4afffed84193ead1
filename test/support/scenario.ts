// Shared setup of operator integration tests: a namespace, the CRD, an APIG
// simulator, and helpers to write Secrets and ApigCertificates and wait for
// the state of the world.
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, type CoreV1Event } from '@kubernetes/client-node';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
  type ApigCertificateResource,
  type ApigCertificateSpec,
} from '../../src/api/v1alpha1.ts';
import {
  startApigSimulator,
  type ApigSimulator,
  type SimulatorOptions,
} from './apig-simulator/index.ts';
import { issueCertificate, sharedKeyPair, tlsSecretData, type IssuedCertificate } from './certs.ts';
import { createTestNamespace, installCrds, testKubeConfig, testKubeconfigPath } from './kube.ts';
import { eventually } from './eventually.ts';
import { startOperator, type OperatorProcess } from './operator.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Scenario {
  namespace: string;
  simulator: ApigSimulator;
  token: string;
  core: CoreV1Api;
  objects: CustomObjectsApi;
  /**
   * Operator environment for this scenario (token auth, this namespace).
   * An `undefined` value in `extra` removes that variable (e.g. APIG_AUTH_TOKEN
   * when a test configures AK/SK or IAM credentials instead).
   */
  operatorEnv(extra?: EnvOverrides): Record<string, string>;
  startOperator(extra?: EnvOverrides): OperatorProcess;
  issue(commonName?: string): Promise<IssuedCertificate>;
  writeTlsSecret(
    name: string,
    cert: { chainPem: string; keyPem: string },
    annotations?: Record<string, string>,
  ): Promise<void>;
  /**
   * Creates the ApigCertificate and, when its spec pins a certificateId and
   * `seed` is not false, the APIG certificate it names in the simulator (same
   * type, instance and project). Without certificateId the operator creates
   * or adopts it by name.
   */
  createCertificate(
    name: string,
    spec: Partial<ApigCertificateSpec>,
    /** seed: false leaves APIG without it; namespace: another than the scenario's. */
    options?: { seed?: boolean; namespace?: string },
  ): Promise<void>;
  getCertificate(name: string): Promise<ApigCertificateResource>;
  waitForReady(
    name: string,
    status?: 'True' | 'False',
    reason?: string,
    timeoutMs?: number,
  ): Promise<ApigCertificateResource>;
  events(name: string): Promise<CoreV1Event[]>;
  close(): Promise<void>;
}

/** Environment overrides; `undefined` removes a variable. */
export type EnvOverrides = Record<string, string | undefined>;

export async function createScenario(
  prefix: string,
  simulatorOptions: SimulatorOptions = {},
): Promise<Scenario> {
  installCrds();
  const namespace = await createTestNamespace(prefix);
  const token = randomBytes(16).toString('hex');
  const simulator = await startApigSimulator({ staticTokens: [token], ...simulatorOptions });
  const kubeConfig = testKubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);
  const operators: OperatorProcess[] = [];

  const scenario: Scenario = {
    namespace,
    simulator,
    token,
    core,
    objects,
    operatorEnv(extra = {}) {
      const env: EnvOverrides = {
        KUBECONFIG: testKubeconfigPath(),
        APIG_ENDPOINT: simulator.url,
        APIG_AUTH_TOKEN: token,
        HUAWEICLOUD_SDK_PROJECT_ID: simulator.projectId,
        WATCH_NAMESPACES: namespace,
        // As deploy/ runs it (election on), with the Lease in the test's namespace.
        LEADER_ELECT: 'true',
        LEADER_ELECTION_NAMESPACE: namespace,
        LOG_LEVEL: 'debug',
        APIG_RATE_LIMIT: '50',
        APIG_RATE_BURST: '50',
        ...extra,
      };
      return Object.fromEntries(
        Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
    },
    startOperator(extra) {
      const operator = startOperator(scenario.operatorEnv(extra));
      operators.push(operator);
      return operator;
    },
    async issue(commonName = 'shop.example.com') {
      return issueCertificate({
        commonName,
        key: { kind: 'EC' },
        keyPair: await sharedKeyPair({ kind: 'EC' }),
      });
    },
    async writeTlsSecret(name, cert, annotations) {
      const body = {
        metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
        type: 'kubernetes.io/tls',
        data: tlsSecretData(cert),
      };
      try {
        await core.replaceNamespacedSecret({ name, namespace, body });
      } catch {
        await core.createNamespacedSecret({ namespace, body });
      }
    },
    async createCertificate(name, spec, options = {}) {
      if (options.seed !== false && spec.certificateId) {
        simulator.seedCertificate({
          id: spec.certificateId,
          name: spec.name ?? 'shop_cert',
          ...(spec.type ? { type: spec.type } : {}),
          ...(spec.instanceId ? { instanceId: spec.instanceId } : {}),
          ...(spec.projectId ? { projectId: spec.projectId } : {}),
        });
      }
      await objects.createNamespacedCustomObject({
        ...APIG_CERTIFICATE_RESOURCE,
        namespace: options.namespace ?? namespace,
        body: {
          apiVersion: API_VERSION,
          kind: APIG_CERTIFICATE_KIND,
          metadata: { name },
          spec: { name: 'shop_cert', secretRef: { name: `${name}-tls` }, ...spec },
        },
      });
    },
    async getCertificate(name) {
      return (await objects.getNamespacedCustomObject({
        ...APIG_CERTIFICATE_RESOURCE,
        namespace,
        name,
      })) as ApigCertificateResource;
    },
    async waitForReady(name, status = 'True', reason, timeoutMs = 30_000) {
      return eventually(
        `${name} Ready=${status}${reason ? ` (${reason})` : ''}`,
        async () => {
          const resource = await scenario.getCertificate(name);
          const ready = resource.status?.conditions?.find((c) => c.type === 'Ready');
          const generationSeen =
            resource.status?.observedGeneration === resource.metadata.generation;
          return ready?.status === status && (!reason || ready.reason === reason) && generationSeen
            ? resource
            : undefined;
        },
        timeoutMs,
      );
    },
    async events(name) {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.name=${name}`,
      });
      return list.items;
    },
    async close() {
      await Promise.all(operators.map((o) => o.stop('SIGKILL')));
      await simulator.close();
    },
  };
  return scenario;
}
