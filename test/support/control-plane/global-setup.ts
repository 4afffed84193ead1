// Jest globalSetup for the integration project: one control plane per run,
// kept by a daemon process that cleans up even if Jest is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ControlPlaneInfo } from './control-plane.ts';

declare global {
  var controlPlaneDaemon: ChildProcess | undefined;
}

const DAEMON = new URL('./daemon.ts', import.meta.url).pathname;

export default async function globalSetup(): Promise<void> {
  const daemon = spawn(process.execPath, [DAEMON, '--json'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  globalThis.controlPlaneDaemon = daemon;
  const info = await new Promise<ControlPlaneInfo & { binaries: string; seconds: string }>(
    (resolve, reject) => {
      const lines = createInterface({ input: daemon.stdout });
      lines.once('line', (line) => {
        lines.close();
        try {
          resolve(JSON.parse(line) as ControlPlaneInfo & { binaries: string; seconds: string });
        } catch (error) {
          reject(new Error(`control-plane daemon said: ${line}`, { cause: error }));
        }
      });
      daemon.once('exit', (code) =>
        reject(
          new Error(`control-plane daemon exited (${code}) before the control plane was ready`),
        ),
      );
    },
  );
  daemon.removeAllListeners('exit');
  daemon.stdout.destroy();
  process.env.APIG_TEST_KUBECONFIG = info.kubeconfig;
  process.env.APIG_TEST_KUBE_VERSION = info.version;
  process.env.APIG_TEST_ETCD_VERSION = info.etcdVersion;
  process.env.APIG_TEST_KUBECTL = info.kubectl;
  process.env.APIG_TEST_KUBE_TOKEN = info.token;
  process.stderr.write(
    `\n[control-plane] integration tests run against kube-apiserver ${info.version} with etcd ${info.etcdVersion} at ${info.server} (started in ${info.seconds}s, binaries from ${info.binaries})\n`,
  );
}
