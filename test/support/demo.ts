// `npm run demo`: the whole story on one machine, no cluster needed.
// A local control plane, the APIG simulator and the operator; a CA-issued
// certificate in a TLS Secret and its ApigCertificate; then a rotation the
// way cert-manager does it (same Secret, new key and serial).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startApigSimulator } from './apig-simulator/index.ts';
import { createCA, tlsSecretData } from './certs.ts';
import { ensureBinaries } from './control-plane/binaries.ts';
import { eventually } from './eventually.ts';
import { ControlPlane, type ControlPlaneInfo } from './control-plane/control-plane.ts';
import { runningDevCluster } from './control-plane/dev-cluster.ts';
import { startOperator, type OperatorProcess } from './operator.ts';
import { atExit, exitAfterCleanup } from './exit-cleanup.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
} from '../../src/api/v1alpha1.ts';

const run = promisify(execFile);
const NAMESPACE = 'demo';
const CERTIFICATE_ID = 'demo-cert-0001';
const started = Date.now();
const step = (text: string) =>
  process.stdout.write(`\n[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);

const failureHints: (() => string)[] = [];

async function controlPlane(): Promise<ControlPlaneInfo> {
  const dev = runningDevCluster();
  if (dev) {
    step(`Reusing the control plane of \`npm run dev:cluster\` (${dev.version}).`);
    return dev;
  }
  step(
    'Starting a local control plane (etcd + kube-apiserver); the first run builds them, later runs take seconds.',
  );
  const plane = new ControlPlane(await ensureBinaries());
  atExit(() => plane.stop());
  const info = await plane.start();
  step(`kube-apiserver ${info.version} and etcd ${info.etcdVersion} are up.`);
  return info;
}

