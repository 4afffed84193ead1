// The operator under test as a child process (`node dist/main.js`, see
// operator-build.ts), and what the benchmark reads from the outside: its
// 'reconciled' log lines (pino's `time` is the operator's own clock), RSS and
// CPU from /proc, heap from /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { metricByLabel, metricValue } from '../support/metrics-text.ts';
import type { BenchApig } from './apig.ts';
import type { MemoryCgroup } from './cgroup.ts';
import { RssSampler, statusBytes } from './rss-sampler.ts';

/** A pino line: level, time (epoch ms), msg and the fields logged. */
export type LogLine = Record<string, unknown> & { level: number; time: number; msg: string };

export interface OperatorSettings {
  /** The entry point: dist/main.js of a build, or src/main.ts. */
  main: string;
  apig: BenchApig;
  kubeconfig: string;
  namespace: string;
  /** APIG_RATE_LIMIT (requests per second). */
  rateLimit: number;
  /** APIG_RATE_BURST; undefined keeps the operator's default. */
  burst?: number | undefined;
  /** RECONCILE_CONCURRENCY; undefined keeps the operator's default. */
  concurrency?: number | undefined;
  /** Anything else for the operator's environment (NODE_OPTIONS, for profiling). */
  env?: Record<string, string> | undefined;
  /** Run inside this memory cgroup. */
  cgroup?: MemoryCgroup | undefined;
}

/** One operator process's RSS over its life, for the chart and the peak. */
export interface RssTrace {
  label: string;
  /** Epoch ms of the spawn. */
  startedAt: number;
  /** The highest RSS: VmHWM when last read, or the highest sample. */
  peakBytes: number;
  /** [ms since the spawn, RSS bytes], every 100 ms. */
  samples: [number, number][];
}

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
}

const POLL_MS = 50;
const running = new Set<ChildProcess>();

