// A control plane of the calling test file's own. Fault-suite files kill,
// restart or freeze it; the out-of-cluster test watches every namespace. The
// test/support helpers (scenario, kube) find the control plane through the
// APIG_TEST_* variables, which this sets for the file that calls it (Jest
// gives every test file its own copy of process.env). Call stop() in afterAll;
// it runs even when tests fail.
import { ensureBinaries } from './binaries.ts';
import { ControlPlane, type ControlPlaneInfo } from './control-plane.ts';

export interface OwnControlPlane {
  controlPlane: ControlPlane;
  info: ControlPlaneInfo;
  stop(): Promise<void>;
}

export async function startOwnControlPlane(): Promise<OwnControlPlane> {
  const controlPlane = new ControlPlane(await ensureBinaries());
  const info = await controlPlane.start();
  process.env.APIG_TEST_KUBECONFIG = info.kubeconfig;
  process.env.APIG_TEST_KUBE_VERSION = info.version;
  process.env.APIG_TEST_ETCD_VERSION = info.etcdVersion;
  process.env.APIG_TEST_KUBECTL = info.kubectl;
  process.env.APIG_TEST_KUBE_TOKEN = info.token;
  return {
    controlPlane,
    info,
    async stop() {
      const pid = controlPlane.apiserverPid;
      // A frozen apiserver (SIGSTOP) would ignore SIGTERM until its grace period ends.
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      await controlPlane.stop();
    },
  };
}
