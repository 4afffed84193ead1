// Runs the real operator (src/main.ts, on Node's own type stripping) as a
// child process, the way users run `node dist/main.js`, and collects its
// JSON log lines for assertions and leak scans.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'undici';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const running = new Set<ChildProcess>();

// A test file that fails before its afterAll must not leave operators behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Every stdout line parsed as JSON (pino). */
  readonly logs: LogLine[];
  /** stdout and stderr as they came, for leak scans and failure output. */
  output(): string;
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The /metrics text. */
  metrics(): Promise<string>;
  /** GET a probe path; resolves with the HTTP status. */
  probe(path: '/healthz' | '/readyz'): Promise<number>;
  /** Sends `signal` and waits for the exit. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface StartOptions {
  /**
   * false: the process gets PATH and `env` only, as a new user's shell would
   * give it. Default true: also a free HTTP port on loopback, so that several
   * operators can run side by side.
   */
  testDefaults?: boolean;
}

export function startOperator(
  env: Record<string, string>,
  { testDefaults = true }: StartOptions = {},
): OperatorProcess {
  const defaults = testDefaults ? { HTTP_PORT: '0', HTTP_BIND_ADDRESS: '127.0.0.1' } : {};
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...defaults, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: LogLine[] = [];
  const chunks: string[] = [];
  const listeners = new Set<() => void>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    chunks.push(line);
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      // not JSON: kept in output() only
    }
    for (const notify of listeners) notify();
  });
  child.stderr.on('data', (data: Buffer) => chunks.push(data.toString()));

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = (): boolean => {
        const found = logs.find(predicate);
        if (found) {
          listeners.delete(onLine);
          clearTimeout(timer);
          resolve(found);
        }
        return found !== undefined;
      };
      const onLine = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(onLine);
        reject(
          new Error(
            `operator log line not seen within ${timeoutMs} ms; output:\n${chunks.slice(-40).join('\n')}`,
          ),
        );
      }, timeoutMs);
      listeners.add(onLine);
      check();
    });

  const baseUrl = async (): Promise<string> => {
    const line = await waitForLog((l) => typeof l.port === 'number' && l.msg.startsWith('serving'));
    return `http://127.0.0.1:${line.port as number}`;
  };

  return {
    child,
    logs,
    output: () => chunks.join('\n'),
    waitForLog,
    async metrics() {
      const res = await request(`${await baseUrl()}/metrics`);
      return res.body.text();
    },
    async probe(path) {
      const res = await request(`${await baseUrl()}${path}`);
      await res.body.dump();
      return res.statusCode;
    },
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      return { ...result, ms: Date.now() - started };
    },
  };
}