// However the benchmark ends, no operator outlives it.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** SIGKILLs every operator still running (after a failed scenario) and waits for them. */
export async function killAllOperators(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User plus system CPU time a process has used, in ms (from /proc/<pid>/stat). */
export async function cpuMillis(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

export class BenchOperator {
  readonly child: ChildProcess;
  /** Every JSON line of stdout. */
  readonly logs: LogLine[] = [];
  /** Epoch ms just before the process was spawned. */
  readonly startedAt: number;
  readonly pid: number;
  readonly settings: OperatorSettings;
  /** RSS every 100 ms, unforced. */
  readonly rss: RssSampler;
  readonly #output: string[] = [];
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #inspectorUrl: string | undefined;
  #peakRssBytes = 0;

  private constructor(settings: OperatorSettings) {
    this.settings = settings;
    const { apig } = settings;
    const optional: Record<string, string> = {};
    if (settings.burst !== undefined) optional.APIG_RATE_BURST = String(settings.burst);
    if (settings.concurrency !== undefined) {
      optional.RECONCILE_CONCURRENCY = String(settings.concurrency);
    }
    this.startedAt = Date.now();
    // No inspector until collectGarbage() asks for one with SIGUSR1 (it costs
    // a few MiB of RSS); then on a random loopback port.
    const nodeArgs = ['--inspect-port=127.0.0.1:0', settings.main];
    const { command, args } = settings.cgroup?.wrap(process.execPath, nodeArgs) ?? {
      command: process.execPath,
      args: nodeArgs,
    };
    this.child = spawn(command, args, {
      env: {
        PATH: process.env.PATH ?? '',
        HTTP_PORT: '0',
        HTTP_BIND_ADDRESS: '127.0.0.1',
        KUBECONFIG: settings.kubeconfig,
        APIG_ENDPOINT: apig.url,
        APIG_AUTH_TOKEN: apig.token,
        HUAWEICLOUD_SDK_PROJECT_ID: apig.projectId,
        WATCH_NAMESPACES: settings.namespace,
        // Leader election on, as deploy/ runs it, so its cost is measured too.
        LEADER_ELECT: 'true',
        LEADER_ELECTION_NAMESPACE: settings.namespace,
        APIG_RATE_LIMIT: String(settings.rateLimit),
        // The default; debug would add a redacted log line per APIG call and per
        // unchanged reconcile (~0.7 ms of CPU each), which deployments do not pay.
        LOG_LEVEL: 'info',
        ...optional,
        ...settings.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { pid } = this.child;
    if (pid === undefined) throw new Error('the operator process did not start');
    this.pid = pid;
    this.rss = new RssSampler(pid);
    running.add(this.child);
    this.#exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.rss.stop();
        running.delete(this.child);
        resolve({ code, signal });
      }),
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.#keep(line);
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not JSON: kept in the output tail only
      }
    });
    this.child.stderr!.on('data', (data: Buffer) => {
      const text = data.toString();
      this.#inspectorUrl ??= /Debugger listening on (ws:\/\/\S+)/.exec(text)?.[1];
      this.#keep(text);
    });
  }

  static start(settings: OperatorSettings): BenchOperator {
    return new BenchOperator(settings);
  }

  /** Position in the log, to wait for lines written after it. */
  logCursor(): number {
    return this.logs.length;
  }

  /**
   * Waits until every key in `resources` (`namespace/name`) has a 'reconciled'
   * line after `from` whose result `accept`s, and returns each key's first
   * such time (operator clock, epoch ms).
   */
  async waitForReconciled(options: {
    from: number;
    resources: ReadonlySet<string>;
    accept: (result: string) => boolean;
    timeoutMs: number;
  }): Promise<Map<string, number>> {
    const { resources, accept, timeoutMs } = options;
    const seen = new Map<string, number>();
    const deadline = Date.now() + timeoutMs;
    let cursor = options.from;
    for (;;) {
      const { logs } = this;
      for (; cursor < logs.length; cursor++) {
        const line = logs[cursor]!;
        if (line.msg !== 'reconciled') continue;
        const resource = line.resource as string;
        if (!resources.has(resource) || seen.has(resource)) continue;
        if (accept(String(line.result))) seen.set(resource, line.time);
      }
      if (seen.size === resources.size) return seen;
      this.#assertRunning();
      if (Date.now() > deadline) {
        throw new Error(
          `only ${seen.size} of ${resources.size} resources reconciled within ${timeoutMs} ms; operator log tail:\n${this.#tail()}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Polls `apig_cert_operator_reconcile_total` until it counts `count`
   * reconciles; returns when that was first seen (within `pollMs`) and the
   * count by result. For reconciles logged at debug only ('unchanged').
   */
  async waitForReconcileCount(
    count: number,
    timeoutMs: number,
    pollMs = 100,
  ): Promise<{ at: number; byResult: Map<string, number> }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const byResult = metricByLabel(
        await this.metrics(),
        'apig_cert_operator_reconcile_total',
        'result',
      );
      const at = Date.now();
      const seen = [...byResult.values()].reduce((sum, n) => sum + n, 0);
      if (seen >= count) return { at, byResult };
      this.#assertRunning();
      if (at > deadline) {
        throw new Error(
          `${seen} of ${count} reconciles within ${timeoutMs} ms; operator log tail:\n${this.#tail()}`,
        );
      }
      await sleep(pollMs);
    }
  }

  /** ms from the spawn to the first log line with this message, if it came. */
  sinceStart(msg: string): number | undefined {
    const line = this.logs.find((l) => l.msg === msg);
    return line === undefined ? undefined : line.time - this.startedAt;
  }

  /** Waits for a log line, failing early if the operator exits. */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(predicate);
      if (found) return found;
      this.#assertRunning();
      if (Date.now() > deadline) throw new Error(`log line not seen within ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  /**
   * A full, compacting GC through the inspector (HeapProfiler.collectGarbage),
   * which the first call opens with SIGUSR1: from then on every sample
   * includes the inspector's own few MiB, so these numbers err high.
   */
  async collectGarbage(): Promise<void> {
    if (this.#inspectorUrl === undefined) {
      this.child.kill('SIGUSR1');
      const deadline = Date.now() + 10_000;
      while (this.#inspectorUrl === undefined) {
        this.#assertRunning();
        if (Date.now() > deadline) throw new Error('the operator did not open its inspector');
        await sleep(POLL_MS);
      }
    }
    const url = this.#inspectorUrl;
    const socket = new WebSocket(url);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener('open', () => resolve(), { once: true });
        socket.addEventListener('error', () => reject(new Error(`cannot reach ${url}`)), {
          once: true,
        });
      });
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener('message', (event: MessageEvent) => {
          const answer = JSON.parse(String(event.data)) as { id?: number; error?: unknown };
          if (answer.id !== 1) return;
          if (answer.error) reject(new Error(`collectGarbage: ${JSON.stringify(answer.error)}`));
          else resolve();
        });
        socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      });
    } finally {
      // An open session would hold the process at exit ("waiting for the debugger").
      const closed = new Promise((resolve) => socket.addEventListener('close', resolve));
      socket.close();
      await closed;
    }
  }

  async memory(): Promise<MemorySample> {
    const [rssBytes, metrics] = await Promise.all([statusBytes(this.pid, 'VmRSS'), this.metrics()]);
    const heapUsedBytes = metricValue(metrics, 'nodejs_heap_size_used_bytes');
    if (heapUsedBytes === undefined) throw new Error('no nodejs_heap_size_used_bytes in /metrics');
    return { rssBytes, heapUsedBytes };
  }

  /** The /metrics text. */
  async metrics(): Promise<string> {
    const serving = await this.waitForLog(
      (line) => typeof line.port === 'number' && line.msg.startsWith('serving'),
      30_000,
    );
    const response = await request(`http://127.0.0.1:${serving.port as number}/metrics`);
    return response.body.text();
  }

  cpuMillis(): Promise<number> {
    return cpuMillis(this.pid);
  }

  /** VmHWM: the highest RSS the process has had. */
  async peakRssBytes(): Promise<number> {
    this.#peakRssBytes = Math.max(this.#peakRssBytes, await statusBytes(this.pid, 'VmHWM'));
    return this.#peakRssBytes;
  }

  trace(label: string): RssTrace {
    return {
      label,
      startedAt: this.startedAt,
      peakBytes: Math.max(this.#peakRssBytes, this.rss.max()),
      samples: this.rss.samples.map((s) => [s.at - this.startedAt, s.rssBytes]),
    };
  }

  /**
   * Waits until the process used less than `maxBusy` of one core over each of
   * `quietWindows` consecutive windows of `windowMs` (the watch has settled).
   */
  async waitUntilIdle(options: {
    windowMs?: number;
    quietWindows?: number;
    maxBusy?: number;
    timeoutMs: number;
  }): Promise<void> {
    const windowMs = options.windowMs ?? 1_000;
    const needed = options.quietWindows ?? 2;
    const maxBusy = options.maxBusy ?? 0.05;
    const deadline = Date.now() + options.timeoutMs;
    let quiet = 0;
    let before = await this.cpuMillis();
    while (quiet < needed) {
      if (Date.now() > deadline) {
        throw new Error(`operator still busy after ${options.timeoutMs} ms`);
      }
      await sleep(windowMs);
      this.#assertRunning();
      const after = await this.cpuMillis();
      quiet = (after - before) / windowMs <= maxBusy ? quiet + 1 : 0;
      before = after;
    }
  }

  /** SIGTERM; resolves with how long the exit took. Throws on a non-zero exit. */
  async stop(): Promise<number> {
    const alive = this.child.exitCode === null && this.child.signalCode === null;
    if (alive) await this.peakRssBytes().catch(() => undefined);
    const started = Date.now();
    if (alive) this.child.kill('SIGTERM');
    const { code, signal } = await this.#exited;
    const ms = Date.now() - started;
    if (code !== 0) {
      throw new Error(
        `operator exited with ${code ?? signal} on SIGTERM; log tail:\n${this.#tail()}`,
      );
    }
    return ms;
  }

  #assertRunning(): void {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `operator exited (${child.exitCode ?? child.signalCode}); log tail:\n${this.#tail()}`,
      );
    }
  }

  #keep(text: string): void {
    this.#output.push(text);
    // Only the tail is ever shown.
    if (this.#output.length > 200) this.#output.splice(0, 100);
  }

  #tail(): string {
    return this.#output.join('\n').split('\n').slice(-20).join('\n');
  }
}
