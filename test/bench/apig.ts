// The APIG side of the benchmark: the simulator with a latency on every call,
// and a record of every PUT with the time it was answered and the serial APIG
// then held, so each Secret write can be matched to the PUT that carried it.
import { randomBytes } from 'node:crypto';
import {
  startApigSimulator,
  type ApigSimulator,
  type ConsoleEdit,
  type RequestLogEntry,
} from '../support/apig-simulator/index.ts';

export interface PutRecord {
  certificateId: string;
  /** Epoch ms when the simulator answered. */
  at: number;
  status: number;
  /** The PUT stored the certificate. */
  applied: boolean;
  /** Decimal serial APIG holds after an applied PUT. */
  serial: string | undefined;
}

export interface ApigSettings {
  /** Latency added to every certificate call. */
  latencyMs: number;
  /** APIG's flow control; undefined: none. */
  rateLimitPerSecond?: number | undefined;
}

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
  #simulator: ApigSimulator | undefined;
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

  get #current(): ApigSimulator {
    if (!this.#simulator) throw new Error('the APIG simulator is not running');
    return this.#simulator;
  }

  /**
   * Starts the simulator, or restarts it with new settings on the same port:
   * the operator's digest covers the endpoint, so a new URL would resend
   * everything. Seeded certificates are seeded again (content does not matter:
   * the operator compares against its own digest, not APIG's state).
   */
  async start(settings: ApigSettings): Promise<void> {
    if (this.#simulator) await this.#simulator.close();
    this.#simulator = undefined;
    const simulator = await startApigSimulator({
      staticTokens: [this.token],
      port: this.#port,
      ...(settings.rateLimitPerSecond === undefined
        ? {}
        : { rateLimitPerSecond: settings.rateLimitPerSecond }),
      onRequest: (entry) => this.#record(entry),
    });
    if (settings.latencyMs > 0) {
      simulator.addFault({ fault: { kind: 'latency', ms: settings.latencyMs } });
    }
    for (const [id, name] of this.#seeded) simulator.seedCertificate({ id, name });
    this.#port = Number(new URL(simulator.url).port);
    this.#settings = settings;
    this.#simulator = simulator;
  }

  seed(certificates: readonly { id: string; name: string }[]): void {
    for (const { id, name } of certificates) {
      this.#seeded.set(id, name);
      this.#current.seedCertificate({ id, name });
    }
  }

  /** Calls `listener` for every PUT from now on; returns the unsubscribe. */
  onPut(listener: PutListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Every request the running simulator answered (a restart starts a new log). */
  requests(): RequestLogEntry[] {
    return this.#current.requests();
  }

  /** A person replacing a certificate's content in the console. */
  consoleEdit(certificateId: string, edit: ConsoleEdit): void {
    this.#current.consoleEdit(certificateId, edit);
  }

  /** PUTs answered at or after `since` (epoch ms). */
  putsSince(since: number): PutRecord[] {
    return this.puts.filter((put) => put.at >= since);
  }

  async close(): Promise<void> {
    await this.#simulator?.close();
    this.#simulator = undefined;
  }

  #record(entry: RequestLogEntry): void {
    if (entry.method !== 'PUT' || entry.certificateId === undefined) return;
    const certificateId = entry.certificateId;
    const put: PutRecord = {
      certificateId,
      at: Date.now(),
      status: entry.status,
      applied: entry.applied,
      // Called synchronously after the store took the PUT: this is what it holds now.
      serial: entry.applied ? this.#simulator?.certificate(certificateId)?.serialNumber : undefined,
    };
    this.puts.push(put);
    for (const listener of this.#listeners) listener(put);
  }
}
