// What apig.ts and its worker thread (apig-worker.ts) say to each other.
import type { ConsoleEdit } from '../support/apig-simulator/index.ts';

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

export interface SeededCertificate {
  id: string;
  name: string;
}

/** What a 'start' answers. */
export interface RunningApig {
  url: string;
  projectId: string;
}

export type ApigCall =
  | {
      op: 'start';
      settings: ApigSettings;
      token: string;
      /** 0 the first time; then the same port, as the operator's digest covers the endpoint. */
      port: number;
      seeded: SeededCertificate[];
    }
  | { op: 'seed'; certificates: SeededCertificate[] }
  | { op: 'requests' }
  | { op: 'consoleEdit'; certificateId: string; edit: ConsoleEdit }
  | { op: 'close' };

export type ApigReply =
  | { kind: 'put'; put: PutRecord }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string };
