// The APIG side of the benchmark: the simulator with a latency on every call,
// in a worker thread (apig-worker.ts) so that the benchmark's own work does
// not delay APIG's clock, and a record of every PUT with the time it was
// answered and the serial APIG then held, so each Secret write can be matched
// to the PUT that carried it.
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ConsoleEdit, RequestLogEntry } from '../support/apig-simulator/index.ts';
import type { ApigCall, ApigReply, ApigSettings, PutRecord, RunningApig } from './apig-messages.ts';

export type { ApigSettings, PutRecord } from './apig-messages.ts';

type PutListener = (put: PutRecord) => void;

/** The simulator's decimal form of a hex serial (@peculiar/x509 gives hex). */
export function decimalSerial(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

export class BenchApig {
  readonly token = randomBytes(16).toString('hex');
  readonly puts: PutRecord[] = [];
  readonly #listeners = new Set<PutListener>();
  readonly #seeded = new Map<string, string>();
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #worker: Worker | undefined;
  #nextId = 0;
  #running: RunningApig | undefined;
  #port = 0;
  #settings: ApigSettings = { latencyMs: 0 };

  get url(): string {
    return this.#current.url;
  }

  get projectId(): string {
    return this.#current.projectId;
  }

  get settings(): Readonly<ApigSettings> {
    return this.#settings;
  }

  get #current(): RunningApig {
    if (!this.#running) throw new Error('the APIG simulator is not running');
    return this.#running;
  }

  /**
   * Starts the simulator, or restarts it with new settings on the same port:
   * the operator's digest covers the endpoint, so a new URL would resend
   * everything. Seeded certificates are seeded again (content does not matter:
   * the operator compares against its own digest, not APIG's state).
   */
  async start(settings: ApigSettings): Promise<void> {
    this.#running = undefined;
    const seeded = [...this.#seeded].map(([id, name]) => ({ id, name }));
    const running = (await this.#call({
      op: 'start',
      settings,
      token: this.token,
      port: this.#port,
      seeded,
    })) as RunningApig;
    this.#port = Number(new URL(running.url).port);
    this.#settings = settings;
    this.#running = running;
  }

  async seed(certificates: readonly { id: string; name: string }[]): Promise<void> {
    for (const { id, name } of certificates) this.#seeded.set(id, name);
    await this.#call({ op: 'seed', certificates: [...certificates] });
  }

  /** Calls `listener` for every PUT from now on; returns the unsubscribe. */
  onPut(listener: PutListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Every request the running simulator answered (a restart starts a new log). */
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.#call({ op: 'requests' })) as RequestLogEntry[];
  }

  /** A person replacing a certificate's content in the console. */
  async consoleEdit(certificateId: string, edit: ConsoleEdit): Promise<void> {
    await this.#call({ op: 'consoleEdit', certificateId, edit });
  }

  /**
   * PUTs answered at or after `since` (epoch ms), as far as the worker has
   * reported them: callers wait (SETTLE_MS) before they count.
   */
  putsSince(since: number): PutRecord[] {
    return this.puts.filter((put) => put.at >= since);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    await this.#call({ op: 'close' });
    this.#running = undefined;
    this.#worker = undefined;
    await worker.terminate();
  }

  #call(call: ApigCall): Promise<unknown> {
    const worker = (this.#worker ??= this.#spawn());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, call });
    });
  }

  #spawn(): Worker {
    const worker = new Worker(new URL('./apig-worker.ts', import.meta.url));
    worker.on('message', (reply: ApigReply) => {
      if (reply.kind === 'put') {
        this.puts.push(reply.put);
        for (const listener of this.#listeners) listener(reply.put);
        return;
      }
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.kind === 'result') pending?.resolve(reply.result);
      else pending?.reject(new Error(`APIG simulator: ${reply.message}`));
    });
    worker.on('error', (error: Error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      // A dead worker answers nothing: the next call starts another.
      this.#worker = undefined;
      this.#running = undefined;
    });
    // The benchmark exits when its work is done, whether or not APIG was closed.
    worker.unref();
    return worker;
  }
}
