// The real helm binary for the chart tests, against the test control plane:
// HELM_BINARY, else the cache folder test/support/build-helm.sh builds into
// (built on first use when missing, as the control plane is). Helm's own
// config, cache and data folders are a scratch folder per test file, so a
// developer's repositories and plugins play no part.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKubeconfigPath } from '../../support/kube.ts';
import { REPO_DIR } from '../install/support.ts';

export const CHART_DIR = join(REPO_DIR, 'deploy/helm/apig-cert-operator');
const BUILD_SCRIPT = join(REPO_DIR, 'test/support/build-helm.sh');

const home = mkdtempSync(join(tmpdir(), 'apig-helm-'));

/** Call in afterAll: removes Helm's scratch folders. */
export function removeHelmHome(): void {
  rmSync(home, { recursive: true, force: true });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let resolved: string | undefined;

/** The helm binary; builds it into the cache when neither HELM_BINARY nor the cache has it. */
export function helmPath(): string {
  if (resolved) return resolved;
  const fromEnv = process.env.HELM_BINARY;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`HELM_BINARY=${fromEnv} is not an executable file`);
    return (resolved = fromEnv);
  }
  const folder = execFileSync('bash', [BUILD_SCRIPT, '--print-folder'], {
    encoding: 'utf8',
  }).trim();
  if (!executable(join(folder, 'helm'))) {
    process.stderr.write(`[helm] no helm in ${folder}: building it (a few minutes)\n`);
    const build = spawnSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error(`${BUILD_SCRIPT} failed (exit ${build.status})`);
  }
  return (resolved = join(folder, 'helm'));
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** helm as admin against the test control plane; never throws. */
export function runHelm(args: readonly string[]): HelmResult {
  const result = spawnSync(helmPath(), [...args, '--kubeconfig', testKubeconfigPath()], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** helm; throws with helm's own stderr when it fails. */
export function helmOk(args: readonly string[]): HelmResult {
  const result = runHelm(args);
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  }
  return result;
}

/** `--set`-style values as helm arguments; `--set-json` keeps types (lists, numbers, booleans). */
export function valueArgs(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    '--set-json',
    `${key}=${JSON.stringify(value)}`,
  ]);
}

/** `helm template` of the chart into a namespace, with values; helm's result, whatever it is. */
export function template(
  namespace: string,
  values: Record<string, unknown> = {},
  release = 'apig-cert-operator',
): HelmResult {
  return runHelm(['template', release, CHART_DIR, '--namespace', namespace, ...valueArgs(values)]);
}
