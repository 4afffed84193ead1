// Real cert-manager for integration tests: builds (or finds in the cache) the
// controller program in this folder, applies cert-manager's CRDs server-side
// and runs the controller against the test control plane.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api } from '@kubernetes/client-node';
import { kubectl, testKubeConfig, testKubeconfigPath } from '../kube.ts';

const BUILD_SCRIPT = new URL('./build.sh', import.meta.url).pathname;
export const BUILD_COMMAND = 'bash test/support/cert-manager/build.sh';

/** Where ClusterIssuers keep their Secrets (cert-manager's --cluster-resource-namespace). */
export const CLUSTER_RESOURCE_NAMESPACE = 'cert-manager';

const running = new Set<ChildProcess>();
// Closing stdin already stops the controller when this process dies; this
// covers a test file that fails before its afterAll while Jest keeps running.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface CertManagerBuild {
  /** The folder holding cert-manager-controller and crds/. */
  folder: string;
  /** How long finding or building it took. */
  ms: number;
}

/**
 * Runs the build script, which returns at once when the build for the current
 * go.mod/go.sum/main.go is cached and builds it otherwise (minutes, cold).
 */
export function buildCertManager(): CertManagerBuild {
  const started = Date.now();
  let out: string;
  try {
    out = execFileSync('bash', [BUILD_SCRIPT], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `building cert-manager failed; run \`${BUILD_COMMAND}\` to see why (needs Go and the module proxy)`,
      { cause: error },
    );
  }
  const folder = out.trim().split('\n').pop() ?? '';
  if (!folder) throw new Error(`\`${BUILD_COMMAND}\` printed no folder`);
  return { folder, ms: Date.now() - started };
}

const CRDS = [
  'certificates.cert-manager.io',
  'certificaterequests.cert-manager.io',
  'issuers.cert-manager.io',
  'clusterissuers.cert-manager.io',
];

/**
 * Applies cert-manager's CRDs server-side (two are too large for the
 * last-applied annotation of a client-side apply); idempotent across test files.
 */
export function installCertManagerCrds(build: CertManagerBuild): void {
  kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=apig-cert-operator-tests',
    '-f',
    join(build.folder, 'crds'),
  );
  kubectl('wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((c) => `crd/${c}`));
}

export interface CertManagerProcess {
  readonly child: ChildProcess;
  /** stderr (klog) and stdout as they came, for failure output. */
  output(): string;
  /** How long from spawn to "controllers started". */
  readonly startMs: number;
  /** Closes stdin, the way a parent that dies does, and waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

async function ensureNamespace(name: string): Promise<void> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    // 409: another test file created it first.
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

/** Starts the controller and resolves once its controllers and informers are running. */
export async function startCertManager(
  build: CertManagerBuild,
  timeoutMs = 60_000,
): Promise<CertManagerProcess> {
  await ensureNamespace(CLUSTER_RESOURCE_NAMESPACE);
  const started = Date.now();
  const child = spawn(
    join(build.folder, 'cert-manager-controller'),
    [
      `--kubeconfig=${testKubeconfigPath()}`,
      `--cluster-resource-namespace=${CLUSTER_RESOURCE_NAMESPACE}`,
      '--v=2',
    ],
    // stdin is a pipe that only this process holds: when it closes (this
    // process exits, however it dies), the controller stops.
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  running.add(child);
  const chunks: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  child.stdout.on('data', (data: Buffer) => chunks.push(data.toString()));
  const output = (): string => chunks.join('');

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `cert-manager controller did not start within ${timeoutMs} ms; output:\n${output().slice(-4000)}`,
        ),
      );
    }, timeoutMs);
    createInterface({ input: child.stderr }).on('line', (line) => {
      chunks.push(`${line}\n`);
      if (line.includes('cert-manager controllers started')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cert-manager controller exited (code ${code}, signal ${signal}) before starting; output:\n${output().slice(-4000)}`,
        ),
      );
    });
  });
  const startMs = Date.now() - started;

  return {
    child,
    output,
    startMs,
    async stop() {
      const stopping = Date.now();
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: Date.now() - stopping };
    },
  };
}
