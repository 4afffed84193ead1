import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ControlPlaneInfo } from './control-plane.ts';

/** Where `npm run dev:cluster` announces itself so the demo and benchmarks can reuse it. */
export function devClusterStateFile(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.APIG_OPERATOR_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'apig-cert-operator');
  return join(root, 'dev-cluster.json');
}

/** The running dev cluster, if its process is still alive. */
export function runningDevCluster(): (ControlPlaneInfo & { pid: number }) | undefined {
  try {
    const state = JSON.parse(readFileSync(devClusterStateFile(), 'utf8')) as ControlPlaneInfo & {
      pid: number;
    };
    process.kill(state.pid, 0);
    return state;
  } catch {
    return undefined;
  }
}
