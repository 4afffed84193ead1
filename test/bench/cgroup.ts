// A cgroup v1 memory limit for the operator (the memory controller mounted at
// /sys/fs/cgroup/memory, as root): a child group with memory.limit_in_bytes,
// the operator started inside it, and the kernel's own counters read back.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MEMORY_CONTROLLER = '/sys/fs/cgroup/memory';

export interface CgroupCounters {
  /** memory.max_usage_in_bytes: the group's peak charge (anonymous and page cache). */
  maxUsageBytes: number;
  /** memory.failcnt: how often the limit was hit (the kernel reclaimed then). */
  failcnt: number;
  /** `oom_kill` of memory.oom_control: processes the OOM killer ended in this group. */
  oomKills: number;
}

/** The `oom_kill` count of a memory.oom_control file; 0 on kernels that do not report it. */
export function oomKills(oomControl: string): number {
  const match = /^oom_kill (\d+)$/m.exec(oomControl);
  return match ? Number(match[1]) : 0;
}

/** Why no limit can be set here, or undefined when it can. */
export function cgroupUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a memory cgroup';
  if (!existsSync(join(MEMORY_CONTROLLER, 'memory.limit_in_bytes'))) {
    return `no cgroup v1 memory controller at ${MEMORY_CONTROLLER}`;
  }
  return undefined;
}

export class MemoryCgroup {
  readonly dir: string;
  readonly limitBytes: number;

  private constructor(dir: string, limitBytes: number) {
    this.dir = dir;
    this.limitBytes = limitBytes;
  }

  static async create(name: string, limitBytes: number): Promise<MemoryCgroup> {
    const dir = join(MEMORY_CONTROLLER, name);
    await mkdir(dir);
    await writeFile(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    return new MemoryCgroup(dir, limitBytes);
  }

  /**
   * `command` run inside the group: a shell writes its own PID into
   * cgroup.procs, then execs the command, so the PID the caller sees is the
   * command's and it is charged from its first page.
   */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return {
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, command, ...args],
    };
  }

  async counters(): Promise<CgroupCounters> {
    const read = (file: string) => readFile(join(this.dir, file), 'utf8');
    const [maxUsage, failcnt, oomControl] = await Promise.all([
      read('memory.max_usage_in_bytes'),
      read('memory.failcnt'),
      read('memory.oom_control'),
    ]);
    return {
      maxUsageBytes: Number(maxUsage.trim()),
      failcnt: Number(failcnt.trim()),
      oomKills: oomKills(oomControl),
    };
  }

  /** Removes the group once its processes have gone (the kernel refuses before). */
  async remove(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(this.dir);
        return;
      } catch (error) {
        if (attempt >= 50) throw error;
        await sleep(100);
      }
    }
  }
}
