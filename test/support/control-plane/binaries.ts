import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  /** Where the binaries came from, for the test log. */
  source: string;
}

const BUILD_SCRIPT = new URL('../build-control-plane.sh', import.meta.url).pathname;

function executable(path: string | undefined): path is string {
  if (!path) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromFolder(folder: string, source: string): ControlPlaneBinaries | undefined {
  const found = {
    etcd: join(folder, 'etcd'),
    kubeApiserver: join(folder, 'kube-apiserver'),
    kubectl: join(folder, 'kubectl'),
    source,
  };
  return executable(found.etcd) && executable(found.kubeApiserver) && executable(found.kubectl)
    ? found
    : undefined;
}

/**
 * The envtest lookup order: TEST_ASSET_* for each binary, then KUBEBUILDER_ASSETS
 * (what setup-envtest prints), then our own build cache. Returns undefined when
 * nothing is there yet.
 */
export function findBinaries(
  env: NodeJS.ProcessEnv = process.env,
): ControlPlaneBinaries | undefined {
  const { TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER, TEST_ASSET_KUBECTL, KUBEBUILDER_ASSETS } =
    env;
  if (TEST_ASSET_ETCD || TEST_ASSET_KUBE_APISERVER || TEST_ASSET_KUBECTL) {
    const assets = fromFolder(KUBEBUILDER_ASSETS ?? '', 'KUBEBUILDER_ASSETS');
    const chosen = {
      etcd: TEST_ASSET_ETCD ?? assets?.etcd,
      kubeApiserver: TEST_ASSET_KUBE_APISERVER ?? assets?.kubeApiserver,
      kubectl: TEST_ASSET_KUBECTL ?? assets?.kubectl,
    };
    for (const [name, path] of Object.entries(chosen)) {
      if (!executable(path)) {
        throw new Error(
          `TEST_ASSET_* is set but no executable ${name} was found (${path ?? 'unset'}); set all three or KUBEBUILDER_ASSETS`,
        );
      }
    }
    return { ...(chosen as Omit<ControlPlaneBinaries, 'source'>), source: 'TEST_ASSET_*' };
  }
  if (KUBEBUILDER_ASSETS) {
    const assets = fromFolder(KUBEBUILDER_ASSETS, 'KUBEBUILDER_ASSETS');
    if (!assets) {
      throw new Error(
        `KUBEBUILDER_ASSETS=${KUBEBUILDER_ASSETS} lacks an executable etcd, kube-apiserver or kubectl`,
      );
    }
    return assets;
  }
  const cached = cacheFolder(env);
  return cached ? fromFolder(cached, `cache ${cached}`) : undefined;
}

/** The folder the build script would use, asked of the script itself so the two never disagree. */
function cacheFolder(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync('bash', [BUILD_SCRIPT, '--print-folder'], { env, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Finds the binaries or builds them from the Go module proxy, streaming the
 * build's progress to stderr.
 */
export async function ensureBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ControlPlaneBinaries> {
  const found = findBinaries(env);
  if (found) return found;
  process.stderr.write(
    '[control-plane] no etcd/kube-apiserver found (TEST_ASSET_*, KUBEBUILDER_ASSETS, cache): building them from the Go module proxy; the first build takes several minutes\n',
  );
  await new Promise<void>((resolve, reject) => {
    const build = spawn('bash', [BUILD_SCRIPT], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    build.on('error', reject);
    build.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`control-plane build failed (exit ${code}); see the lines above`)),
    );
  });
  const built = findBinaries(env);
  if (!built)
    throw new Error('control-plane build finished but the binaries are not in its folder');
  return built;
}
