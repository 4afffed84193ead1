// Where the CPU went during a scenario: the operator, kube-apiserver, etcd,
// this process (the APIG simulator and the Secret writes), and everyone else
// on the machine. On a small shared machine this explains the wall-clock
// numbers better than the wall clock does.
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { cpuMillis } from './bench-operator.ts';

const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuUse {
  wallMs: number;
  operatorMs: number;
  apiserverMs: number;
  etcdMs: number;
  /** This process: the APIG simulator, the Secret writes, the bookkeeping. */
  benchMs: number;
  /** Busy time of the whole machine not explained above (other people's work). */
  othersMs: number;
  /** wallMs × CPUs. */
  capacityMs: number;
}

interface Snapshot {
  at: number;
  machineBusyMs: number;
  benchMs: number;
  operatorMs: number;
  apiserverMs: number;
  etcdMs: number;
}

async function machineBusyMs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const total = ticks.slice(0, 8).reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return ((total - idle) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function cpuOrZero(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    return await cpuMillis(pid);
  } catch {
    return 0; // gone (an operator replaced mid-scenario)
  }
}

/** PIDs of the kube-apiserver and etcd whose command line names `dir` (ControlPlaneInfo.dir). */
export async function controlPlanePids(
  dir: string,
): Promise<{ apiserver: number | undefined; etcd: number | undefined }> {
  const found: { apiserver: number | undefined; etcd: number | undefined } = {
    apiserver: undefined,
    etcd: undefined,
  };
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(dir)) continue;
    const binary = cmdline.split('\0', 1)[0] ?? '';
    if (binary.endsWith('/kube-apiserver')) found.apiserver = Number(entry);
    else if (binary.endsWith('/etcd')) found.etcd = Number(entry);
  }
  return found;
}

export class CpuMeter {
  readonly #controlPlane: { apiserver: number | undefined; etcd: number | undefined };

  constructor(controlPlane: { apiserver: number | undefined; etcd: number | undefined }) {
    this.#controlPlane = controlPlane;
  }

  /**
   * Starts measuring. `operatorPid` is the operator running now, if any; the
   * returned function takes the one running at the end: when it is another
   * (started meanwhile), all of its CPU time counts.
   */
  async start(operatorPid?: number): Promise<(operatorPidNow: number) => Promise<CpuUse>> {
    const take = async (pid: number | undefined): Promise<Snapshot> => {
      const usage = process.cpuUsage();
      const [machine, operator, apiserver, etcd] = await Promise.all([
        machineBusyMs(),
        cpuOrZero(pid),
        cpuOrZero(this.#controlPlane.apiserver),
        cpuOrZero(this.#controlPlane.etcd),
      ]);
      return {
        at: Date.now(),
        machineBusyMs: machine,
        benchMs: (usage.user + usage.system) / 1000,
        operatorMs: operator,
        apiserverMs: apiserver,
        etcdMs: etcd,
      };
    };
    const before = await take(operatorPid);
    return async (operatorPidNow) => {
      const after = await take(operatorPidNow);
      const operatorMs =
        operatorPidNow === operatorPid ? after.operatorMs - before.operatorMs : after.operatorMs;
      const apiserverMs = after.apiserverMs - before.apiserverMs;
      const etcdMs = after.etcdMs - before.etcdMs;
      const benchMs = after.benchMs - before.benchMs;
      const wallMs = after.at - before.at;
      const machineMs = after.machineBusyMs - before.machineBusyMs;
      return {
        wallMs,
        operatorMs,
        apiserverMs,
        etcdMs,
        benchMs,
        othersMs: Math.max(0, machineMs - operatorMs - apiserverMs - etcdMs - benchMs),
        capacityMs: wallMs * cpus().length,
      };
    };
  }
}