async function main(): Promise<void> {
  const info = await controlPlane();
  // Asynchronous on purpose: the simulator answers from this process's event loop.
  const kubectl = async (...args: string[]) =>
    (await run(info.kubectl, ['--kubeconfig', info.kubeconfig, ...args], { encoding: 'utf8' }))
      .stdout;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(info.kubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = kubeConfig.makeApiClient(CustomObjectsApi);

  step(
    'Starting the APIG simulator (a strict stand-in for Huawei Cloud APIG) with certificate demo-cert-0001.',
  );
  const token = randomBytes(16).toString('hex');
  const simulator = await startApigSimulator({ staticTokens: [token] });
  atExit(() => simulator.close());
  simulator.seedCertificate({ id: CERTIFICATE_ID, name: 'shop_example' });

  step('Installing the CRD: kubectl apply -f crds/');
  process.stdout.write(await kubectl('apply', '--server-side', '--force-conflicts', '-f', 'crds/'));
  await kubectl(
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/apigcertificates.apig.certsync.io',
  );

  step('Starting the operator (node src/main.ts) against the simulator.');
  const logDir = mkdtempSync(join(tmpdir(), 'apig-cert-operator-demo-'));
  const logFile = join(logDir, 'operator.log');
  const operator: OperatorProcess = startOperator({
    KUBECONFIG: info.kubeconfig,
    APIG_ENDPOINT: simulator.url,
    APIG_AUTH_TOKEN: token,
    HUAWEICLOUD_SDK_PROJECT_ID: simulator.projectId,
  });
  atExit(async () => {
    await operator.stop('SIGTERM');
    writeFileSync(logFile, operator.output());
  });
  failureHints.push(
    () =>
      `the operator's last log lines:\n${operator.output().split('\n').slice(-15).join('\n')}\n(whole log: ${logFile})`,
  );

  step(
    `Creating namespace ${NAMESPACE}, a CA-issued certificate in Secret shop-tls, and ApigCertificate shop.`,
  );
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch(() => undefined);
  const ca = await createCA({ commonName: 'Demo Root CA' });
  const issue = () =>
    ca.issue({
      commonName: 'shop.example.com',
      dnsNames: ['shop.example.com', 'www.shop.example.com'],
    });
  const writeSecret = async (cert: { chainPem: string; keyPem: string }) => {
    const body = {
      metadata: {
        name: 'shop-tls',
        namespace: NAMESPACE,
        annotations: { 'cert-manager.io/certificate-name': 'shop' },
      },
      type: 'kubernetes.io/tls',
      data: tlsSecretData(cert),
    };
    await core
      .replaceNamespacedSecret({ name: 'shop-tls', namespace: NAMESPACE, body })
      .catch(() => core.createNamespacedSecret({ namespace: NAMESPACE, body }));
  };
  const first = await issue();
  await writeSecret(first);
  await objects
    .createNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: NAMESPACE,
      body: {
        apiVersion: API_VERSION,
        kind: APIG_CERTIFICATE_KIND,
        metadata: { name: 'shop' },
        spec: {
          certificateId: CERTIFICATE_ID,
          name: 'shop_example',
          secretRef: { name: 'shop-tls' },
        },
      },
    })
    .catch(() => undefined);
  const firstSync = Date.now();
  await kubectl('wait', '--for=condition=Ready', '--timeout=60s', '-n', NAMESPACE, 'apigcert/shop');
  step(`Synced in ${Date.now() - firstSync} ms. kubectl get apigcert -n ${NAMESPACE}:`);
  process.stdout.write(await kubectl('get', 'apigcert', '-n', NAMESPACE));
  showSimulator(
    simulator.certificate(CERTIFICATE_ID),
    simulator.successfulPuts(CERTIFICATE_ID).length,
  );

  step(
    'Rotating: rewriting Secret shop-tls with a new key and serial, as cert-manager does on renewal.',
  );
  const previousSerial = simulator.certificate(CERTIFICATE_ID)?.serialNumber;
  const rotated = await issue();
  const rotationStart = Date.now();
  await writeSecret(rotated);
  await eventually(
    'the new certificate in status',
    async () => {
      const resource = (await objects.getNamespacedCustomObject({
        ...APIG_CERTIFICATE_RESOURCE,
        namespace: NAMESPACE,
        name: 'shop',
      })) as {
        status?: { serialNumber?: string; conditions?: { type: string; status: string }[] };
      };
      const ready = resource.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready && resource.status?.serialNumber !== previousSerial ? resource : undefined;
    },
    60_000,
  );
  step(
    `Rotation synced in ${Date.now() - rotationStart} ms (Secret write to status showing the new serial):`,
  );
  process.stdout.write(await kubectl('get', 'apigcert', '-n', NAMESPACE));
  showSimulator(
    simulator.certificate(CERTIFICATE_ID),
    simulator.successfulPuts(CERTIFICATE_ID).length,
  );

  step('Done. Where to go next:');
  process.stdout.write(
    [
      '  - README.md: install on a real cluster with cert-manager (kubectl apply -f crds/ && kubectl apply -k deploy/)',
      '  - deploy/examples/: instance certificates, SM2 pairs, ROMA Connect, trusted root CAs',
      '  - npm run dev:cluster and npm run dev:apig: keep a control plane and the simulator up to try things by hand',
      `  - the operator's log of this run: ${logFile}`,
      '',
    ].join('\n'),
  );
}

function showSimulator(
  cert:
    | {
        id: string;
        name: string;
        serialNumber: string;
        notAfter: string;
        commonName: string;
        san: string[];
      }
    | undefined,
  puts: number,
): void {
  if (!cert) return;
  process.stdout.write(
    `APIG (simulator) holds ${cert.id} "${cert.name}": serial ${cert.serialNumber}, CN ${cert.commonName}, SAN ${cert.san.join(',')}, not after ${cert.notAfter}; PUTs so far: ${puts}\n`,
  );
}

main().then(
  () => exitAfterCleanup(0),
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitAfterCleanup(1);
  },
);
